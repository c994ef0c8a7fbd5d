# Minwon: `make run` serves the embedded default; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Debian's system python3: the unprivileged database user can execute it (see DESIGN.md).
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MINWON_DATA_DIR ?= $(CURDIR)/var
DEMO_RESIDENTS ?= 20000

.PHONY: help setup system run init demo test check lint format clean cluster cluster-down bench bench-failover bench-drill imports

help:
	@echo "make run    - set up, create the demo registry and serve on http://127.0.0.1:8000"
	@echo "make test   - set up and run every test (lint, types, unit, integration, PostgreSQL)"
	@echo "make check  - ruff, ruff format --check, mypy --strict on src/ and bench/"
	@echo "make imports - which package imports which; fails on an import cycle"
	@echo "make cluster - a local Patroni/etcd/HAProxy cluster with two app instances (SITES=2: and a second site)"
	@echo "make bench  - every benchmark: one table, bench/results/bench.json and bench.png"
	@echo "make bench-failover - each fault scenario several times; table + bench/results/failover.json"
	@echo "make bench-drill - a recovery drill over 1,000,000 residents; table + bench/results/drill.json"

system:
	@bash scripts/setup-system.sh

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev,cluster,bench]'
	@touch $(STAMP)

setup: $(STAMP) browser-deps

# Browser tests: Debian's chromium (installed by scripts/setup-system.sh when root) and
# axe-core from npm (package-lock.json; node_modules/ is not committed).
.PHONY: browser-deps
browser-deps:
	@$(MAKE) --no-print-directory system
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --loglevel=error

init: setup
	@$(BIN)/minwon init

demo: init
	@$(BIN)/minwon demo-data --residents $(DEMO_RESIDENTS) --seed 1 --if-empty

run: demo
	@MINWON_DEMO_FINGERPRINT=1 $(BIN)/minwon serve --host 127.0.0.1 --port 8000

check: setup
	@$(BIN)/ruff check src tests bench
	@$(BIN)/ruff format --check src tests bench
	@$(BIN)/mypy src bench

imports:
	@$(PYTHON) scripts/import_graph.py

format: setup
	@$(BIN)/ruff check --fix src tests bench
	@$(BIN)/ruff format src tests bench

test: setup
	@$(MAKE) --no-print-directory check
	@$(BIN)/pytest -q

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts

# make cluster SITES=2: also the second site (disaster recovery, minwon dr)
SITES ?= 1

cluster: setup
	@$(BIN)/minwon cluster up --root var/cluster --backup-full-hours 24 --backup-diff-minutes 60 --sites $(SITES)

cluster-down: setup
	@$(BIN)/minwon cluster down --root var/cluster

bench: setup
	@$(BIN)/python -m bench.run

bench-failover: setup
	@$(BIN)/python -m bench.failover --runs $${RUNS:-3}

bench-drill: setup
	@$(BIN)/python -m bench.drill --residents $${RESIDENTS:-1000000} --runs $${RUNS:-3}
