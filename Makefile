# focal-teach: two commands set everything up on a fresh machine with Python >= 3.10.
#   make lab    create .venv, install requirements.txt, open JupyterLab on notebooks/
#   make test   create .venv, install requirements.txt and Chromium, run every test in every
#               environment of the matrix (noxfile.py: classroom, colab, binder, oldest)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888

.PHONY: help install chromium lab test test-fast bench notebooks assignments slides clean

help:
	@echo "make lab        open JupyterLab on notebooks/ (http://127.0.0.1:$(PORT))"
	@echo "make test       every test in every environment (noxfile.py), browser tests included"
	@echo "make test-fast  package tests and nbval in .venv only: no matrix, no browser"
	@echo "make bench      focal loss vs F.cross_entropy and peers: time and memory"
	@echo "make notebooks  re-execute every notebook in place, top to bottom"
	@echo "make assignments  graded assignments (Otter-Grader) into build/assignments/"
	@echo "make slides     the teaching guide's Plan A/B decks (reveal.js, offline) into build/slides/"

# Re-installs only when the pinned environment changes.
$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "focal-teach needs Python >= 3.10; '$(PYTHON)' is $$($(PYTHON) --version 2>&1). Try: make PYTHON=python3.11 ..."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.root_dir=notebooks

# The browser tests' Chromium: found, or installed from the system's packages (Debian/Ubuntu as
# root or with password-less sudo), or make stops here, before any test, saying what to install.
chromium:
	@scripts/chromium.sh >/dev/null

# Chromium first: a machine that cannot have it stops before the long installs.
test: chromium $(STAMP)
	$(BIN)/nox

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not e2e"

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_loss.py

notebooks: $(STAMP)
	$(BIN)/python scripts/nbtools.py execute

# Student notebooks and autograders from assignments/*.toml; Otter-Grader is installed, pinned,
# into build/grader/ (assignments/requirements.txt), not into the classroom's .venv.
assignments: $(STAMP)
	$(BIN)/python scripts/assignments.py build

# The teaching guide's two walkthroughs as slides (slides/*.toml): deck notebooks for RISE and
# reveal.js exports, from the committed outputs (nothing runs); reveal.js and KaTeX from npm.
slides: $(STAMP)
	npm ci --prefix slides --no-audit --no-fund --loglevel=error
	$(BIN)/python scripts/slides.py build --out build/slides

clean:
	rm -rf $(VENV) .nox .pytest_cache .hypothesis build *.egg-info
include site/site.mk
