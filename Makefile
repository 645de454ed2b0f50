# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# What the browser tests and the report book need from the operating system (Debian).
SYSTEM_PACKAGES := chromium chromium-headless-shell fonts-thai-tlwg fonts-thai-tlwg-otf gettext poppler-utils

.PHONY: install system-packages run test lint check serve clean bench drills

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Installs Debian's Chromium, Thai fonts, gettext and pdftotext when missing (needs root and apt, as on our machines).
system-packages:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "please install:$$missing (sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

run: install system-packages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Serving on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@echo "Demo mode: DEBUG is on for this server (never in production: see "Configuration and production" in README.md)"
	DEBUG=$${DEBUG:-1} $(BIN)/daphne --bind $(HOST) --port $(PORT) config.asgi:application

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 0

test: install system-packages lint
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python -m pytest

# Issue 9's benchmarks: ours (bench/suite.py) and the stock-viewflow peer (bench-peer beside this repository), on SQLite and on PostgreSQL
# (127.0.0.1:5432, throwaway databases rmbench and peerbench), printed as one table. About 15 minutes;
# larger sizes: make bench BENCH_ARGS="--districts 0 --sizes 1,10,100". Prints figures, never fails on them.
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Issue 12's failure drills (docs/reliability.md): SIGKILLed PostgreSQL backends, Redis and PostgreSQL
# outages, backup and restore. Each uses its own PostgreSQL cluster and Redis on free ports. About 5 minutes.
drills: install
	$(BIN)/python -m drills.sigkill --fail-on-500 --projects-per-district 150
	$(BIN)/python -m drills.outage
	$(BIN)/python -m drills.backup_restore

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache test-artifacts
