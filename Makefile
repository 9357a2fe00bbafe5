# Archipel — the two commands of the README:
#   make run    install what is missing, start the local PostGIS, migrate, load demo data, serve
#   make test   every test (Rust, API fuzzing, front end, browser), the benchmark smoke run, and the lints
# and, not part of the tests:
#   make bench  the benchmark suite (datasets of 100k and 1M initiatives; takes a while)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
PORT ?= 8080
RELEASE := target/release/archipel
DEBUG := target/debug/archipel
NPM_STAMP := frontend/node_modules/.installed
PYTHON ?= python3
FUZZ_VENV := tests/fuzz/.venv
FUZZ_STAMP := $(FUZZ_VENV)/.installed
FRICTIONLESS_VENV := tests/frictionless/.venv
FRICTIONLESS_STAMP := $(FRICTIONLESS_VENV)/.installed
# schemathesis checks of test-api-fuzz: comma-separated, or `all`
FUZZ_CHECKS ?= all
# The tests' one debug build: every workspace target (binaries, tests, the bench) compiled once,
# with the features of the whole workspace, our own crates through clippy-driver so that the lint
# pass is this build and not a second, separate compilation of the dependency tree (clippy's own
# `cargo check` shares no artifact with `cargo build`). The same environment for nextest keeps
# its fingerprints equal, so it compiles nothing again.
CLIPPY_DRIVER = $(shell rustc --print sysroot)/bin/clippy-driver
LINTED_CARGO = RUSTC_WORKSPACE_WRAPPER=$(CLIPPY_DRIVER) CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ $(CARGO)

.PHONY: run test bench bench-smoke deps deps-test deps-bench build build-release frontend frontend-deps \
        lint fmt-check clippy lint-frontend frontend-checked test-rust test-api-fuzz test-frontend test-browser \
        fuzz-venv frictionless-venv db-start db-stop clean

## run: the map and the API on http://127.0.0.1:$(PORT), with demo data
run: deps frontend build-release
	$(RELEASE) migrate
	$(RELEASE) demo load --if-empty
	@if ! $(RELEASE) user list | tail -n +2 | grep -q .; then \
		echo; \
		echo "No account yet. To work in http://127.0.0.1:$(PORT)/workspace, create the first administrator"; \
		echo "(it prints an invitation link where you choose your password), in another terminal:"; \
		echo "  $(RELEASE) user create --email you@example.org --name 'Your Name' --role admin --public-url http://127.0.0.1:$(PORT)"; \
		echo; \
	fi
	$(RELEASE) serve --port $(PORT) --frontend-dir frontend/dist

## test: lints, then every test suite, then the benchmark smoke run. What only downloads, installs
## or builds (the Rust build with its lints, the front end's packages, lint and build, the two
## PyPI venvs) runs side by side; the suites then run one after the other.
test: deps-test
	$(MAKE) --no-print-directory -j4 --output-sync=target fmt-check build frontend-checked fuzz-venv frictionless-venv
	$(MAKE) --no-print-directory test-rust test-api-fuzz test-frontend test-browser bench-smoke

## frontend-checked: the front end's lint, then its build (not side by side: both generate its API types)
frontend-checked: lint-frontend
	$(MAKE) --no-print-directory frontend

deps:
	scripts/ensure-deps.sh run

deps-test:
	scripts/ensure-deps.sh test

deps-bench:
	scripts/ensure-deps.sh bench

build-release:
	$(CARGO) build --release --bin archipel

build:
	$(LINTED_CARGO) build --workspace --all-targets

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend-deps: $(NPM_STAMP)

frontend: frontend-deps
	cd frontend && npm run build

lint: fmt-check clippy lint-frontend

fmt-check:
	$(CARGO) fmt --all -- --check

## clippy: `cargo clippy --workspace --all-targets -- -D warnings`, as a build (see LINTED_CARGO)
clippy: build

lint-frontend: frontend-deps
	cd frontend && npm run lint

test-rust: build frictionless-venv fuzz-venv
	$(DEBUG) db start >/dev/null
	if command -v cargo-nextest >/dev/null; then \
		$(LINTED_CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(LINTED_CARGO) test --workspace --no-fail-fast; \
	fi

## test-api-fuzz: schemathesis over the whole OpenAPI document of a real server (scripts/api-fuzz.sh)
test-api-fuzz: build fuzz-venv
	FUZZ_CHECKS=$(FUZZ_CHECKS) timeout --kill-after=30 10m scripts/api-fuzz.sh $(DEBUG)

## fuzz-venv: schemathesis, and the OpenAPI 3.0 validator that tests/it/ogc.rs runs on /ogc/api
$(FUZZ_STAMP): tests/fuzz/requirements.txt
	test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
	touch $@

fuzz-venv: $(FUZZ_STAMP)

## frictionless-venv: the validator that tests/it/exports.rs runs on the CSV export
$(FRICTIONLESS_STAMP): tests/frictionless/requirements.txt
	test -x $(FRICTIONLESS_VENV)/bin/python || $(PYTHON) -m venv $(FRICTIONLESS_VENV)
	$(FRICTIONLESS_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/frictionless/requirements.txt
	touch $@

frictionless-venv: $(FRICTIONLESS_STAMP)

test-frontend: frontend-deps
	cd frontend && npm test

## test-browser: the map in headless Chromium against a real server and database
test-browser: build frontend
	$(DEBUG) db start >/dev/null
	cd frontend && ARCHIPEL_BIN=../$(DEBUG) timeout --kill-after=30 20m npm run e2e

## bench-smoke: every benchmark scenario once on 10k initiatives, so the suite keeps working
bench-smoke: build frontend
	$(DEBUG) db start >/dev/null
	timeout --kill-after=30 15m target/debug/archipel-bench run --smoke --sizes 10000 --import-sizes 10000 \
		--server $(DEBUG) --out tests/output/bench-smoke.md >/dev/null
	@echo "bench-smoke: every scenario ran (tests/output/bench-smoke.md)"

## bench: the full suite, with tipg and martin as peers; writes bench/results/latest.md
bench: deps-bench frontend
	$(CARGO) build --release -p archipel-api -p archipel-bench
	test -x bench/.venv/bin/uvicorn || (python3 -m venv bench/.venv && bench/.venv/bin/pip install --quiet tipg uvicorn)
	test -x bench/.martin/bin/martin || $(CARGO) install martin --version 1.14.0 --locked --no-default-features \
		--features postgres --root bench/.martin
	$(RELEASE) db start >/dev/null
	target/release/archipel-bench run --sizes 100000,1000000 --import-sizes 100000,1000000 --peers \
		--server $(RELEASE) --out bench/results/latest.md --readme README.md

db-start:
	$(DEBUG) db start

db-stop:
	$(DEBUG) db stop

clean:
	$(CARGO) clean
	rm -rf frontend/node_modules frontend/dist frontend/src/generated tests/output $(FUZZ_VENV) $(FRICTIONLESS_VENV)
