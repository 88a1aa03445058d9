# Two commands on a fresh machine with only python3: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean venv interop fuzz wheel compiled compiled-check

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

# The opt-in compiled build (docs/architecture.md, "The compiled build"): a separate venv with
# simnet installed (not editable: no extension module ever lands in the checkout) and the hot
# modules of simnet/_build.py compiled by mypyc. MYPY_PIN is the dev extra's pin (pyproject.toml;
# tests/packaging checks they agree). Rebuilt when a source file changes.
CVENV := .venv-compiled
CPY := $(CVENV)/bin/python
CDEPS := $(CVENV)/.deps
CSTAMP := $(CVENV)/.installed
MYPY_PIN := mypy==2.4.1
TEST_TOOLS := 'pytest>=8' 'pytest-xdist>=3.5' 'hypothesis>=6.100'

$(CDEPS): pyproject.toml
	rm -rf $(CVENV)
	$(PYTHON) -m venv $(CVENV)
	$(CPY) -m pip install --quiet --upgrade pip
	$(CPY) -m pip install --quiet 'setuptools>=77' $(MYPY_PIN) types-PyYAML $(TEST_TOOLS) \
		$$($(CPY) -c 'import tomllib; print(*tomllib.load(open( \
		"pyproject.toml", "rb"))["project"]["dependencies"])')  # mypyc reads their types
	touch $(CDEPS)

$(CSTAMP): $(CDEPS) setup.py $(shell find simnet -name '*.py')
	rm -rf build
	$(CPY) -m pip uninstall -qq --yes simnet 2>/dev/null || true
	SIMNET_COMPILE=1 $(CPY) -m pip install --quiet --no-build-isolation .
	rm -rf build
	$(CVENV)/bin/simnet --version
	touch $(CSTAMP)

compiled: $(CSTAMP)

# Compiled and interpreted builds give identical digests for every library scenario and for
# bench/tcp_bulk; then the tests of the compiled layers and of those right above them run
# against the compiled build (about 25 s; --import-mode append and tests/ as the working
# directory: the installed compiled package, not the checkout's sources, is the simnet imported).
COMPILED_TESTS := kernel net modem bearer servers stories
compiled-check: $(CSTAMP) $(STAMP)
	$(PY) bench/digests.py --against $(CPY)
	cd tests && SIMNET_EXPECT_COMPILED=1 ../$(CVENV)/bin/pytest -n 2 -p no:cacheprovider \
		--import-mode=append --rootdir=.. $(COMPILED_TESTS)

bench: $(STAMP)
	$(PY) bench/tcp_bulk.py
	$(PY) bench/scenarios.py
	$(PY) bench/sweep.py
	$(PY) bench/chaos.py

clean:
	rm -rf $(VENV) $(CVENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis fuzz-report.json
