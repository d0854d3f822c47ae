# Two commands set everything up on a fresh machine with Python 3.10+ and make:
#   make report   create .venv if missing, install, build the full report on the demo data
#   make test     create .venv if missing, install, run the whole test suite
# The install uses uv when it is on PATH or already in .venv (from the dev extra), else
# pip: about 10-25 s instead of several minutes. `make install UV=` forces pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV ?= $(shell command -v uv 2>/dev/null || { test -x $(BIN)/uv && echo $(BIN)/uv; })

.PHONY: help install report test test-fast lint strip hooks bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
ifneq ($(UV),)
	test -x $(BIN)/python || $(UV) venv --seed --quiet --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -e '.[dev]'
else
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
endif
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install clvkit with its test tools

report: $(STAMP) ## build the full report on the bundled demo data into reports/latest
	$(BIN)/clvkit report --data demo --out reports/latest

test: $(STAMP) ## run the whole test suite (unit, notebooks via nbval, report + browser)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the fast lane: unit tests without notebooks, reports, browser or Spark
	$(BIN)/python -m pytest tests -m "not slow and not notebook and not browser"

lint: $(STAMP) ## ruff on the package, tests and notebooks
	$(BIN)/ruff check src tests notebooks benchmarks

strip: $(STAMP) ## remove outputs and execution counts from the committed notebooks
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

hooks: $(STAMP) ## strip notebooks, ruff and a size check before every git commit
	$(BIN)/pre-commit install

bench: $(STAMP) ## clvkit vs plain lifetimes, 1 million customers
	$(BIN)/python benchmarks/bench_vs_lifetimes.py

clean: ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports/latest reports/.staging-*
