# Build, test and explore the utacbook research book.
#
#   make book   build the HTML book into _build/html (executes every chapter)
#   make test   unit tests + every chapter under nbmake + the strict book build
#   make lab    open the chapters in JupyterLab
#   make clean  remove build products and caches
#
# Everything runs inside a virtual environment in .venv, created on first use
# from pyproject.toml with one `pip install -e ".[dev]"`.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Numba's on-disk cache lives in the repository (ignored by git), for every target.
# Numba checks only the timestamp of the module that defines a cached kernel, not of
# the modules whose functions it inlines (utacbook/_rng.py), so the folder is keyed by
# a hash of the kernel sources: editing any of them starts a fresh cache.
KERNEL_HASH := $(shell cat utacbook/_*.py 2>/dev/null | sha1sum | cut -c1-12)
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache/$(KERNEL_HASH)
# Use the venv's kernelspecs and data files before any in the user's home.
export JUPYTER_PREFER_ENV_PATH := 1

JB_BUILD := $(BIN)/jupyter-book build . --builder html --all --warningiserror --keep-going

.PHONY: help install book test lab bench clean

help:
	@echo "make book   build the HTML book into _build/html (executes every chapter)"
	@echo "make test   unit tests, every chapter under nbmake, then the strict book build"
	@echo "make lab    open the chapters (book/) in JupyterLab"
	@echo "make bench  time utacbook against the Python and NumPy references in benchmarks/"
	@echo "make clean  remove _build, .numba_cache and .pytest_cache"

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "error: '$(PYTHON)' was not found; utacbook needs Python >= 3.10." >&2; \
	  echo "       Install it, or point make at one: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || { \
	  echo "error: utacbook needs Python >= 3.10, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1 | head -n 1)." >&2; \
	  echo "       Install Python 3.10+ and run e.g. make PYTHON=python3.11 $(MAKECMDGOALS)" >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	@touch $@

# No MPLBACKEND here: it would override the notebooks' inline backend and the book
# would lose its figures (tests/conftest.py selects Agg for the unit tests).

book: $(STAMP)
	$(JB_BUILD)
	@echo "The book is in _build/html/index.html"

# Each step stops `make test` with a non-zero status if it fails.
test: $(STAMP)
	@echo "== 1/3 unit tests"
	$(BIN)/pytest tests
	@echo "== 2/3 every chapter under nbmake"
	$(BIN)/pytest --nbmake book --nbmake-timeout=300
	@echo "== 3/3 strict book build (any Sphinx warning or cell error fails)"
	$(JB_BUILD)

# Jupyter refuses to start as root unless told to (containers, CI machines).
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) book/

# Performance is measured, not asserted: prints ratios against the shipped references.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_emergent_beta.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/bench_ising.py $(BENCH_ISING_FLAGS)

clean:
	rm -rf _build .numba_cache .pytest_cache
