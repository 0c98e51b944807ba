# Kamtibmas: the README's two commands (`make run`, `make test`) and a few helpers.
# Every target is idempotent; the install steps are skipped while pyproject.toml is unchanged.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
KAMTIBMAS := $(BIN)/kamtibmas
PIP := $(BIN)/python -m pip
PIP_FLAGS := --quiet --disable-pip-version-check --prefer-binary
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

.DEFAULT_GOAL := help
.PHONY: help run install install-dev test lint migrations-check messages clean

help:
	@echo "make run               install, migrate, load Balikpapan + demo data, serve on http://127.0.0.1:8000"
	@echo "make test              install test tools and run the whole test suite"
	@echo "make install           install or upgrade the application in $(VENV)"
	@echo "make lint              ruff check, ruff format --check, mypy"
	@echo "make migrations-check  fail if a model change has no migration"
	@echo "make messages          compile the translations"
	@echo "make clean             remove caches, collected static files and install stamps"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Kamtibmas needs Python 3.11 or newer (set PYTHON=python3.12 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(PIP) install $(PIP_FLAGS) --upgrade pip
	$(PIP) install $(PIP_FLAGS) -e .
	@touch $@

$(INSTALLED_DEV): pyproject.toml $(INSTALLED)
	$(PIP) install $(PIP_FLAGS) -e '.[dev]'
	@touch $@

install: $(INSTALLED)

install-dev: $(INSTALLED_DEV)

run: $(INSTALLED)
	$(KAMTIBMAS) migrate --noinput -v 0
	$(KAMTIBMAS) manage createcachetable
	$(KAMTIBMAS) manage collectstatic --noinput -v 0
	$(KAMTIBMAS) demo
	$(KAMTIBMAS) serve

test: $(INSTALLED_DEV)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(INSTALLED_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy kamtibmas kamtibmas_analytics kamtibmas_cctv

migrations-check: $(INSTALLED)
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: $(INSTALLED_DEV)
	@if command -v xgettext >/dev/null; then \
		$(BIN)/python manage.py makemessages -l id -l en --no-obsolete \
			--ignore='.venv/*' --ignore='tests/*' --ignore='var/*'; \
	else echo "GNU gettext not installed: compiling the catalogues without re-extracting"; fi
	$(BIN)/python -m kamtibmas.i18n merge
	$(BIN)/python -m kamtibmas.i18n compile
	$(BIN)/python -m kamtibmas.i18n check

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info var/static test-results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	rm -f $(INSTALLED) $(INSTALLED_DEV)
