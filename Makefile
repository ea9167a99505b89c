# Two entry points for a fresh machine with Python 3.11; both are idempotent.
#   make repro   install, then run the whole DVC pipeline
#   make test    install, then run the test suite
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export HF_HUB_OFFLINE := 1
export WANDB_MODE ?= offline

.PHONY: install repro test bench

install: $(VENV)/.installed

# torch goes first, alone and pinned, so that no other package can pull a CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

repro: install
	@git rev-parse --git-dir >/dev/null 2>&1 || git init -q
	@test -d .dvc || dvc init -q
	dvc repro

test: install
	$(BIN)/python -m pytest tests

bench: install
	$(BIN)/python benchmarks/data_stages.py
	$(BIN)/python benchmarks/rewards_throughput.py
	$(BIN)/python benchmarks/training_steps.py
	$(BIN)/python benchmarks/serving_latency.py
	$(BIN)/python benchmarks/scoring_batch.py
