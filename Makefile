# The two commands of the README:
#   make build   set up, generate the demo world if the landing folder is empty, dbt build, dbt docs generate
#   make test    set up, then every test: pytest (incl. dbt builds of small worlds) and sqlfluff lint
# Only Python 3.11 and pip are assumed; everything else is installed into .venv from constraints.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LANDING ?= $(or $(SCV_LANDING_PATH),data/landing)
PERSONS ?= 10000
SEED ?= 42
# absolute, so the staging views in the warehouse file still find the landing files from any folder
export SCV_LANDING_PATH := $(abspath $(LANDING))
export DBT_PROFILES_DIR := $(CURDIR)

.PHONY: build test install landing lint clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

landing: install
	@if [ -z "$$(find '$(LANDING)' -name '*.parquet' 2>/dev/null | head -n 1)" ]; then \
		echo "landing folder $(LANDING) is empty: generating the demo world ($(PERSONS) persons, seed $(SEED))"; \
		$(BIN)/scv generate --persons $(PERSONS) --seed $(SEED) --out '$(LANDING)'; \
	else \
		$(BIN)/scv landing check --out '$(LANDING)' || echo "absent tables are staged as empty (see README)"; \
	fi

build: landing
	$(BIN)/dbt build
	$(BIN)/dbt docs generate
	@echo "warehouse ready: $${SCV_WAREHOUSE:-$(CURDIR)/warehouse.duckdb}"

# The dbt templater compiles every model, so it gets an empty landing folder and a scratch warehouse.
# Two processes: one took 176 s on 2 cores, two 97 s.
lint: install
	$(BIN)/scv landing init --out target/lint_landing > /dev/null
	SCV_LANDING_PATH=target/lint_landing SCV_WAREHOUSE=target/lint.duckdb $(BIN)/sqlfluff lint --processes 2 models tests analyses

test: install
	$(BIN)/python -m pytest
	$(MAKE) lint

clean:
	rm -rf target logs dbt_packages warehouse.duckdb warehouse.duckdb.wal
