# Every target sets up its own virtualenv (.venv) from the project files, so the README's
# quick start is two commands on a fresh machine: `make report` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The first Python >= 3.11 on PATH (override: make PYTHON=/path/to/python3.12 ...).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := .ci/constraints.txt
CLI := $(BIN)/ecommerce-analytics

.PHONY: help setup system-deps report report-kaggle test test-fast lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is needed on PATH (or pass PYTHON=...)" >&2; exit 1; }
	@echo "Setting up $(VENV) with $$($(PYTHON) --version) ..."
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e '.[dev,spark]'
	@touch $(STAMP)

setup: $(STAMP) system-deps ## Create .venv, install the package (with the [spark] extra) pinned, Chromium and Java

# Chromium renders the static PNG beside every figure (kaleido drives it). Installed from Debian
# when missing and we are root; otherwise a warning, and figures are exported without PNG.
system-deps:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
		|| command -v google-chrome >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Chromium (Debian package) for static figure export ..."; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
		|| echo "warning: could not install chromium; figures will have no static PNG" >&2; \
	else \
		echo "warning: Chromium not found (install the Debian package chromium as root); figures will have no static PNG" >&2; \
	fi
	@# Java runs the Spark SQL engine (the [spark] extra; `--engine spark`), from Debian as Chromium is.
	@if command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing a Java runtime (Debian package default-jre-headless) for the Spark SQL engine ..."; \
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null \
		|| echo "warning: could not install Java; --engine spark will not run" >&2; \
	else \
		echo "warning: Java not found (install the Debian package default-jre-headless as root); --engine spark will not run" >&2; \
	fi

report: setup ## The main job: simulate, validate, build the database, run SQL, execute and render notebooks
	$(CLI) report

KAGGLE_CSV ?= $(firstword $(wildcard data/raw/consumer_behavior_dataset.csv ../shared/data/consumer_behavior_dataset.csv))
report-kaggle: setup ## The same report on the Kaggle file (KAGGLE_CSV=path; get it with `ecommerce-analytics fetch-kaggle`)
	@test -n "$(KAGGLE_CSV)" || { echo "error: no Kaggle file: run \`$(CLI) fetch-kaggle\` or pass KAGGLE_CSV=path" >&2; exit 2; }
	$(CLI) report --source $(KAGGLE_CSV)

test: setup ## Run the whole test suite (what CI runs; each notebook run once per session, Spark included): about 7 minutes
	$(BIN)/python -m pytest

lint: setup ## ruff check and ruff format --check (rules in pyproject.toml); CI runs it before the tests
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

test-fast: setup ## The fast tier for the inner loop: no notebooks, no large simulations; under a minute
	$(BIN)/python -m pytest -m "not slow"

bench: setup ## Benchmarks (speed and memory targets); results in .bench/
	$(BIN)/python tests/benchmarks/run.py $(BENCH)

clean: ## Remove the virtualenv and generated data (keeps committed reports)
	rm -rf $(VENV) data/processed/*.sqlite data/processed/*.sqlite.source.json data/processed/*.csv \
		data/processed/runs .pytest_cache .bench
