# Two commands for a newcomer: `make demo` and `make test`. Both build .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench docs clean

help: ## List every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[embedded,dev]'
	@touch $(STAMP)

# The bot-side reply handler's test dependencies (its module itself needs none).
HANDLER := integrations/ai_admin_v2
NODE_STAMP := $(HANDLER)/node_modules/.installed

$(NODE_STAMP): $(HANDLER)/package.json $(HANDLER)/package-lock.json
	@command -v npm >/dev/null || { echo "npm is required for the bot handler's tests (Node 18+)"; exit 2; }
	npm ci --prefix $(HANDLER) --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

install: $(STAMP) ## Create .venv and install the project with its extras

demo: $(STAMP) ## Run the whole loop on embedded Postgres and Redis
	$(BIN)/reactivate demo

test: $(STAMP) $(NODE_STAMP) ## Every test, the bot handler's Node tests too, on real Postgres and Redis
	$(BIN)/pytest

lint: $(STAMP) ## ruff, and sqlfluff (the dbt project through the dbt templater)
	$(BIN)/ruff check runner tests
	$(BIN)/ruff format --check runner tests
	$(BIN)/sqlfluff lint runner/sql
	$(BIN)/python -m tests.with_database -- \
		$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests --templater dbt

format: $(STAMP) ## Apply ruff's formatting and fixes
	$(BIN)/ruff format runner tests
	$(BIN)/ruff check --fix runner tests

bench: $(STAMP) ## Performance report (slow; not part of CI)
	$(BIN)/pytest -m bench -s -p no:cacheprovider tests/bench

docs: $(STAMP) ## The dbt docs of the demo's database (after `make demo`): dbt_project/target/index.html
	$(BIN)/reactivate --embedded docs

clean: ## Remove the virtualenv, the embedded servers' data and dbt's target
	rm -rf $(VENV) .embedded dbt_project/target dbt_project/logs $(HANDLER)/node_modules
