# The reproduction book. `make help` lists the targets.
SHELL := /bin/bash
comma := ,
.DEFAULT_GOAL := help

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# PROFILE empty: paper with CUDA, else small. CHAPTER_TIMEOUT caps each executed chapter (raise it for paper).
PROFILE ?=
CHAPTER_TIMEOUT ?= 4h
# JOBS: parallel workers for an item's independent runs (one GPU each); EXECUTOR: local | slurm | submitit-local
JOBS ?= 1
EXECUTOR ?= local
# STALE=rerun retrains the runs whose records were made by other code (see lib/runs.py); FRESH=1 retrains
# every run of what it executes into a separate store, results-fresh/, leaving the committed records alone
STALE ?= reuse
FRESH ?=
# CHECKPOINT: a pretrained checkpoint for the items that need one (chapter 01's B/16-PT rows); ALLOW_CPU_PAPER=1:
# run the paper profile on a machine without CUDA (weeks of CPU work: it asks for this confirmation)
CHECKPOINT ?=
export ALLOW_CPU_PAPER
export DATA_MIRROR
export BOOK_JOBS = $(JOBS)
export BOOK_EXECUTOR = $(EXECUTOR)
export BOOK_STALE = $(STALE)
# `lib` is this checkout's, whatever venv runs it (a venv shared with another clone would import that clone)
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))
ifeq ($(FRESH),1)
export BOOK_RESULTS_DIR := $(CURDIR)/results-fresh
$(info FRESH=1: every run is retrained into results-fresh/ (the committed records in results/ are not used))
endif

# the parameters make can check are checked here, before any kernel starts (the chapters check them again)
ifneq ($(filter-out paper small smoke auto,$(PROFILE)),)
$(error PROFILE=$(PROFILE): use paper, small or smoke (empty: paper with CUDA, else small))
endif
ifeq ($(shell [[ "$(JOBS)" =~ ^[1-9][0-9]*$$ ]] && echo ok),)
$(error JOBS=$(JOBS): a positive integer (workers for an item's independent runs))
endif
ifneq ($(words $(EXECUTOR)) $(filter-out local slurm submitit-local,$(EXECUTOR)),1 )
$(error EXECUTOR=$(EXECUTOR): use local, slurm or submitit-local)
endif
ifneq ($(words $(STALE)) $(filter-out reuse rerun,$(STALE)),1 )
$(error STALE=$(STALE): use reuse or rerun)
endif
ifneq ($(CHECKPOINT),)
ifeq ($(wildcard $(CHECKPOINT)),)
$(error CHECKPOINT=$(CHECKPOINT): no such file)
endif
endif
# papermill's parameters of every executed chapter
NB_PARAMS = -p profile "$(or $(strip $(PROFILE)),auto)" $(if $(CHECKPOINT),-p checkpoint "$(abspath $(CHECKPOINT))")

CHAPTERS := $(sort $(wildcard book/[0-9][0-9]_*.py))
NOTEBOOKS := $(CHAPTERS:.py=.ipynb)
LIB := $(shell find lib -name '*.py')
# the names make reproduce-<short>-<item> takes: the first word after NN_ (01_kfac_mlp_mixer -> kfac)
SHORT := $(foreach c,$(notdir $(CHAPTERS:.py=)),$(word 2,$(subst _, ,$(c))))

.PHONY: help setup data book lab html report list verify lint test test-gpu-paths bench clean distclean FORCE

help: ## this list
	@echo "The reproduction book — targets (cost: small profile on 2 CPU cores / paper profile on one GPU)"
	@grep -hE '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-30s %s\n", $$1, $$2}'
	@echo "  chapters (short name, notebook) and their cost: smoke / small on 2 CPU cores / paper on one GPU"
	@$(PY) -m lib.book costs 2>/dev/null || echo "    (run make setup first: the costs are read from lib/chapters/)"
	@echo "  items: make reproduce-<chapter>-<item>, chapter = $(subst $() ,$(comma) ,$(SHORT)); make list shows every item"
	@echo "  and its status; make reproduce-table2 finds the chapters with a Table 2"
	@echo "  variables: PROFILE=paper|small|smoke  DATA_MIRROR=<folder of .npz>  CHAPTER_TIMEOUT=$(CHAPTER_TIMEOUT)"
	@echo "             STALE=reuse|rerun (runs made by other code)  FRESH=1 (retrain everything into results-fresh/)"
	@echo "             JOBS=N (parallel workers, one GPU each)  EXECUTOR=local|slurm|submitit-local  CHAPTER=<short name>"
	@echo "             CHECKPOINT=<file> (chapter 01's B/16-PT rows)  ALLOW_CPU_PAPER=1 (the paper profile without CUDA)"

setup: $(STAMP) ## create .venv from requirements.txt (~5 min, once)
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements.txt
	# make `lib` importable from the venv wherever a notebook or test runs
	echo "$(CURDIR)" > "$$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/reproduction_book.pth"
	touch $@

data: $(STAMP) ## fill data/ from DATA_MIRROR or torchvision downloads (~30 s from a mirror)
	$(PY) -m lib.data

book: $(STAMP) ## get the data, execute every chapter at PROFILE (each chapter's cost: make help, below)
	$(PY) -m lib.data --allow-missing    # a missing data set makes the items that need it say "not run"
	$(MAKE) $(NOTEBOOKS)

# An executed notebook depends on its source and on the lib sources it imports, directly or not (build/deps.mk,
# written by lib/deps.py: an edit to lib/chapters/resmlp.py re-runs chapter 02 only, one to lib/train.py every
# chapter that trains); so does asking for another profile than the one it was executed at (its
# provenance.json says which), and FRESH=1.
OTHER_PROFILE := $(if $(wildcard $(STAMP)),$(shell $(PY) -m lib.book outdated "$(PROFILE)" $(if $(FRESH),--all) 2>/dev/null))
$(OTHER_PROFILE): FORCE
FORCE:
-include build/deps.mk
build/deps.mk: $(LIB) $(CHAPTERS)
	@mkdir -p build
	@$(PYTHON) -m lib.deps $(CHAPTERS) > $@.tmp && mv $@.tmp $@
book/%.ipynb: book/%.py | $(STAMP)
	@mkdir -p build/nb
	$(VENV)/bin/jupytext --to ipynb --set-kernel python3 -o build/nb/$*.ipynb $<
	@# figures/ is written here only: make book publishes (a chapter run anywhere else writes to build/)
	@echo "executing $* (papermill's log: build/nb/$*.log)"
	BOOK_FIGURES_DIR=$(CURDIR)/figures timeout --foreground $(CHAPTER_TIMEOUT) $(VENV)/bin/papermill --no-progress-bar \
	  --cwd book build/nb/$*.ipynb build/nb/$*.out.ipynb $(NB_PARAMS) 2> build/nb/$*.log || \
	  { $(PY) -m lib.book error build/nb/$*.out.ipynb build/nb/$*.log; exit 1; }
	mv build/nb/$*.out.ipynb $@

reproduce-%: $(STAMP) ## one item, e.g. reproduce-kfac-table2 (notebook, figures to build/reproduce/); reproduce-table2: which chapters have it (CHAPTER=kfac runs it)
	@stem="$*"; short=$${stem%-*}; item=$${stem##*-}; \
	if [ "$$short" = "$$item" ]; then \
	  if [ -z "$(CHAPTER)" ]; then $(PY) -m lib.book find $$item; exit $$?; fi; short="$(CHAPTER)"; fi; \
	src=$$(ls book/[0-9][0-9]_$${short}*.py 2>/dev/null | head -1); \
	if [ -z "$$src" ]; then \
	  echo "usage: make reproduce-<chapter>-<item>; chapters: $(SHORT)"; exit 2; fi; \
	name=$$(basename $$src .py); mkdir -p build/nb build/reproduce; \
	$(PY) -m lib.book check $$name $$item || exit 2; \
	$(PY) -m lib.data --allow-missing || exit 1; \
	out=build/reproduce/$$name-$$item; \
	$(VENV)/bin/jupytext --to ipynb --set-kernel python3 -o build/nb/$$name.ipynb $$src && \
	echo "executing $$name, item $$item (papermill's log: $$out.log)" && \
	{ BOOK_FIGURES_DIR=$(CURDIR)/build/reproduce/figures timeout --foreground $(CHAPTER_TIMEOUT) $(VENV)/bin/papermill \
	  --no-progress-bar --cwd book build/nb/$$name.ipynb $$out.ipynb $(NB_PARAMS) -y "only: [$$item]" 2> $$out.log || \
	  { $(PY) -m lib.book error $$out.ipynb $$out.log; exit 1; }; } && \
	echo "executed: $$out.ipynb, figures in build/reproduce/figures/$$name/" && \
	$(PY) -m lib.book show build/reproduce/figures $$name $$item

lab: $(STAMP) ## JupyterLab on 127.0.0.1 from .venv, kernel "Reproduction book"; book/NN_*.py opens as a notebook (edits save to the .py)
	$(PY) -m ipykernel install --sys-prefix --name reproduction-book --display-name "Reproduction book (.venv)" >/dev/null
	@# a .py with a jupytext header opens as a notebook by default (jupytext's "Jupytext Notebook" viewer)
	mkdir -p $(VENV)/share/jupyter/lab/settings && printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin":' \
	  '{"defaultViewers": {"python": "Jupytext Notebook"}}}' > $(VENV)/share/jupyter/lab/settings/overrides.json
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --no-browser --ServerApp.root_dir=$(CURDIR) \
	  --ServerApp.preferred_dir=$(CURDIR)/book $(if $(filter 0,$(shell id -u)),--allow-root)

list: $(STAMP) ## every item of every chapter with its status (verdicts, profile, runs waiting, not run and why)
	@$(PY) -m lib.book list

verify: $(STAMP) ## re-train the 3 cheapest committed runs and compare with their records (same device: identical; another: drift vs tolerance)
	$(PY) -m lib.verify --limit $(or $(LIMIT),3)

report: $(STAMP) ## REPORT.md and the README's results block, from figures/*/claims.csv (~5 s)
	$(PY) -m lib.book report

html: $(STAMP) ## render the executed notebooks and an index page to build/html/ (~1 min)
	@mkdir -p build/html
	$(VENV)/bin/jupyter nbconvert --to html --output-dir build/html $(wildcard $(NOTEBOOKS))
	$(PY) -m lib.html build/html $(notdir $(patsubst %.ipynb,%.html,$(wildcard $(NOTEBOOKS))))

lint: $(STAMP) ## ruff over lib/, book/, tests/, benchmarks/ (pyproject.toml's rules; ~1 s)
	$(VENV)/bin/ruff check lib book tests benchmarks

test: lint ## the linter, unit tests + every chapter at the smoke profile (~15 min on 2 CPU cores)
	$(PY) -m lib.data --allow-missing
	$(PY) -m pytest -q tests

test-gpu-paths: $(STAMP) ## the GPU's fast paths on the CPU: bf16 autocast + channels_last + torch.compile, every chapter at smoke (BOOK_FAST=1; ~30 min; in CI)
	$(PY) -m lib.data --allow-missing
	BOOK_FAST=1 $(PY) -m pytest -q tests/test_gpu_paths.py

bench: $(STAMP) data ## speed ratios against same-process baselines (~2 min)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean: ## remove build/ and caches (keeps data/, results/, .venv)
	rm -rf build .pytest_cache $$(find . -name __pycache__ -not -path './.venv/*')

distclean: clean ## also remove .venv, data/ caches and the run store
	rm -rf $(VENV) results data/*.npz data/raw
