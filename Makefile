# Two commands set a fresh machine up:
#   make demo   create .venv, install kavalai, run the demo
#   make test   lint, type-check and test, once with the aio extra on reactivex 4.x
#               (.venv) and once without it on the newest reactivex (.venv-rx-latest)

PYTHON ?= python3
VENV := .venv
VENV_LATEST := .venv-rx-latest
PIP_FLAGS := --quiet --disable-pip-version-check
SOURCES := kavalai tests benchmarks
NODE_DIR := tests/web/node
NODE_DEPS := $(NODE_DIR)/node_modules/.installed

.PHONY: demo test lint typecheck pytest bench clean

demo: $(VENV)/.demo
	$(VENV)/bin/python -m kavalai demo

test: lint typecheck pytest

lint: $(VENV)/.test
	$(VENV)/bin/ruff check $(SOURCES)
	$(VENV)/bin/ruff format --check $(SOURCES)

typecheck: $(VENV)/.test $(VENV_LATEST)/.test
	$(VENV)/bin/mypy --strict
	$(VENV_LATEST)/bin/mypy --strict

pytest: $(VENV)/.test $(VENV_LATEST)/.test $(NODE_DEPS)
	$(VENV)/bin/pytest
	$(VENV_LATEST)/bin/pytest

bench: $(VENV)/.test
	$(VENV)/bin/python benchmarks/bench_streamer.py
	$(VENV)/bin/python benchmarks/bench_partial_json_engine.py
	$(VENV)/bin/python benchmarks/bench_partial_json.py
	$(VENV)/bin/python benchmarks/bench_partial_json_peers.py
	$(VENV)/bin/python benchmarks/soak_streamer.py
	$(VENV)/bin/python benchmarks/bench_web.py
	$(VENV)/bin/python benchmarks/bench_redis.py
	$(VENV)/bin/python benchmarks/bench_providers.py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.demo: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[demo]'
	touch $@

$(VENV)/.test: pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/pip install $(PIP_FLAGS) -e '.[aio,web,redis,openai,anthropic,display,test,bench]' 'reactivex>=4.1,<5'
	touch $@

$(VENV_LATEST)/.test: pyproject.toml
	$(PYTHON) -m venv $(VENV_LATEST)
	$(VENV_LATEST)/bin/pip install $(PIP_FLAGS) --upgrade -e '.[web,redis,openai,anthropic,display,test,bench]' reactivex
	touch $@

# The AI SDK's own UI message stream reader, pinned by the lockfile, for the web tests.
$(NODE_DEPS): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "the web tests need Node.js 20+ and npm: apt-get install nodejs npm" >&2; exit 1; }
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) $(VENV_LATEST) $(NODE_DIR)/node_modules .mypy_cache .pytest_cache .ruff_cache .hypothesis
