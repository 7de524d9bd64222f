# The README's commands: `make test`, `make check` (lint, format, types) and `make demo`. Each bootstraps .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DAGSTER_HOME

.PHONY: install test check lint typecheck demo dagster-home dev clean browser browser-test sanitize

$(VENV)/.installed: pyproject.toml setup.py governance_pipeline/otlp/_spanscan.c governance_pipeline/otlp/_logscan.c governance_pipeline/otlp/_jsonspans.c governance_pipeline/otlp/_buf.h governance_pipeline/otlp/_wire.h tests/plugins/govpipe_sample_plugin/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q -e tests/plugins/govpipe_sample_plugin  # the plug-in route's test package
	touch $@

install: $(VENV)/.installed

# Chromium for the browser tests, from the system packages (tests/browser installs it the same way when root)
browser:
	test -x /usr/bin/chromium || (apt-get install -y chromium || (apt-get update && apt-get install -y chromium))

browser-test: install browser
	GOVPIPE_SCREENSHOTS=docs/img $(BIN)/python -m pytest tests/browser -q

dagster-home:
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

test: install
	$(BIN)/python -m pytest -q

check: lint typecheck

# The compiled OTLP parts built with AddressSanitizer and UBSan, over their parity and damaged-input tests; the
# normal build is restored afterwards.
sanitize: install
	set -e; inc=$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_paths()['include'])"); \
	ext=$$($(BIN)/python -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"); \
	for f in _spanscan _logscan _jsonspans; do \
	  cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -std=c11 -fPIC -shared -I$$inc \
	    governance_pipeline/otlp/$$f.c -o governance_pipeline/otlp/$$f$$ext; done; \
	status=0; ASAN_OPTIONS=detect_leaks=0 \
	  LD_PRELOAD="$$(cc -print-file-name=libasan.so):$$(cc -print-file-name=libubsan.so)" \
	  $(BIN)/python -m pytest -q -s -p no:cacheprovider tests/otlp/test_span_columns.py tests/otlp/test_log_records.py tests/otlp/test_json_spans.py \
	  || status=$$?; \
	$(BIN)/python -m pip install -q -e . ; exit $$status

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

demo: install dagster-home
	$(BIN)/python -m governance_pipeline.demo

dev: install dagster-home
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf data .dagster_home
