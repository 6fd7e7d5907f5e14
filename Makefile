# Build, test and explore the utacbook research book.
#
#   make book   build the HTML book into _build/html (executes the chapters whose
#               code or package changed; nothing changed: no execution)
#   make test   unit tests + the strict book build (executes every chapter once)
#               + checks of the built book and the browser test of its pages
#   make browser-test   only the browser test, on the current _build/html
#   make lab    open the chapters in JupyterLab
#   make clean  remove build products and caches
#
# Everything runs inside a virtual environment in .venv, created on first use
# from pyproject.toml with one `pip install -e ".[dev]"` (with --no-compile: Python
# compiles the modules it imports on first use and caches them, see PYTHONDONTWRITEBYTECODE
# below; pip compiling all ~150 packages took ~50 s of the ~85 s install). The browser test also
# needs Debian's Chromium, which `make browser-deps` installs if it is missing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Numba's on-disk cache lives in the repository (ignored by git), for every target.
# Numba checks only the timestamp of the module that defines a cached kernel, not of
# the modules whose functions it inlines (utacbook/_kernels/rng.py), so the folder is keyed by
# a hash of every source that holds or feeds a kernel (utacbook/_kernels/ and the study
# modules with kernels of their own): editing any of them starts a fresh cache.
KERNEL_SOURCES := $(sort $(wildcard utacbook/_kernels/*.py) $(shell grep -rl --include='*.py' 'numba' utacbook 2>/dev/null))
KERNEL_HASH := $(shell cat $(KERNEL_SOURCES) /dev/null | sha1sum | cut -c1-12)
export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache/$(KERNEL_HASH)
# Use the venv's kernelspecs and data files before any in the user's home.
export JUPYTER_PREFER_ENV_PATH := 1
# Python caches compiled modules in __pycache__ even if the caller's environment says not
# to: the venv is installed with --no-compile, and without the cache every kernel, test
# worker and Dask worker compiled every module it imports again (everything ~35 % slower).
unexport PYTHONDONTWRITEBYTECODE

# Sphinx reads and writes the pages on every usable core (Jupyter Book 1 has no -j).
JB_BUILD := $(BIN)/python tests/build_book.py build . --builder html --all --warningiserror --keep-going
# The build executes chapters one at a time; tests/execute_chapters.py first executes every
# chapter missing from the execution cache on all usable cores (one chapter per core), exactly
# as MyST-NB would, so the build finds them all in the cache. Its kernels talk over Unix
# sockets, not TCP ports (two kernels starting at once can collide on a port).
EXECUTE_CHAPTERS = $(BIN)/python tests/execute_chapters.py --cache $(JCACHE)
# Unit tests and doctests on every usable core (pytest-xdist), one test file per worker at a time
# (--dist loadfile): a file's tests share the Numba kernels they compile; spread test by test,
# both workers compiled the same kernels on a clean clone (143 s against 163 s, 2 cores).
NPROC = $$($(BIN)/python -c 'from utacbook._threads import usable_cpus; print(max(1, usable_cpus()))')
# No progress bars in built pages or test logs (utacbook._progress).
export UTACBOOK_PROGRESS := 0

# Execution cache (jupyter-cache, _config.yml: execute_notebooks: cache). It keys a
# chapter by its code cells only, so it is emptied whenever the package or the stored
# results change: a stamp in the cache holds their hash.
JCACHE := _build/.jupyter_cache
PKG_HASH := $(shell cat $(sort $(wildcard utacbook/*.py utacbook/*/*.py utacbook/*/*/*.py book/data/*.json)) pyproject.toml /dev/null | sha1sum | cut -c1-12)
define CHECK_JCACHE
	@if [ -d $(JCACHE) ] && [ "$$(cat $(JCACHE)/.utacbook-sources 2>/dev/null)" != "$(PKG_HASH)" ]; then \
	  echo "package sources changed: emptying the execution cache $(JCACHE)"; rm -rf $(JCACHE); fi
	@mkdir -p $(JCACHE) && echo "$(PKG_HASH)" > $(JCACHE)/.utacbook-sources
endef

.PHONY: help install browser-deps book test browser-test lab bench clean

help:
	@echo "make book   build the HTML book into _build/html (re-executes only chapters whose code or the package changed)"
	@echo "make test   unit tests, the strict book build (every chapter executed once), then the built-book and browser tests"
	@echo "make browser-test   open every page of _build/html in headless Chromium (screenshots in _build/screenshots)"
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
	$(BIN)/python -m pip install --no-compile -e ".[dev]"
	@touch $@

# The browser test drives Debian's Chromium through Playwright (never a browser
# download of Playwright's own). Installed with apt-get, as root or through sudo.
CHROMIUM ?= /usr/bin/chromium
APT_INSTALL := env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium

browser-deps:
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "Chromium: $(CHROMIUM)"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "error: $(CHROMIUM) is missing and apt-get is not available to install it." >&2; \
	  echo "       Install Chromium and point make at it: make CHROMIUM=/path/to/chromium $(MAKECMDGOALS)" >&2; \
	  exit 1; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update && $(APT_INSTALL); \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update && sudo $(APT_INSTALL); \
	else \
	  echo "error: $(CHROMIUM) is missing; installing Debian's chromium needs root." >&2; \
	  echo "       Run: sudo apt-get install chromium   (or: make CHROMIUM=/path/to/chromium $(MAKECMDGOALS))" >&2; \
	  exit 1; \
	fi
	@test -x "$(CHROMIUM)" || { echo "error: $(CHROMIUM) is still missing after the install." >&2; exit 1; }

# No MPLBACKEND here: it would override the notebooks' inline backend and the book
# would lose its figures (tests/conftest.py selects Agg for the unit tests).

# `make book` builds only when an input changed since its last successful build (the stamp
# is written after the build; a failed build leaves it old): the chapters, pages and data,
# the package, the configuration and the build scripts. `make test` always builds.
BOOK_INPUTS := $(shell find book utacbook -type f ! -path '*/__pycache__/*' ! -path '*/.ipynb_checkpoints/*' \
  ! -name '*.pyc' 2>/dev/null) _config.yml _toc.yml pyproject.toml Makefile tests/build_book.py tests/execute_chapters.py
BOOK_STAMP := _build/html/.utacbook-built

book: $(BOOK_STAMP)
	@echo "The book is in _build/html/index.html"

$(BOOK_STAMP): $(STAMP) $(BOOK_INPUTS)
	$(CHECK_JCACHE)
	$(EXECUTE_CHAPTERS)
	$(JB_BUILD)
	@touch $@

# Each step stops `make test` with a non-zero status if it fails. Chromium is
# installed first (browser-deps), so a machine that cannot have it fails at once.
# Pages on every usable core (one Chromium and one local server per pytest-xdist worker).
BROWSER_TEST := UTACBOOK_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/browser -n $(NPROC)

test: $(STAMP) browser-deps
	@echo "== 1/3 lint (ruff), unit tests, doctests and repository checks"
	$(BIN)/ruff check .
	MPLBACKEND=Agg $(BIN)/pytest tests utacbook --ignore=tests/browser --doctest-modules -n $(NPROC) --dist loadfile
	@echo "== 2/3 strict book build: executes every changed chapter once (any Sphinx warning or cell error fails)"
	$(CHECK_JCACHE)
	$(EXECUTE_CHAPTERS)
	$(JB_BUILD)
	@echo "== 3/3 the built book: glue, claims, run times, and every page in headless Chromium"
	$(BROWSER_TEST)

# The browser test alone, on the book already built in _build/html (`make book`).
browser-test: $(STAMP) browser-deps
	$(BROWSER_TEST)

# Jupyter refuses to start as root unless told to (containers, CI machines).
LAB_FLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab $(LAB_FLAGS) book/

# Performance is measured, not asserted: prints ratios against the shipped references.
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_emergent_beta.py $(BENCH_FLAGS)
	$(BIN)/python benchmarks/bench_abm_kernel.py $(BENCH_ABM_FLAGS)
	$(BIN)/python benchmarks/bench_ising.py $(BENCH_ISING_FLAGS)
	$(BIN)/python benchmarks/bench_sweep.py $(BENCH_SWEEP_FLAGS)

clean:
	rm -rf _build .numba_cache .pytest_cache .ruff_cache
