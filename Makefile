# The two commands of the README: `make run` and `make test`.
#
# Both install from lock files with hashes (requirements.lock for running,
# requirements-test.lock for the tests), then the project itself without its
# dependencies: every node and every CI run gets the very same releases,
# byte for byte, however far apart they are installed. `make lock` refreshes
# both files from pyproject.toml; commit them together.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# The resolver that writes the lock files, pinned so a refresh is reproducible.
PIP_TOOLS := pip-tools==7.6.2
# pip-compile reads only what pyproject.toml asks for from the default index:
# no machine-local pip configuration or wheel folder may leak into the hashes.
LOCK_ENV := env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null
LOCK_ARGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links

.PHONY: run test check lint typecheck contracts pytest bench bench-fleet lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(STAMP_TEST): requirements-test.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(STAMP_RUN)

# Re-resolves both lock files from pyproject.toml (newest releases allowed by
# its ranges); `--upgrade` so a refresh really moves. Review the diff, then
# `make test` installs from the new files.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(PIP_TOOLS)'
	$(LOCK_ENV) $(BIN)/pip-compile $(LOCK_ARGS) --upgrade --output-file requirements.lock pyproject.toml
	$(LOCK_ENV) $(BIN)/pip-compile $(LOCK_ARGS) --upgrade --extra test --output-file requirements-test.lock pyproject.toml

run: $(STAMP_RUN)
	$(BIN)/axis serve --demo

test: $(STAMP_TEST)
	$(MAKE) --no-print-directory check

# The checks CI runs, in order; each must pass.
check: lint typecheck contracts pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest

bench: $(STAMP_TEST)
	$(BIN)/python -m benchmarks.envelope_parse
	$(BIN)/python -m benchmarks.verify

# The fleet's figures (issue 13): intake of two nodes against one, pushes in
# flight against the limit, takeover, restart and failover. Takes minutes.
bench-fleet: $(STAMP_TEST)
	$(BIN)/python -m benchmarks.fleet

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
