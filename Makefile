# Two commands set everything up on a fresh machine with Python 3.10+ and make:
#   make report   create .venv if missing, install, build the full report on the demo data
#   make test     create .venv if missing, install, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install report test lint bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install clvkit with its test tools

report: $(STAMP) ## build the full report on the bundled demo data into reports/latest
	$(BIN)/clvkit report --data demo --out reports/latest

test: $(STAMP) ## run the whole test suite (unit, notebooks via nbval, report + browser)
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff on the package, tests and notebooks
	$(BIN)/ruff check src tests notebooks benchmarks

bench: $(STAMP) ## clvkit vs plain lifetimes, 1 million customers
	$(BIN)/python benchmarks/bench_vs_lifetimes.py

clean: ## remove the virtual environment and generated reports
	rm -rf $(VENV) reports/latest reports/.staging-*
