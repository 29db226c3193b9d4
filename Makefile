# ScoreLink: every target installs what it needs into .venv on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test ui bench lint clean

# Reinstall when the dependencies or the set of packages change (editable installs map packages once).
$(STAMP): pyproject.toml $(wildcard */__init__.py)
	@command -v $(PYTHON) >/dev/null || { echo "ScoreLink needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/scorelink demo

test: $(STAMP)
	$(BIN)/pytest

ui: $(STAMP)
	$(BIN)/scorelink ui


bench: $(STAMP)
	$(BIN)/scorelink bench

lint: $(STAMP)
	$(BIN)/ruff check ingest orchestration expectations tests

clean:
	rm -rf output dbt_project/target dbt_project/logs
