# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test install install-test browser postgres lint clean bench

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/activate
	$(PY) -m pip install -q -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## make run: the bundled demo network served on loopback, crawled, indexed, and the site at http://127.0.0.1:5000
run: install
	$(BIN)/crpv-watch demo

# axe-core for the accessibility tests, pinned by package-lock.json.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility tests will be skipped (failed under CI=true)" >&2; fi

# Test files run on one process per core (pytest-xdist), a whole file to a process: module fixtures (the PDF
# corpus, the demo crawl, the wheel built in the checkout) are then paid once. `make test XDIST=` runs serially.
XDIST ?= -n auto --maxprocesses 4 --dist loadfile

## make test: lint, the whole suite on SQLite (browser tests included: Chromium is installed if missing), then the
## database tests again on a throwaway PostgreSQL cluster (PostgreSQL is installed if missing)
test: install-test browser postgres node_modules/axe-core/axe.min.js
	$(BIN)/ruff check crpv_watch tests bench
	$(BIN)/python -m pytest $(XDIST) --durations=15 $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(XDIST) --database=postgresql -m database --durations=10 $(PYTEST_ARGS)

browser:
	@bash scripts/ensure-browser.sh

postgres:
	@bash scripts/ensure-postgres.sh

bench: install-test
	$(PY) bench/crawl.py

clean:
	rm -rf $(VENV) var index/*
