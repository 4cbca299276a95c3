# The two commands of the README: `make run` and `make test`. Both work as root on a fresh
# Debian machine with Python 3.11 (they install what is missing from the package registries).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint typecheck pytest bench screenshots clean system-packages

run: $(VENV)/.run-installed
	$(BIN)/lobby-agenda demo --if-empty
	$(BIN)/lobby-agenda serve

NODE_READERS := tests/js/node_modules/.installed

test: system-packages $(VENV)/.test-installed $(NODE_READERS) lint typecheck pytest

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed system-packages $(NODE_READERS)
	$(BIN)/pytest

bench: $(VENV)/.test-installed system-packages
	$(BIN)/python bench/bench_occurrences.py
	$(BIN)/python bench/bench_feeds.py
	$(BIN)/python bench/bench_feed_memory.py
	$(BIN)/python bench/bench_reminders.py
	$(BIN)/python bench/bench_lateness.py
	$(BIN)/python bench/bench_planning_lock.py --items 5000

# Every page as each kind of reader sees it, at desktop and phone width, for a reviewer:
# PNGs and an index.html in var/screenshots/ (not committed).
screenshots: $(VENV)/.test-installed system-packages
	$(BIN)/python tools/screenshots.py --output var/screenshots

# What the tests need from Debian: Python's venv module, the PostgreSQL server the suite starts,
# Chromium for the browser tests (Playwright drives Debian's build; it cannot download its own),
# and node with npm for Mozilla ical.js, the independent calendar reader the tests judge feeds by.
system-packages:
	@missing=""; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

$(VENV)/bin/python:
	@$(PYTHON) -c "import ensurepip" 2>/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed

# ical.js at the version pinned in tests/js/package-lock.json, from the npm registry.
$(NODE_READERS): tests/js/package-lock.json | system-packages
	npm ci --prefix tests/js --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis tests/js/node_modules
