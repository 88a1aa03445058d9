# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean venv interop fuzz wheel

venv: $(STAMP)

# Quiet: errors still show; setuptools' "Editable installation" notice (a warning pip 25+
# replays from the build backend on every editable install) is not one.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -W 'ignore:Editable installation:UserWarning' -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/simnet run scenarios/quickstart.yaml

lint: $(STAMP)
	$(PY) -m ruff check simnet tests bench examples setup.py
	$(PY) -m mypy

test: $(STAMP) lint
	$(PY) -m pytest -n 2

# The real pppd in a QEMU guest against `simnet serve --pty` (tests/interop); installs the Debian
# packages it needs, or skips saying why.
interop: $(STAMP)
	bash tests/interop/install-packages.sh
	SIMNET_INTEROP=1 $(PY) -m pytest tests/interop -v -rs

# The long fuzzing campaign (docs/reliability.md): 10 minutes of scenario mutants, AT lines
# for every module, hostile API calls, then the bridge attacked over loopback, then 1,000 fault
# schedules against each chaos scenario (docs/chaos.md).
fuzz: $(STAMP)
	$(PY) -m tests.fuzz.campaign --minutes 10 --bridge --chaos 1000 --json fuzz-report.json

# Build the sdist and the wheel, install the wheel in a fresh venv outside the checkout and run the
# shipped example there (.ci/wheel-check; CI runs it).
wheel: $(STAMP)
	bash .ci/wheel-check $(PY)

bench: $(STAMP)
	$(PY) bench/tcp_bulk.py
	$(PY) bench/scenarios.py
	$(PY) bench/sweep.py
	$(PY) bench/chaos.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis fuzz-report.json
