# Carepost. The README's two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-fast lint bench-screening bench-takedown lock system-test-deps clean migrate

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

$(VENV)/.installed-base: requirements/base.lock requirements/nodeps.txt pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/base.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.lock requirements/nodeps.txt pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/test.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-bench: requirements/bench.lock requirements/nodeps.txt pyproject.toml | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/bench.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

## Run the product on SQLite with the database task backend, a demo organisation and printed logins.
demo: $(VENV)/.installed-base
	mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo "Starting the web server on http://127.0.0.1:8000 and the task worker (Ctrl+C stops both)."
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py worker & \
	  $(PY) manage.py runserver 127.0.0.1:8000 --noreload

## Install everything the tests need (Debian's chromium included) and run the whole suite.
test: system-test-deps $(VENV)/.installed-test
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile
	$(MAKE) --no-print-directory lint

test-fast: $(VENV)/.installed-test
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile -m "not browser"

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src config

system-test-deps:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v exiftool >/dev/null || missing="$$missing libimage-exiftool-perl"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi

## Screening quality and speed, against Presidio in the same run.
bench-screening: $(VENV)/.installed-bench
	$(PY) bench/screening/run.py

## Withdrawal to every live publication taken down: median and p95 over several runs.
bench-takedown: $(VENV)/.installed-base
	$(PY) bench/takedown/run.py

## Re-pin every dependency (needs the package registry).
lock: | $(UV)
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml -o requirements/base.lock
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml --extra test -o requirements/test.lock
	$(UV) pip compile --quiet --python-version 3.11 pyproject.toml --extra bench -o requirements/bench.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
