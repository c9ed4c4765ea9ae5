# Two commands do all the set-up: `make book` and `make test`.
# Both create ./.venv on first use, install the project under constraints.txt and fetch the
# browser assets of the site (npm ci, package-lock.json) into .vendor/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
STAMP := $(VENV)/.installed
NPM_DIR := .vendor/npm
NPM_STAMP := $(NPM_DIR)/.installed
# Where `make test` builds its (smoke-profile) copy of the site; `make book` uses _build/html.
CI_BOOK := _build/ci
PAPERMILL_DIR := _build/papermill
# Where `make book` keeps the chapters papermill executed under the `book` profile.
BOOK_EXECUTED := _build/executed
export NUMBA_CACHE_DIR := $(CURDIR)/.cache/numba
# Finished pre-training runs shared by the chapters (keyed by config, data and code).
export MMHAR_CACHE_DIR := $(CURDIR)/.cache/runs
export MPLCONFIGDIR := $(CURDIR)/.cache/matplotlib
# One intra-op thread: the batches are small, so extra threads only add synchronisation, and
# runs then give the same numbers on any core count (torch results depend on thread count).
export OMP_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# Installs a Debian package when it is missing: as root directly, otherwise a clear error.
define need_deb
	@command -v $(1) >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2); \
	  else \
	    echo "error: '$(1)' is missing; install the Debian package(s) with: sudo apt-get install -y $(2)" >&2; \
	    exit 1; \
	  fi; }
endef

.PHONY: FORCE all venv vendor setup book book-lane-1 book-lane-2 test unit nbval ci-book browser browser-deps notebooks clean \
  ci-papermill ci-unit ci-nbval ci-site ci-browser-phone ci-browser-desktop

all: test

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile -c constraints.txt -e ".[book,test]"
	touch $(STAMP)

venv: $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	$(call need_deb,npm,nodejs npm)
	mkdir -p $(NPM_DIR)
	cp package.json package-lock.json $(NPM_DIR)/
	npm ci --prefix $(NPM_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(NPM_STAMP)

vendor: $(NPM_STAMP)

# The Python environment and the browser assets install side by side (pip and npm mostly wait
# on unpacking and the registries, not on each other).
setup:
	$(MAKE) --no-print-directory -j 2 $(STAMP) $(NPM_STAMP)

browser-deps:
	$(call need_deb,chromium,chromium)

# The rendered book: every chapter executed under the `book` profile (or $MMHAR_PROFILE).
# Chapters are executed by papermill (the same path as the tests), then rendered with execution
# off: myst-nb's own executor hung on chapter 5 here (kernel idle, client waiting), papermill
# and nbconvert do not. Each chapter runs on one thread, so the chapters run in two lanes side
# by side, each lane in order: 5 reuses chapter 4's pre-training runs and 7 chapter 6's (run
# cache), so each follows it in its lane, and the rest balance the two (fresh clone of 3210441,
# quiet 2-core machine: 6+7+2 took 393 s, 4+5+1+8+9+10+3 434 s, of which chapter 3 22 s; the
# whole `make book` 591 s). A chapter in no lane stops the build.
BOOK_LANE_1 := 06_finetuning 07_limited_labels_and_beta 02_encoders 03_losses
BOOK_LANE_2 := 04_pretraining 05_latent_space 01_data 08_your_own_data 09_when_hard_negatives_help \
  10_scale_out
UNLANED := $(filter-out $(BOOK_LANE_1) $(BOOK_LANE_2),$(basename $(notdir $(wildcard notebooks/*.ipynb))))

$(BOOK_EXECUTED)/notebooks/%.ipynb: notebooks/%.ipynb FORCE
	@mkdir -p $(@D)
	@echo "executing $< (profile $${MMHAR_PROFILE:-book})"
	@start=$$(date +%s); $(PY) -m papermill --no-progress-bar --cwd notebooks \
	  -p profile $${MMHAR_PROFILE:-book} $< $@ 2> $@.log \
	  || { tail -n 40 $@.log >&2; echo "error: $< failed (full log: $@.log)" >&2; exit 1; }; \
	  echo "executed $< in $$(( $$(date +%s) - start )) s"

book-lane-1 book-lane-2: $(STAMP)
	@for nb in $(BOOK_LANE_$(subst book-lane-,,$@)); do \
	  $(MAKE) --no-print-directory $(BOOK_EXECUTED)/notebooks/$$nb.ipynb || exit 1; \
	done

book: setup
	$(if $(UNLANED),$(error notebooks in no lane of `make book` (BOOK_LANE_1/2 of the Makefile): $(UNLANED)))
	$(MAKE) --no-print-directory -j 2 book-lane-1 book-lane-2
	MMHAR_BOOK_EXECUTED=$(BOOK_EXECUTED) $(JB) build . -W --all
	@echo "book: open _build/html/index.html"

FORCE:

UNIT_TESTS := $(PY) -m pytest -m "not browser"
NBVAL_RUN := MMHAR_PROFILE=smoke $(PY) -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env \
  --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks
CI_BOOK_BUILD := MMHAR_PROFILE=smoke MMHAR_BOOK_EXECUTED=$(PAPERMILL_DIR) \
  $(JB) build . -W --all --path-output $(CI_BOOK)
BROWSER_RUN := MMHAR_SITE=$(CI_BOOK)/_build/html $(PY) -m pytest -p no:cacheprovider -m browser \
  tests/test_browser.py

# CI: unit + papermill tests, nbval, the book built from papermill's executed notebooks (so each
# chapter is executed twice, not three times), then the browser test of that site. Every process
# is single-threaded (OMP_NUM_THREADS), so the stages run two at a time (one per core of a
# 2-core machine) in the order the ci-* prerequisites below impose: nbval after papermill, so
# that it finds the chapters' pre-training runs in the run cache instead of training them again;
# the browser test in two halves (phone width, the rest), each once the site is built.
test: setup browser-deps
	$(MAKE) -j 2 --output-sync=target ci-browser-phone ci-browser-desktop ci-unit ci-nbval

unit:
	$(UNIT_TESTS) tests

nbval:
	$(NBVAL_RUN)

ci-book:
	$(CI_BOOK_BUILD)

browser:
	$(BROWSER_RUN)

ci-papermill:
	$(UNIT_TESTS) -p no:cacheprovider tests/test_notebooks.py

ci-unit:
	$(UNIT_TESTS) tests --ignore=tests/test_notebooks.py

ci-nbval: ci-papermill
	$(NBVAL_RUN)

ci-site: ci-papermill
	$(CI_BOOK_BUILD)

ci-browser-phone: ci-site
	$(BROWSER_RUN) -k phone

ci-browser-desktop: ci-site
	$(BROWSER_RUN) -k "not phone"

# Refresh the outputs stored in the notebooks (nbval compares the cells marked
# `# NBVAL_CHECK_OUTPUT` against them): executes every chapter in place under `smoke`.
notebooks: $(STAMP)
	MMHAR_PROFILE=smoke $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.record_timing=False notebooks/*.ipynb

clean:
	rm -rf _build .cache .vendor
