# Small Yeses — one command per job. `make` alone lists them.
#
# Every target that runs course code first bootstraps .venv/ (a virtual
# environment inside this folder) from pyproject.toml + constraints.txt, so a
# fresh clone needs nothing but Python 3.11+ and make. Nothing is installed or
# registered outside .venv/ (the Jupyter kernel is the one inside .venv/).
#
# Variables you can override:  make test PYTEST_ARGS="-k funnel -x"
#   PYTHON          interpreter used to create .venv            (python3)
#   ARGS            extra arguments for `jupyter lab` / `voila` (none)
#   PYTEST_ARGS     extra arguments for pytest                  (none)
#   COV_FAIL_UNDER  minimum line coverage of funnel_lib, in %   (90)

SHELL := /bin/sh
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt

ARGS ?=
PYTEST_ARGS ?=
COV_FAIL_UNDER ?= 90
COV_ARGS ?= --cov=funnel_lib --cov-report=term-missing:skip-covered --cov-fail-under=$(COV_FAIL_UNDER)

LAB_START := notebooks/00_start_here.ipynb
DEMO_NOTEBOOK := notebooks/workshop_demo.ipynb
DEMO_PORT ?= 8866
# Jupyter/Voila settings kept in this repository (see jupyter/README.md); nothing is registered elsewhere.
JUPYTER_SETTINGS := $(CURDIR)/jupyter
# make lab: learners get JupyterLab without nbgrader's instructor tools and course lists
LEARNER_ENV := JUPYTER_CONFIG_PATH="$(JUPYTER_SETTINGS)/learner"
# make demo: the offline template, only the widget extensions, kernel culling; presenter mode on
DEMO_ENV := JUPYTER_PATH="$(JUPYTER_SETTINGS)/share" FUNNEL_PRESENTER=1
DEMO_CONFIG := --Voila.config_file_paths="$(JUPYTER_SETTINGS)/voila"

# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

PIP_INSTALL := $(VPY) -m pip install --disable-pip-version-check --no-input
ifeq ($(CI),true)
PIP_INSTALL += --progress-bar off
endif

.PHONY: help venv .venv lab instructor test demo bench mutation strip strip-check constraints clean distclean

help: ## Show this list of targets
	@echo "Small Yeses — usage: make <target> [VAR=value ...]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_.-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "Examples: make lab ARGS=--no-browser   make test PYTEST_ARGS='-x -k simulate'   make mutation ARGS='--target _rules'"

# --- the environment --------------------------------------------------------

venv: $(STAMP) ## Create/update .venv with the pinned course environment

.venv: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@if ! command -v "$(PYTHON)" >/dev/null 2>&1; then \
	  echo "error: PYTHON=$(PYTHON) was not found; install Python 3.11 or newer, or run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.11'" >&2; exit 1; fi
	@if ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "error: PYTHON=$(PYTHON) is $$("$(PYTHON)" -c 'import platform; print(platform.python_version())'), but Small Yeses needs Python 3.11 or newer;" \
	       "install it and run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.11'" >&2; exit 1; fi
	@if [ -x "$(VPY)" ] && ! "$(VPY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	  echo "error: $(VENV)/ was made with Python $$("$(VPY)" -c 'import platform; print(platform.python_version())'), older than 3.11;" \
	       "remove it with 'make distclean' and try again" >&2; exit 1; fi
	@if [ ! -x "$(VPY)" ]; then echo "Creating $(VENV)/ with $(PYTHON) ..."; "$(PYTHON)" -m venv "$(VENV)"; fi
	$(PIP_INSTALL) -c $(CONSTRAINTS) --upgrade pip
	$(PIP_INSTALL) -c $(CONSTRAINTS) --build-constraint $(CONSTRAINTS) -e ".[all]"
	@touch "$@"
	@echo "$(VENV)/ is ready."

# --- the three paths ---------------------------------------------------------

# The file browser shows the whole course (root_dir), minus build leftovers.
LAB_HIDE := __pycache__ '*.pyc' '*.egg-info' .DS_Store '*~'

lab: $(STAMP) ## Open the course in JupyterLab at the start page, learner mode (ARGS=--no-browser for headless)
	@echo "Starting JupyterLab at $(LAB_START) (Ctrl-C twice stops it). Without a browser,"
	@echo "open the http://127.0.0.1:.../lab?token=... address it prints below."
	@echo "Learner mode: nbgrader's instructor tools are off; instructors use 'make instructor'."
	$(LEARNER_ENV) $(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
	  $(foreach glob,$(LAB_HIDE),--ContentsManager.hide_globs=$(glob)) \
	  $(LAB_START) $(ARGS)

instructor: $(STAMP) ## JupyterLab with nbgrader's instructor tools on (Formgrader, Create Assignment, lists)
	@echo "Instructor mode: Formgrader, Create Assignment, Assignment and Course lists are on."
	@echo "Formgrader's Generate rewrites release/; learners should use 'make lab'."
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) \
	  $(foreach glob,$(LAB_HIDE),--ContentsManager.hide_globs=$(glob)) \
	  $(LAB_START) $(ARGS)

test: $(STAMP) ## Run the whole test suite with coverage (what CI runs)
	$(VENV)/bin/pytest $(COV_ARGS) $(PYTEST_ARGS)

demo: $(STAMP) ## Launch the workshop demo (Voilà, code hidden, presenter mode) on http://127.0.0.1:8866
	@echo "Workshop demo: open http://127.0.0.1:$(DEMO_PORT) in a browser (Ctrl-C stops it)."
	@echo "Presenter mode is on (toggle it in the page); closed pages' kernels stop within a minute."
	$(DEMO_ENV) $(VENV)/bin/voila $(DEMO_NOTEBOOK) --port=$(DEMO_PORT) --Voila.ip=127.0.0.1 --no-browser \
	  $(DEMO_CONFIG) $(ARGS)

bench: $(STAMP) ## Run every benchmarks/bench_*.py and print their tables
	@status=0; found=0; \
	for script in benchmarks/bench_*.py; do \
	  [ -e "$$script" ] || continue; found=1; \
	  echo "==> $$script"; \
	  if ! "$(VPY)" "$$script"; then echo "FAILED: $$script" >&2; status=1; fi; \
	  echo; \
	done; \
	if [ "$$found" = 0 ]; then echo "error: no benchmarks/bench_*.py found" >&2; exit 1; fi; \
	exit $$status

mutation: $(STAMP) ## Mutation check (mutmut) of _rules.py, _events_core.py: share of planted bugs the tests catch; slow, not in test (docs/testing.md)
	$(VPY) tools/mutation.py $(ARGS)

# --- maintenance -------------------------------------------------------------

strip: $(STAMP) ## Remove outputs and execution counts from the course notebooks (metadata kept)
	$(VPY) tools/strip_notebooks.py

strip-check: $(STAMP) ## Fail, listing them, if any course notebook carries outputs
	$(VPY) tools/strip_notebooks.py --check

constraints: ## Re-resolve all dependencies at their newest versions into constraints.txt (Python 3.11)
	@if ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	  echo "error: constraints.txt pins the environment for Python 3.11, but PYTHON=$(PYTHON) is" \
	       "$$("$(PYTHON)" -c 'import platform; print(platform.python_version())');" \
	       "run 'make constraints PYTHON=python3.11'" >&2; exit 1; fi
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT INT TERM; \
	echo "Resolving in a throw-away venv ($$tmp) ..."; \
	"$(PYTHON)" -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q --upgrade pip setuptools; \
	"$$tmp/venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -e ".[all]"; \
	{ \
	  echo "# Exact versions of every direct and indirect dependency of funnel_lib[all],"; \
	  echo "# plus pip and the build backend (setuptools), for Python 3.11 on Linux x86_64."; \
	  echo "# Used as: pip install -c constraints.txt --build-constraint constraints.txt -e \".[all]\""; \
	  echo "# (the Makefile) and by environment.yml (conda / Binder)."; \
	  echo "#"; \
	  echo "# Do not edit by hand. Regenerate with:  make constraints"; \
	  echo "# which creates a throw-away venv with Python 3.11, installs pip and setuptools"; \
	  echo "# and then -e \".[all]\" at their newest versions, and writes"; \
	  echo "# \`pip freeze --all --exclude-editable\` here. Then run \`make test\`."; \
	  echo "# Generated $$(date -u +%Y-%m-%d) with Python $$("$$tmp/venv/bin/python" -c 'import platform; print(platform.python_version(), platform.system(), platform.machine())')."; \
	  "$$tmp/venv/bin/python" -m pip freeze --all --exclude-editable --disable-pip-version-check | grep -v -i -E '^funnel[-_.]lib([=@ ]|$$)'; \
	} > $(CONSTRAINTS).new; \
	mv $(CONSTRAINTS).new $(CONSTRAINTS); \
	echo "Wrote $(CONSTRAINTS): $$(grep -c '==' $(CONSTRAINTS)) pins."

clean: ## Remove caches, coverage and build leftovers (keeps .venv)
	rm -rf .pytest_cache .hypothesis htmlcov .coverage .coverage.* coverage.xml build dist benchmarks/results
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name .ipynb_checkpoints -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv (the next make re-creates it)
	rm -rf $(VENV)
