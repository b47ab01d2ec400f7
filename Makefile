# Two commands for a newcomer: `make demo` and `make test`. Both build .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench clean

help: ## List every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its extras

demo: $(STAMP) ## Run the whole loop on embedded Postgres and Redis
	$(BIN)/reactivate demo

test: $(STAMP) ## Run every test against real Postgres and Redis (embedded unless PG*/REDIS_URL)
	$(BIN)/pytest

lint: $(STAMP) ## sqlfluff and ruff
	$(BIN)/ruff check runner tests
	$(BIN)/ruff format --check runner tests
	$(BIN)/sqlfluff lint runner/sql

format: $(STAMP) ## Apply ruff's formatting and fixes
	$(BIN)/ruff format runner tests
	$(BIN)/ruff check --fix runner tests

bench: $(STAMP) ## Performance report (slow; not part of CI)
	$(BIN)/pytest -m bench -s -p no:cacheprovider tests/bench

clean: ## Remove the virtualenv and the embedded servers' data
	rm -rf $(VENV) .embedded
