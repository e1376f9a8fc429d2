# The two README commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PG_ADMIN_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint typecheck translations translations-update install dev-install bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations
dev-install: $(VENV)/.dev-installed translations

translations: $(VENV)/.installed
	@if ls inventory/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel -q compile -d inventory/translations; fi

## after changing strings: extract them and merge into every catalogue
translations-update: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --no-location -o inventory/translations/messages.pot .
	$(BIN)/pybabel -q update -i inventory/translations/messages.pot -d inventory/translations --no-fuzzy-matching

## make run: virtualenv, install, migrate the SQLite database, demo data on first run (its generated
## logins printed once), serve on :5000 with waitress (a production WSGI server; runs on Windows too)
HOST ?= 127.0.0.1
PORT ?= 5000
run: install
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT) with waitress (Ctrl+C to stop)"
	$(BIN)/waitress-serve --listen=$(HOST):$(PORT) --threads=8 wsgi:app

## make test: lint, types, then the whole suite on SQLite and on PostgreSQL (skipped with a reason when
## absent), the two passes side by side; each one's output is printed when it ends
test: dev-install lint typecheck
	@$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

## TEST_DATABASE_URL emptied: CI exports it for the PostgreSQL pass, and this pass is SQLite's
test-sqlite:
	TEST_DATABASE_URL= $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres:
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-$(PG_ADMIN_URL)} $(BIN)/python -m pytest \
		--ignore=tests/rules --ignore=tests/labels $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

bench: dev-install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
