# conveyor developer commands. `make demo` and `make check` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install check lint types test bench demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/pytest -q

check: lint types test

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

demo: $(STAMP)
	@echo "make demo arrives with the run engine (issue 3)"; exit 1

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
