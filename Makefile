# Roost: `make run` starts it, `make test` tests it. Both create .venv when it is missing.
PYTHON ?= python3
# pytest-xdist workers: two per core, since most tests wait on sockets and databases
JOBS   ?= 4
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench browser clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# config.toml when you made one, else the documented example (SQLite, console, demo roles)
CONFIG ?= $(if $(wildcard config.toml),config.toml,config.example.toml)

run: $(STAMP)
	$(BIN)/roost --config $(CONFIG) run

test: $(STAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not paced" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m paced $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy bot storage tests bench

# Debian's Chromium for the dashboard's browser tests (Playwright drives it; no browser download)
browser:
	@command -v chromium >/dev/null || apt-get install -y -qq chromium \
		|| (apt-get update -qq && apt-get install -y -qq chromium)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache roost.db* roost.jobs.db
