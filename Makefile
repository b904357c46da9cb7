# showerml: every target sets up .venv on first use (pinned CPU torch, then the package with its extras).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
TORCH  := torch==2.13.0

.PHONY: setup demo test test-all bench lint clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[dev,collider,gbdt,lhco,integration,distributed,inference,fits]" $(TORCH)
	touch $@

setup: $(VENV)/.installed

demo: setup
	MPLBACKEND=Agg $(VENV)/bin/showerml demo --out runs/demo --overwrite

test: setup
	MPLBACKEND=Agg $(PY) -m pytest -q -m "not slow" -p no:cacheprovider

test-all: setup
	MPLBACKEND=Agg $(PY) -m pytest -q -p no:cacheprovider

bench: setup
	MPLBACKEND=Agg $(PY) benchmarks/run_all.py

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) runs .pytest_cache build src/*.egg-info
