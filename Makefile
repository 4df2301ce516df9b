# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# The Dagster instance lives inside the repo (ignored by git), telemetry off.
export DAGSTER_HOME := $(CURDIR)/dagster_home
export GX_ANALYTICS_ENABLED := false

.PHONY: run test test-fast dev serve sample docs bench clean-warehouse

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## Materialise every asset for every quarter found in raw/ into warehouse/ntm.duckdb.
run: $(INSTALLED)
	$(BIN)/ntm run

## Run the whole test suite (what CI runs).
test: $(INSTALLED)
	$(BIN)/python -m pytest

## The fast tier for the edit-test loop, about two minutes: every test not marked slow
## (no pipeline build, daemon, webserver, browser, PostgreSQL or concurrent runs).
test-fast: $(INSTALLED)
	$(BIN)/python -m pytest -m "not slow"

## Start the Dagster UI on http://127.0.0.1:3000.
dev: $(INSTALLED)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## Start the web intake on http://127.0.0.1:8000 (first: .venv/bin/ntm users add --role admin admin).
serve: $(INSTALLED)
	$(BIN)/ntm serve

## Regenerate the Kim Bôi sample submissions and the blank template in raw/.
sample: $(INSTALLED)
	$(BIN)/ntm sample

## Refresh the generated parts of docs/ (the data dictionary needs a built warehouse: make run).
docs: $(INSTALLED)
	$(BIN)/ntm docs
	$(BIN)/ntm dictionary

## Benchmark: the pipeline on the sample, a province and the whole country, against the
## plain-DuckDB floor (bench/). Pick scales with BENCH_SCALES=kim_boi,province,country.
bench: $(INSTALLED)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/publish.py

## Delete the warehouse file; the next `make run` rebuilds it from raw/.
clean-warehouse:
	rm -f warehouse/ntm.duckdb warehouse/ntm.duckdb.wal warehouse/.ntm.duckdb.build warehouse/.ntm.duckdb.build.wal
