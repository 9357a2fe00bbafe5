#!/usr/bin/env bash
# Installs, on Debian or Ubuntu, the system packages Archipel needs that are missing — and only
# those. Usage: scripts/ensure-deps.sh run|test|bench
#   run:   PostgreSQL server, PostGIS, libpq, Node.js + npm, the mold linker
#   test:  the same, plus Chromium (browser tests), curl and GDAL's ogrinfo (a real GIS client)
#   bench: the same as test, plus wrk (HTTP load) and Python's venv (for the tipg peer)
set -euo pipefail

purpose=${1:-run}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
want() { installed "$1" || missing+=("$1"); }

if ! command -v dpkg-query >/dev/null; then
  echo "ensure-deps: not a Debian/Ubuntu system; install PostgreSQL 15+ with PostGIS 3, libpq, Node.js 20+, Chromium and gdal-bin yourself" >&2
  exit 0
fi

# PostgreSQL: keep whatever server version is there; install the distribution's default otherwise.
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1 || true)
if [ -z "$pg_version" ] || [ ! -x "/usr/lib/postgresql/$pg_version/bin/initdb" ]; then
  want postgresql
fi
want libpq-dev
want mold   # the linker of scripts/mold-gcc (.cargo/config.toml): debug links in a third of the time
command -v node >/dev/null && command -v npm >/dev/null || { want nodejs; want npm; }
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
  want chromium
  want gdal-bin
  want curl
  want python3-venv   # schemathesis, in a venv of make test
fi
if [ "$purpose" = bench ]; then
  want wrk
  want python3-venv
fi

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "ensure-deps: missing packages: $*; run as root or install them: apt-get install $*" >&2
      exit 1
    fi
  fi
  echo "ensure-deps: installing $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

# PostGIS for the server version actually present (never touches the server package itself).
pg_version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! installed "postgresql-$pg_version-postgis-3"; then
  apt_install "postgresql-$pg_version-postgis-3"
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "ensure-deps: Node.js $node_major is too old for the front end's build tools; install Node.js 20 or newer" >&2
  exit 1
fi
