# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/simnet run scenarios/quickstart.yaml

lint: $(STAMP)
	$(PY) -m ruff check simnet tests bench

test: $(STAMP) lint
	$(PY) -m pytest -n 2

bench: $(STAMP)
	$(PY) bench/tcp_bulk.py
	$(PY) bench/scenarios.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
