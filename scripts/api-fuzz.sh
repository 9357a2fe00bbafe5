#!/usr/bin/env bash
# Fuzzes the whole API of a real server with schemathesis, from its own OpenAPI document.
#
# Usage: scripts/api-fuzz.sh [path/to/archipel]     (or ARCHIPEL_BIN; default target/debug/archipel)
#
# On the private PostgreSQL cluster (started if needed, never stopped), a throwaway database is
# created, migrated and filled with the demo data; an admin token is made; `archipel serve` runs
# on a free port; schemathesis tests every operation of /api/openapi.json with that token. The
# server is stopped and the database dropped however the run ends. Exits non-zero on any failure.
#
# No operation is left out, destructive ones included (archiving initiatives, revoking tokens,
# starting imports of the demo's local files). What is steered, and why: tests/fuzz/hooks.py
# (the run's own token is never revoked; form submissions are not stopped by the per-address
# limit; If-Match is left out of every other PATCH/DELETE of an initiative) and
# tests/fuzz/prepare.py (real ids and slugs, and a few valid or awkward values, mixed into the
# generated ones).
#
# Settings (environment):
#   FUZZ_CHECKS        schemathesis checks, comma-separated, or `all` (default: all: no server error,
#                      every status and response documented, every request the document refuses
#                      refused, and every request it accepts accepted)
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default: 100, about 3.7 minutes here for
#                      the ~60 operations with every check; 500 takes over 10 minutes)
#   FUZZ_SEED          hypothesis seed, for repeatable runs (default: 1)
#   FUZZ_WORKERS       concurrent schemathesis workers (default: 2, the machine's cores)
#   FUZZ_OUT           report directory (default: tests/output/api-fuzz)
#   SCHEMATHESIS       the schemathesis executable (default: tests/fuzz/.venv/bin/schemathesis,
#                      made by `make fuzz-venv`)
#   FUZZ_EXTRA_ARGS    more schemathesis options, e.g. "--phases fuzzing --max-failures 5"
# Reports: $FUZZ_OUT/schemathesis.txt (the run's output), junit.xml, server.log, setup.log.
set -euo pipefail

here=$(pwd)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
absolute() { case "$1" in /*) echo "$1" ;; *) echo "$here/$1" ;; esac; }

bin=$(absolute "${1:-${ARCHIPEL_BIN:-$repo/target/debug/archipel}}")
schemathesis=$(absolute "${SCHEMATHESIS:-$repo/tests/fuzz/.venv/bin/schemathesis}")
checks=${FUZZ_CHECKS:-all}
max_examples=${FUZZ_MAX_EXAMPLES:-100}
seed=${FUZZ_SEED:-1}
workers=${FUZZ_WORKERS:-2}
out=$(absolute "${FUZZ_OUT:-$repo/tests/output/api-fuzz}")

[ -x "$bin" ] || { echo "api-fuzz: no archipel binary at $bin (cargo build --bin archipel, or pass its path)" >&2; exit 2; }
[ -x "$schemathesis" ] || { echo "api-fuzz: no schemathesis at $schemathesis (make fuzz-venv)" >&2; exit 2; }
command -v psql >/dev/null || { echo "api-fuzz: psql is missing (scripts/ensure-deps.sh test)" >&2; exit 2; }
command -v curl >/dev/null || { echo "api-fuzz: curl is missing (scripts/ensure-deps.sh test)" >&2; exit 2; }

cd "$repo" # the private cluster lives in ./.archipel, the demo in ./demo
mkdir -p "$out"
rm -f "$out/schemathesis.txt" "$out/schemathesis.toml" "$out/references.json" "$out/junit.xml" "$out/server.log" "$out/setup.log"

# The private cluster, even when the caller's environment names another database.
app_url=$(env -u DATABASE_URL "$bin" db start 2>/dev/null | tail -n 1)
case "$app_url" in
  postgres://*/archipel | postgresql://*/archipel) ;;
  *) echo "api-fuzz: unexpected output of '$bin db start': $app_url" >&2; exit 2 ;;
esac
server_url=${app_url%/archipel}
admin_url=$server_url/postgres
database=archipel_fuzz_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')
db_url=$server_url/$database
# The run's own token; hooks.py keeps DELETE /api/v1/tokens/{name} off this name.
token_name=fuzz-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')

server_pid=""
database_created=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$database_created" ]; then
    psql "$admin_url" -qX -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null \
      || echo "api-fuzz: could not drop the database $database" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each setup step's messages go to setup.log, shown when the step fails.
step() {
  "$@" 2>>"$out/setup.log" || {
    echo "api-fuzz: failed: $*" >&2
    tail -n 20 "$out/setup.log" >&2
    exit 1
  }
}
step psql "$admin_url" -qX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $database" >/dev/null
database_created=1
export DATABASE_URL=$db_url
step "$bin" migrate >/dev/null
step "$bin" demo load --dir demo >/dev/null
token=$(step "$bin" token create --name "$token_name" --role admin | tail -n 1)
[[ "$token" =~ ^[^[:space:]]{20,}$ ]] || { echo "api-fuzz: unexpected output of token create" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
# --trust-forwarded: hooks.py gives each form submission its own address (see there why).
ARCHIPEL_TILE_PREBUILD_ZOOM=off RUST_LOG=${RUST_LOG:-warn} \
  "$bin" serve --bind 127.0.0.1 --port "$port" --frontend-dir "$out/no-frontend" --trust-forwarded \
  >"$out/server.log" 2>&1 &
server_pid=$!
for i in $(seq 300); do
  curl -sf -o /dev/null "$base/readyz" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "api-fuzz: the server exited; see $out/server.log" >&2; exit 1; }
  [ "$i" -lt 300 ] || { echo "api-fuzz: the server was not ready within 60 s" >&2; exit 1; }
  sleep 0.2
done

# The run's configuration: real ids and slugs for path parameters, valid and awkward values
# (see prepare.py).
FUZZ_TOKEN=$token step python3 "$repo/tests/fuzz/prepare.py" "$base" "$out/schemathesis.toml"

# The stateful phase is left out: the document declares no OpenAPI links, so it has no scenario
# of its own, and the links it infers from Location headers (the 301 of a merged initiative) name
# parameters the target operations do not have, which schemathesis reports as an error of the
# document. Declaring real links (a #9 task) brings it back.
echo "api-fuzz: schemathesis on $base/api/openapi.json (checks: $checks; $max_examples examples per operation; seed $seed; $workers workers)"
started=$(date +%s)
fuzz() {
  # shellcheck disable=SC2086 # FUZZ_EXTRA_ARGS is a list of options
  SCHEMATHESIS_HOOKS="$repo/tests/fuzz/hooks.py" FUZZ_TOKEN_NAME="$token_name" \
    FUZZ_REFERENCES="$out/references.json" \
    "$schemathesis" --config-file "$out/schemathesis.toml" run "$base/api/openapi.json" \
    --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --workers "$workers" \
    --generation-database none \
    --request-timeout 30 \
    --no-color \
    --report junit --report-junit-path "$out/junit.xml" \
    ${FUZZ_EXTRA_ARGS:-} \
    2>&1 | tee "$out/schemathesis.txt"
  return "${PIPESTATUS[0]}"
}
set +e
fuzz
status=$?
# Hypothesis sometimes failed inside itself while describing a strategy ("Runtime Error … AST
# constructor recursion depth mismatch", a CPython 3.11 bug that tests/fuzz/hooks.py now steps
# around): that is no finding about the server. Should schemathesis fail inside itself again,
# a run with no failed check is run once more.
if [ "$status" -ne 0 ] && grep -q "Runtime Error" "$out/schemathesis.txt" \
   && ! grep -q "^Failures:" "$out/schemathesis.txt"; then
  echo "api-fuzz: schemathesis failed inside itself (no check failed); running it once more" >&2
  cp "$out/schemathesis.txt" "$out/schemathesis.first-attempt.txt"
  fuzz
  status=$?
fi
set -e
elapsed=$(($(date +%s) - started))
if [ "$status" -ne 0 ]; then
  echo "api-fuzz: FAILED (schemathesis exit $status, ${elapsed} s); reports in $out" >&2
  exit "$status"
fi
echo "api-fuzz: passed in ${elapsed} s; reports in $out"
