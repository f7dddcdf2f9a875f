# The warehouse's commands. Every target creates the virtual environment (.venv/) when absent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export PRISM_DATA_DIR ?= $(CURDIR)/data
export PRISM_WAREHOUSE_DB ?= $(PRISM_DATA_DIR)/warehouse.duckdb
export DAGSTER_HOME ?= $(PRISM_DATA_DIR)/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

OUT ?= data/synthetic/out
SCALE ?= full
SEED ?= 0
UI_PORT ?= 3000
DOCS_PORT ?= 8081

.PHONY: help venv manifest dagster-home system-packages-test system-packages-stan run case-studies beyond-paper \
	test test-fast bench ui docs synthetic lint

help:
	@echo "make run        the main job: PRISM (or synthetic) -> scores -> marts -> Stan fits -> comparison with the paper, and PRISM's case studies"
	@echo "make case-studies  PRISM's own case studies alone (rankings, juries, topics), without the paper's fits"
	@echo "make beyond-paper  the models beyond the paper (the top pick as a choice, bounded score and mirroring families), after make run"
	@echo "make test       the test suite (what .ci/run calls); installs chromium and g++ when missing"
	@echo "make bench      the benchmarks, written to tests/benchmarks/results.md"
	@echo "make ui         the Dagster UI on 127.0.0.1:$(UI_PORT)"
	@echo "make docs       build and serve the dbt docs on 127.0.0.1:$(DOCS_PORT)"
	@echo "make synthetic  OUT=dir SCALE=full|small SEED=n: a synthetic PRISM"

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# dagster-dbt reads dbt's manifest; it is built here, never at import time.
manifest: $(STAMP)
	$(BIN)/dbt parse --project-dir . --profiles-dir . --quiet

dagster-home:
	mkdir -p "$(DAGSTER_HOME)"
	cp orchestration/dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

# Debian packages beyond .venv, as PACKAGE=file-it-installs: the browser tests launch Debian's
# Chromium (Playwright's own browser download is unreachable here), and PyStan compiles the Stan
# programs with g++. Installed with apt-get as root on Debian; elsewhere make stops with the command.
BROWSER_PACKAGES := chromium=/usr/bin/chromium
COMPILER_PACKAGES := g++=/usr/bin/g++

system-packages-test: $(STAMP)
	@$(BIN)/python -m orchestration.console.provision $(BROWSER_PACKAGES) $(COMPILER_PACKAGES)

system-packages-stan: $(STAMP)
	@$(BIN)/python -m orchestration.console.provision $(COMPILER_PACKAGES)

run: manifest dagster-home system-packages-stan
	$(BIN)/python -m orchestration.run

# The case studies alone (they are in `make run` too); it builds what they read, not the paper's fits.
case-studies: manifest dagster-home system-packages-stan
	$(BIN)/python -m orchestration.run --job case_studies_job

# The models beyond the paper (the top pick as a choice, the bounded families), on the snapshot `make run` left.
beyond-paper: manifest dagster-home system-packages-stan
	$(BIN)/python -m orchestration.run --job beyond_paper_job

test: manifest system-packages-test
	$(BIN)/ruff check .
	$(BIN)/pytest

test-fast: manifest
	$(BIN)/pytest -m "not slow and not browser"

# BENCH="bench_ingest bench_dbt" runs a subset; every figure of one benchmark comes from one run.
bench: manifest system-packages-stan
	$(BIN)/python -m tests.benchmarks.run $(if $(BENCH),--only $(BENCH))

ui: manifest dagster-home
	$(BIN)/dagster dev -m orchestration.definitions --host 127.0.0.1 --port $(UI_PORT)

# The catalog (column types) comes from the DuckDB file; after `make run` it covers every model.
docs: manifest
	mkdir -p "$(dir $(PRISM_WAREHOUSE_DB))"
	$(BIN)/dbt docs generate --project-dir . --profiles-dir .
	$(BIN)/dbt docs serve --project-dir . --profiles-dir . --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

synthetic: $(STAMP)
	$(BIN)/python -m orchestration.synthetic --out "$(OUT)" --scale $(SCALE) --seed $(SEED)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
