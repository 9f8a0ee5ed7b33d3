# A fresh clone needs Python 3.11+ and make; everything else comes from locks:
#   make demo         create .venv from requirements/demo.txt, install kavalai, run the demo
#   make test         what CI runs: install the system programs the tests use when they
#                     are missing and it can (.ci/system-deps); install Node.js and the AI
#                     SDK from tests/web/node/package-lock.json; then lint (ruff),
#                     type-check (mypy --strict) and test (pytest), twice, in virtual
#                     environments made from locks: .venv, with the aio extra on
#                     reactivex 4.x (requirements/test.txt), and .venv-rx-latest, without
#                     it on the newest reactivex major (requirements/test-rx-latest.txt)
#   make test-latest  the same checks in .venv-latest, made anew each time from the newest
#                     release of every Python dependency, with no lock: what the next
#                     `make lock` would bring, seen on purpose
#   make lock         rewrite requirements/*.txt from requirements/*.in and pyproject.toml,
#                     every package at its newest release, with hashes, by the uv that
#                     requirements/tools.txt pins; `make lock LOCK_UPGRADE=` keeps the
#                     pins that still fit and resolves only what changed
#   make system-deps  only the system programs (Debian's npm, Chromium, redis-server, tmux)
#   make bench        the benchmarks, in .venv
#   make clean        remove the virtual environments, node_modules and the caches

PYTHON ?= python3
VENV := .venv
VENV_LATEST := .venv-rx-latest
VENV_NEWEST := .venv-latest
VENV_LOCK := .venv-lock
PIP_FLAGS := --quiet --disable-pip-version-check
# Every file checked against the lock's hashes, and none built from source.
LOCKED := --require-hashes --only-binary :all:
TEST_EXTRAS := web,redis,openai,anthropic,gemini,display,otel,test,bench
SOURCES := kavalai tests benchmarks
NODE_DIR := tests/web/node
NODE_DEPS := $(NODE_DIR)/node_modules/.installed
# The tests run the Node.js that the lockfile pins (node-linux-*), found first on PATH.
WITH_NODE = PATH="$$(for bin in $(CURDIR)/$(NODE_DIR)/node_modules/node-linux-*/bin; do \
	[ -x "$$bin/node" ] && printf '%s:' "$$bin"; done)$$PATH"

.PHONY: demo test test-latest lint typecheck pytest system-deps lock bench clean

demo: $(VENV)/.demo
	$(VENV)/bin/python -m kavalai demo

test: lint typecheck pytest

lint: $(VENV)/.test
	$(VENV)/bin/ruff check $(SOURCES)
	$(VENV)/bin/ruff format --check $(SOURCES)

typecheck: $(VENV)/.test $(VENV_LATEST)/.test
	$(VENV)/bin/mypy --strict
	$(VENV_LATEST)/bin/mypy --strict

pytest: system-deps $(VENV)/.test $(VENV_LATEST)/.test $(NODE_DEPS)
	$(WITH_NODE) $(VENV)/bin/pytest
	$(WITH_NODE) $(VENV_LATEST)/bin/pytest

test-latest: system-deps $(NODE_DEPS)
	rm -rf $(VENV_NEWEST)
	$(PYTHON) -m venv $(VENV_NEWEST)
	$(VENV_NEWEST)/bin/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(VENV_NEWEST)/bin/python -m pip install $(PIP_FLAGS) --upgrade -e '.[$(TEST_EXTRAS)]' reactivex
	$(VENV_NEWEST)/bin/python -m pip list --format=freeze
	$(VENV_NEWEST)/bin/ruff check $(SOURCES)
	$(VENV_NEWEST)/bin/ruff format --check $(SOURCES)
	$(VENV_NEWEST)/bin/mypy --strict
	$(WITH_NODE) $(VENV_NEWEST)/bin/pytest

system-deps:
	@bash .ci/system-deps

bench: $(VENV)/.test
	$(VENV)/bin/python benchmarks/bench_streamer.py
	$(VENV)/bin/python benchmarks/bench_partial_json_engine.py
	$(VENV)/bin/python benchmarks/bench_partial_json.py
	$(VENV)/bin/python benchmarks/bench_partial_json_peers.py
	$(VENV)/bin/python benchmarks/soak_streamer.py
	$(VENV)/bin/python benchmarks/bench_web.py
	$(VENV)/bin/python benchmarks/bench_redis.py
	$(VENV)/bin/python benchmarks/bench_providers.py
	$(VENV)/bin/python benchmarks/bench_ingest.py

# $(call venv,DIR): make DIR a virtual environment, if it is not one, with the pip
# that requirements/pip.txt pins.
define venv
	test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install $(PIP_FLAGS) $(LOCKED) --no-deps -r requirements/pip.txt
endef

# $(call install_locked,DIR,LOCK): install LOCK into DIR, then kavalai from this clone,
# editable, built by the hatchling that LOCK pins.
define install_locked
	$(call venv,$(1))
	$(1)/bin/python -m pip install $(PIP_FLAGS) $(LOCKED) -r $(2)
	$(1)/bin/python -m pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	$(1)/bin/python -m pip check
endef

$(VENV)/.demo: pyproject.toml requirements/demo.txt requirements/pip.txt
	$(call install_locked,$(VENV),requirements/demo.txt)
	touch $@

$(VENV)/.test: pyproject.toml requirements/test.txt requirements/pip.txt
	$(call install_locked,$(VENV),requirements/test.txt)
	touch $@

$(VENV_LATEST)/.test: pyproject.toml requirements/test-rx-latest.txt requirements/pip.txt
	$(call install_locked,$(VENV_LATEST),requirements/test-rx-latest.txt)
	touch $@

# The AI SDK's own UI message stream reader, and the Node.js that runs it, pinned by the
# lockfile, for the web tests. Without npm, those tests fail saying how to install it.
$(NODE_DEPS): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json | system-deps
	@if command -v npm >/dev/null; then \
		echo "npm ci --prefix $(NODE_DIR)"; \
		npm ci --prefix $(NODE_DIR) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "no npm: the AI SDK tests will fail; install it with: apt-get install nodejs npm" >&2; \
	fi

# The locks. uv writes them for every platform (--universal) and Python 3.11 and newer;
# the demo's is held to the test lock's versions, since both go into .venv.
LOCK_UPGRADE ?= --upgrade
COMPILE = $(VENV_LOCK)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes $(LOCK_UPGRADE) --custom-compile-command 'make lock'
comma := ,
LOCK_EXTRAS := $(foreach extra,$(subst $(comma), ,$(TEST_EXTRAS)),--extra $(extra))

lock: $(VENV_LOCK)/.installed
	$(COMPILE) requirements/tools.in -o requirements/tools.txt
	$(COMPILE) requirements/pip.in -o requirements/pip.txt
	$(COMPILE) pyproject.toml requirements/build.in requirements/test.in --extra aio \
		$(LOCK_EXTRAS) -o requirements/test.txt
	$(COMPILE) pyproject.toml requirements/build.in $(LOCK_EXTRAS) \
		-o requirements/test-rx-latest.txt
	$(COMPILE) pyproject.toml requirements/build.in --extra demo -c requirements/test.txt \
		-o requirements/demo.txt

$(VENV_LOCK)/.installed: requirements/tools.txt requirements/pip.txt
	$(call venv,$(VENV_LOCK))
	$(VENV_LOCK)/bin/python -m pip install $(PIP_FLAGS) $(LOCKED) -r requirements/tools.txt
	touch $@

clean:
	rm -rf $(VENV) $(VENV_LATEST) $(VENV_NEWEST) $(VENV_LOCK) $(NODE_DIR)/node_modules \
		.mypy_cache .pytest_cache .ruff_cache .hypothesis
