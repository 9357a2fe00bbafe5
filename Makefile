# Archipel — the two commands of the README:
#   make run    install what is missing, start the local PostGIS, migrate, load demo data, serve
#   make test   every test (Rust, front end, browser) and the lints
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
PORT ?= 8080
RELEASE := target/release/archipel
DEBUG := target/debug/archipel

.PHONY: run test deps deps-test build build-release lint fmt-check clippy test-rust db-start db-stop clean

## run: everything a newcomer needs to see the map and the API on http://127.0.0.1:$(PORT)
run: deps build-release
	$(RELEASE) migrate
	$(RELEASE) demo load --if-empty
	$(RELEASE) serve --port $(PORT)

## test: lints, then every test suite
test: deps-test lint test-rust

deps:
	scripts/ensure-deps.sh run

deps-test:
	scripts/ensure-deps.sh test

build-release:
	$(CARGO) build --release --bin archipel

build:
	$(CARGO) build --bin archipel

lint: fmt-check clippy

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-rust: build
	$(DEBUG) db start >/dev/null
	$(CARGO) nextest run --workspace --no-fail-fast

db-start:
	$(DEBUG) db start

db-stop:
	$(DEBUG) db stop

clean:
	$(CARGO) clean
