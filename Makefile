# Tongban: `make run` (set up + serve on SQLite with demo data), `make test` (set up + whole suite).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export TONGBAN_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test setup browser assets translations serve worker bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e ".[test]"
	touch $@

setup: $(VENV)/.installed assets translations

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations >/dev/null

# Front-end assets (bpmn-js, charts) from npm into app/static/vendor; not committed.
assets:
	@if [ -f package.json ]; then \
	  [ -d node_modules/echarts ] && [ -d node_modules/bpmn-js ] && [ -d node_modules/ace-builds ] && [ -d node_modules/dmn-js ] || npm install --no-audit --no-fund --loglevel=error; \
	  node scripts/copy-assets.mjs && node scripts/copy-echarts.mjs; \
	fi

# Debian packages: Chromium for the browser tests (Playwright drives /usr/bin/chromium; no browser
# download), a CJK font for the PDF documents, poppler-utils (pdftotext) to check them,
# postgresql-client (pg_dump/pg_restore) for `flask backup` on PostgreSQL.
DEBS := chromium fonts-noto-cjk poppler-utils postgresql-client
browser:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	  || echo "warning: could not install$$missing; browser and PDF tests will be skipped"; \
	fi

run: setup browser
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo
	TONGBAN_SCHEDULER=1 $(BIN)/flask --app app run --host $(HOST) --port $(PORT)

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy engine app/services
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Production (sync workers, one per core by default; README, Benchmarks): refuses to start without a strong TONGBAN_SECRET_KEY; calendar and catalogue, no demo users.
serve: setup
	TONGBAN_ENV=production $(BIN)/flask --app app db upgrade
	TONGBAN_ENV=production $(BIN)/flask --app app seed
	TONGBAN_ENV=production $(BIN)/gunicorn -k sync -w $${WORKERS:-$$(nproc)} -b $(HOST):$(PORT) "app:create_app()"

# Production, beside `make serve`: a background-job worker (run one or more, on any machine, against the same
# PostgreSQL database). `make run` needs none: on SQLite the scheduler in the web process delivers.
worker: setup
	TONGBAN_ENV=production $(BIN)/flask --app app jobs worker --concurrency $${CONCURRENCY:-4}

bench: setup
	$(BIN)/python bench/lifecycle.py
	$(BIN)/python bench/clock.py

clean:
	rm -rf $(VENV) var node_modules app/static/vendor
