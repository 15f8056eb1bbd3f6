# The two commands of the README:
#   make run   - set up and simulate the bundled reference plant for a week
#   make test  - set up and run every check: ruff, mypy, the whole test suite
# Each creates the virtualenv and installs what it needs by itself.

PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEVSTAMP:= $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest bench clean system

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEVSTAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/taktline simulate --days 7 --seed 1

system:
	scripts/setup-system

test: $(DEVSTAMP) system
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/python -m pytest -n 2 -q

bench: $(DEVSTAMP)
	$(BIN)/python bench/serial_line.py
	$(BIN)/python bench/plant_year.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
