# capex-monitor: `make demo`, `make test`, `make bench`, `make eval` on a machine with only python3, git and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Prefect must never phone home: no analytics, no telemetry, wherever the project starts it.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo test test-fast check bench bench-scale profile eval lint typecheck clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	# the machine's pip 23 resolves trafilatura's extras badly: upgrade it inside the venv first
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/capex demo --db data/demo.duckdb

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# the file and the lake (a throwaway PostgreSQL catalog) side by side up to 100k articles: out/bench-scale.json
bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks.scale

profile: $(STAMP)
	$(BIN)/python -m benchmarks.profile_poll --out out/poll-profile.txt

eval: $(STAMP)
	$(BIN)/python -m tasks.extract.facts.evaluate

# the rule set and the mypy settings live in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check flows tasks tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# what CI runs before the whole suite: lint, types and the fast tests
check: lint typecheck test-fast

clean:
	rm -rf $(VENV) data/demo.duckdb data/demo.duckdb.raw
