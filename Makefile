# 优化器 — build, test, execute and serve the book.
#
#   make book      build the HTML book into _build/html (installs what it needs)
#   make test      run every test: lint, unit, nbval, notebooks, book, browser
#   make execute   re-execute the notebooks in place (NB=path for one)
#   make serve     serve _build/html on http://127.0.0.1:$(PORT)
#   make slides    the reveal.js deck of every chapter (_build/html/slides/)
#   make lab       JupyterLab on the chapters, in the project's venv
#   make pdf       the whole book as one PDF (_build/pdf/optimizers.pdf)
#   make sweep     re-run chapter 11's optimizer comparison (writes its results file)
#
# Needs Python >= 3.10 and Node.js >= 18. Versions are pinned exactly in
# constraints.txt and package-lock.json; stamp files make re-runs quick.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip install --disable-pip-version-check --quiet
STAMPS := $(VENV)/.stamps
NB ?= $(sort $(wildcard notebooks/*.ipynb))
CELL_TIMEOUT ?= 600
JOBS ?= 2
PORT ?= 8000
BUILD_LOG := _build/build.log
PYTEST := $(BIN)/pytest -p no:cacheprovider

# Bit-identical numbers on every x86-64 machine: numpy picks SIMD kernels at run time,
# and its AVX-512 kernels of exp, log, tanh… round differently in the last bit from
# the AVX2 ones, which changes stored figures and some printed digits. Executing,
# testing and benchmarking all use the AVX2 (x86-64-v3) kernels, which every CI
# machine has; a machine with AVX-512 then reproduces the stored notebooks exactly.
ifeq ($(shell uname -m),x86_64)
export NPY_DISABLE_CPU_FEATURES := X86_V4 AVX512_ICL AVX512_SPR
endif

# This tree's own src/ first, whichever checkout the venv's editable install points at
# (a second worktree sharing the venv, for instance).
export PYTHONPATH := $(CURDIR)/src$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: help book vendor test lint unit nbval reexec test-book execute serve clean \
        distclean chromium bench slides lab pdf pdf-tools sweep

help:
	@echo "make book     build the HTML book into _build/html"
	@echo "make test     run every test (installs test requirements and chromium)"
	@echo "make execute  re-execute notebooks in place (NB=notebooks/01-sgd.ipynb)"
	@echo "make serve    serve the built book on http://127.0.0.1:$(PORT)"
	@echo "make pdf      the whole book as one PDF (installs TeX and fonts with apt)"
	@echo "make bench    print the speed, size and parity figures"
	@echo "make slides   build the book and its chapter decks (_build/html/slides/)"
	@echo "make lab      start JupyterLab on notebooks/ (LAB_PORT=$(LAB_PORT))"
	@echo "make sweep    re-run the optimizer comparison of chapter 11 (minutes)"
	@echo "make clean    remove _build;  make distclean: also .venv, node_modules"

# --- environments ------------------------------------------------------------------

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "Python >= 3.10 is required ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMPS)/book: requirements.txt constraints.txt pyproject.toml | $(PY)
	$(PIP) -r requirements.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements-dev.txt $(STAMPS)/book
	$(PIP) -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

node_modules/.stamp: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js >= 18) is required"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

# Front-end assets served by the site itself (no CDN): see scripts/vendor_assets.py.
book/vendor/VERSIONS.json: node_modules/.stamp scripts/vendor_assets.py | $(PY)
	$(PY) scripts/vendor_assets.py

vendor: book/vendor/VERSIONS.json

# --- the book -----------------------------------------------------------------------

# Sphinx re-copies static files only when a page changed, and does not track the
# local extension: rebuild everything when either is newer than the last build.
book: $(STAMPS)/book vendor
	@mkdir -p _build
	@all=""; \
	if [ ! -f _build/html/index.html ] \
	   || [ book/vendor/VERSIONS.json -nt _build/html/index.html ] \
	   || [ -n "$$(find book/_ext -name '*.py' -newer _build/html/index.html)" ]; \
	then all="--all"; fi; \
	echo "jupyter-book build . -W -n --keep-going $$all"; \
	$(BIN)/jupyter-book build . -W -n --keep-going $$all 2>&1 | tee $(BUILD_LOG)
	@echo
	@echo "The book is in $(CURDIR)/_build/html/index.html"
	@echo "Preview it with 'make serve' (http://127.0.0.1:$(PORT)/)."

serve:
	@test -f _build/html/index.html || { echo "No book yet: run 'make book'"; exit 1; }
	@echo "Serving http://127.0.0.1:$(PORT)/ (Ctrl-C stops)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# The book build writes the decks (book/_ext/slides.py): one per chapter of the toc.
slides: book
	@$(PY) scripts/decks.py --site _build/html

# JupyterLab from the pinned requirements, on the chapters (ipywidgets included);
# as root (a container), JupyterLab needs --allow-root.
LAB_PORT ?= 8888
LAB_ARGS ?=
lab: $(STAMPS)/book
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --ServerApp.port=$(LAB_PORT) \
	  $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)
# --- the PDF ------------------------------------------------------------------------

# XeLaTeX with xeCJK (ctex), Sphinx's LaTeX packages, latexmk, the Noto CJK fonts,
# rsvg-convert for SVG figures and poppler for the PDF tests: see scripts/pdf.py.
PDF_APT := texlive-xetex texlive-lang-chinese texlive-latex-recommended \
           texlive-latex-extra texlive-fonts-recommended latexmk fonts-noto-cjk \
           fonts-freefont-otf fonts-dejavu-core librsvg2-bin poppler-utils

pdf-tools:
	@missing=""; \
	for t in xelatex latexmk rsvg-convert pdftotext pdffonts; do \
	  command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	kpsewhich ctexhook.sty tabulary.sty >/dev/null 2>&1 || missing="$$missing tex"; \
	for f in "Noto Serif CJK SC" FreeSerif "DejaVu Sans Mono"; do \
	  fc-list -q "$$f" 2>/dev/null || missing="$$missing $${f// /-}"; done; \
	if [ -z "$$missing" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing TeX and fonts for the PDF (missing:$$missing)"; \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(PDF_APT) >/dev/null; \
	else echo "pdf: missing$$missing; Debian packages: $(PDF_APT)"; exit 1; \
	fi

# Chapters are executed once more for vector figures (cached in _build/pdf/executed).
pdf: $(STAMPS)/book pdf-tools
	$(PY) scripts/pdf.py --jobs $(JOBS) --timeout $(CELL_TIMEOUT)

# --- notebooks ----------------------------------------------------------------------

# Re-execute in place with a per-cell timeout, store widget state, and write the
# canonical form (no timings, deterministic widget ids): an unchanged notebook
# stays byte-identical.
execute: $(STAMPS)/dev
	$(PY) scripts/nbtools.py execute --timeout $(CELL_TIMEOUT) $(NB)

# The optimizer comparison of chapter 11: every registered optimizer, a learning-rate
# grid, two schedules, five seeds on the digits (about 10 CPU-minutes with the
# optimizers of chapters 1-10). Rewrites src/descent/sweep/digits_sweep.json, which
# the chapter loads; re-execute notebooks/11-choosing.ipynb afterwards.
sweep: $(STAMPS)/book
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(PY) -m descent.sweep

# --- tests --------------------------------------------------------------------------

# Debian's chromium for the browser tests (Playwright never downloads a browser).
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	  echo "installing Debian chromium for the browser tests"; \
	  $$sudo apt-get update -qq; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "chromium not found and apt-get unavailable: browser tests will skip"; \
	fi

lint: $(STAMPS)/dev
	$(BIN)/ruff check .

unit: $(STAMPS)/dev
	$(PYTEST) tests -n $(JOBS) -m "not book and not browser and not reexec"

nbval: $(STAMPS)/dev
	@if [ -z "$(wildcard notebooks/*.ipynb)" ]; then echo "nbval: no notebooks yet"; \
	else \
	  $(PYTEST) --nbval notebooks --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg \
	    --nbval-cell-timeout=$(CELL_TIMEOUT) -n $(JOBS) --dist loadfile; \
	fi

reexec: $(STAMPS)/dev
	$(PYTEST) tests/test_notebooks.py -m reexec -n $(JOBS) --dist load

test-book: $(STAMPS)/dev
	$(PYTEST) tests/test_book.py tests/test_browser.py tests/test_slides.py \
	  tests/test_self_study.py tests/test_pdf.py -m "book or browser"

test: $(STAMPS)/dev chromium
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) nbval
	$(MAKE) reexec
	$(MAKE) book
	$(MAKE) pdf
	$(MAKE) test-book

# --- benchmarks (print figures; never part of the pass/fail suite) ------------------

bench: $(STAMPS)/dev
	$(PY) benchmarks/parity_table.py
	$(PY) benchmarks/bench_optim.py
	$(PY) benchmarks/reference_parity_table.py
	$(PY) benchmarks/bench_references.py
	$(PY) benchmarks/bench_schedules.py
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_nets.py
	$(PY) benchmarks/bench_explore.py
	@if [ -f _build/html/index.html ]; then $(PY) benchmarks/bench_browser.py --weights; \
	else echo "bench_browser: run 'make book' first"; fi

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) node_modules book/vendor
