# Xingqu — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo serve test ci lint format typecheck migration clean help

help:
	@echo "make demo   - create .venv, install, build the demo marketplace and serve it"
	@echo "make test   - install test needs and run the whole suite (skips what needs absent services)"
	@echo "make ci     - lint, type-check and the suite with PostgreSQL and Redis required (CI=true)"

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.runtime

# CI also installs the optional sequence extra (PyTorch, CPU build) so SASRec is tested.
$(VENV)/.ci: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[dev,sequence]'
	@touch $@ $(VENV)/.dev $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(VENV)/bin/xingqu demo

serve: $(VENV)/.runtime
	$(VENV)/bin/xingqu serve

test: $(VENV)/.dev
	$(PY) -m pytest -q

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts

typecheck: $(VENV)/.dev
	$(VENV)/bin/mypy

format: $(VENV)/.dev
	$(VENV)/bin/ruff format src tests bench scripts
	$(VENV)/bin/ruff check --fix src tests bench scripts

migration: $(VENV)/.dev
	$(PY) scripts/regen_initial_migration.py

ci: $(VENV)/.ci
	bash scripts/ensure_services.sh
	bash scripts/ensure_browser.sh
	$(MAKE) lint typecheck
	CI=true $(PY) -m pytest -q -p no:cacheprovider --durations=15

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
