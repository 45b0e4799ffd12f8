# One entry point for developers and CI. `make test` is what CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
RUN_STAMP = $(VENV)/.installed-run

.DEFAULT_GOAL := test
.PHONY: install run test lint format typecheck pytest cov bench fuzz stress test-all clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Running needs only the package and its dependencies, not the lint and
# test toolchain of `make install`.
$(RUN_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/hotreload watch sample_modules

lint: $(STAMP)
	$(BIN)/ruff check hotreload tests bench fuzz
	$(BIN)/ruff format --check hotreload tests bench fuzz

format: $(STAMP)
	$(BIN)/ruff check --fix-only hotreload tests bench fuzz
	$(BIN)/ruff format hotreload tests bench fuzz

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/coverage run -m pytest $(PYTEST_ARGS)
	$(BIN)/coverage report --fail-under=85

test: lint typecheck pytest

# The benchmark compares with jurigged and IPython; it installs the bench extra.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

# The differential fuzzer: 2,000 random edit sequences, live vs fresh.
FUZZ_ARGS ?= --seed 1 --sequences 2000
fuzz: $(STAMP)
	$(BIN)/python -m fuzz $(FUZZ_ARGS)

# Faults, load and bad input against one live process; prints one table.
stress: $(STAMP)
	$(BIN)/python -m bench.stress

# The suite on every interpreter of 3.11, 3.12 and 3.13 that pyenv has here.
test-all:
	@found=0; for v in 3.11 3.12 3.13; do \
	  py=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$$v.*/bin/python3 2>/dev/null | sort -V | tail -n 1); \
	  if [ -z "$$py" ]; then py=$$(command -v python$$v || true); fi; \
	  if [ -z "$$py" ]; then echo "== Python $$v: not found, skipped"; continue; fi; \
	  found=1; echo "== Python $$v ($$py)"; \
	  $(MAKE) --no-print-directory pytest VENV=.venv-$$v PYTHON=$$py || exit 1; \
	done; test $$found = 1

clean:
	rm -rf $(VENV) .venv-* .mypy_cache .ruff_cache .pytest_cache .coverage .coverage.* htmlcov dist build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
