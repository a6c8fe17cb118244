# The two commands a newcomer needs, plus the pieces they are made of.
#   make run    the whole system on this machine: Temporal dev server (SQLite), worker, demo incidents
#   make test   lint, type-check, import contracts and the whole test suite (installing the Debian packages the
#               tests need first)
#   make check  the fast loop: lint, type-check, import contracts and the pure tests (domain, import graph)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check install test-deps lint typecheck imports pytest fast-tests history bench clean

run: install
	$(BIN)/incidents dev

test: install test-deps lint typecheck imports pytest

check: install lint typecheck imports fast-tests

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

# the layers and forbidden imports of .importlinter (README, Architecture)
imports:
	$(BIN)/lint-imports --no-cache

# chromium, prometheus-alertmanager and docker-compose, with apt-get as root when missing (else: which, and how)
test-deps:
	scripts/install-test-deps

# Hypothesis's "ci" profile (tests/conftest.py): the same examples on every run and every machine
pytest: test-deps
	HYPOTHESIS_PROFILE=ci scripts/pytest

# pure units: no server, no process, no network
fast-tests:
	HYPOTHESIS_PROFILE=ci scripts/pytest -q tests/domain tests/test_import_graph.py

history: install
	$(BIN)/python scripts/record_history.py tests/histories/incident-v$(VERSION).json

bench: install
	for script in latency throughput scale storm failover archive; do $(BIN)/python bench/$$script.py --quick || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
