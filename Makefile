# Two commands set up a fresh clone:  `make run` (serve on embedded defaults) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export ORT_DISABLE_TELEMETRY := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run test lint typecheck pytest postgres system-packages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# An unpinned torch drags in gigabytes of CUDA wheels: refuse to continue if any slipped in.
	@if $(BIN)/python -m pip list 2>/dev/null | grep -i nvidia; then \
		echo "error: CUDA packages were installed; torch must stay pinned to the CPU wheel" >&2; exit 1; fi
	@touch $(STAMP)

install: $(STAMP)

run: install  ## Serve on embedded defaults (SQLite, bundled models, local simulated phone)
	$(BIN)/anbu serve --demo

postgres:  ## The tests use the local PostgreSQL: start it if it is not running
	@bash infra/ensure-postgres.sh

system-packages:  ## Debian packages the tests use: a second TTS engine, a browser
	@bash infra/ensure-system-packages.sh espeak-ng chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install postgres system-packages
	$(BIN)/pytest

test: lint typecheck pytest  ## Install, then lint, type-check and run the whole suite

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
