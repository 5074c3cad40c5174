# Two entry points for a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: demo test setup bench bench-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

## Open the console on a throwaway store with demo data and an embedded server.
demo: $(STAMP)
	$(VENV)/bin/critresp demo

## Set up and run the whole test suite.
test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadgroup

## Full benchmark at 100,000 cases (see docs/performance.md).
bench: $(STAMP)
	$(PY) -m bench.run --cases 100000

bench-smoke: $(STAMP)
	$(PY) -m bench.run --cases 2000 --smoke

clean:
	rm -rf $(VENV) build dist .pytest_cache
