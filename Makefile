# ScoreLink: every target installs what it needs into .venv on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install postgres-server java demo test ui bench lint clean

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

# The PostgreSQL tests start a throwaway server on loopback (tests/postgres_server.py); this installs
# Debian's server package when it is missing.
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  echo "Installing PostgreSQL (Debian package) for the tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# The Spark tests (pytest -m spark) run Spark in session mode inside dbt: pyspark needs a Java 17 runtime.
java:
	@command -v java >/dev/null || { \
	  echo "Installing Java 17 (Debian package) for the Spark tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

test: $(STAMP) postgres-server java
	$(BIN)/pytest

ui: $(STAMP)
	$(BIN)/scorelink ui


bench: $(STAMP)
	$(BIN)/scorelink bench

lint: $(STAMP)
	$(BIN)/ruff check ingest orchestration expectations tests
	SCORELINK_WAREHOUSE=$(CURDIR)/output/lint/warehouse.duckdb $(BIN)/dbt parse --project-dir dbt_project \
	  --profiles-dir dbt_project --target-path $(CURDIR)/output/lint/target --quiet
	sed 's|^dbt_artifacts_dir: .*|dbt_artifacts_dir: $(CURDIR)/output/lint/target|' dbt_project/dbt-bouncer.yml \
	  > output/lint/dbt-bouncer.yml
	cd dbt_project && ../$(BIN)/dbt-bouncer --config-file $(CURDIR)/output/lint/dbt-bouncer.yml
	cd dbt_project && SCORELINK_WAREHOUSE=$(CURDIR)/output/lint/warehouse.duckdb \
	  DBT_TARGET_PATH=$(CURDIR)/output/lint/sqlfluff-target ../$(BIN)/sqlfluff lint models --processes 2

clean:
	rm -rf output dbt_project/target dbt_project/logs
