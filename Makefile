# The few verbs people type. `make run` and `make test` each install what they need into
# .venv first (from requirements*.txt), so both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q

.PHONY: run test install install-dev openapi docker clean bench

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## run: install and serve on http://$(HOST):$(PORT) with gunicorn (production config)
run: install
	ACTFN_BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py "service:create_app()"

## test: install and run the whole test suite
test: install-dev
	$(BIN)/python -m pytest

## openapi: regenerate openapi.yaml from the schemas (a test fails when it drifts)
openapi: install
	FLASK_APP="service:create_app()" $(BIN)/flask openapi write --format=yaml openapi.yaml

docker:
	docker build -t actfn:latest .

clean:
	rm -rf $(VENV) .pytest_cache

$(VENV)/.installed-bench: $(VENV)/.installed requirements-bench.txt
	$(PIP) -r requirements-bench.txt
	touch $@

## bench: measure everything in one run; prints a table and writes docs/benchmarks.md (needs wrk)
bench: $(VENV)/.installed-bench
	@command -v wrk >/dev/null || echo "wrk not found: the HTTP part is skipped (apt-get install wrk)"
	$(BIN)/python bench/run.py
