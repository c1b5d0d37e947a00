# Well — the two commands that matter: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PG_URL ?= postgres://postgres@127.0.0.1:5432/well
DEMO_PORT ?= 8000
# The emulators listen on SANDBOX_PORT (Dropbox), +1 (Apideck) and +2 (Qonto).
SANDBOX_PORT ?= 8700
APIDECK_PORT := $(shell echo $$(($(SANDBOX_PORT) + 1)))
QONTO_PORT := $(shell echo $$(($(SANDBOX_PORT) + 2)))

# The demo runs against the local emulators; nothing leaves this machine.
DEMO_ENV := WELL_DEMO=1 DEBUG=1 SECURE_SSL_REDIRECT=0 \
	WELL_BASE_URL=http://127.0.0.1:$(DEMO_PORT) WELL_DROPBOX_DEFAULT_FOLDER=/Invoices \
	DROPBOX_API_URL=http://127.0.0.1:$(SANDBOX_PORT) DROPBOX_CONTENT_URL=http://127.0.0.1:$(SANDBOX_PORT) \
	DROPBOX_WEB_URL=http://127.0.0.1:$(SANDBOX_PORT) DROPBOX_APP_KEY=well-demo-app DROPBOX_APP_SECRET=well-demo-secret \
	APIDECK_API_URL=http://127.0.0.1:$(APIDECK_PORT) APIDECK_API_KEY=well-demo-apideck-key APIDECK_APP_ID=well-demo-app \
	QONTO_API_URL=http://127.0.0.1:$(QONTO_PORT) QONTO_OAUTH_URL=http://127.0.0.1:$(QONTO_PORT) QONTO_APP_URL=http://127.0.0.1:$(QONTO_PORT)/app \
	QONTO_CLIENT_ID=well-demo-client QONTO_CLIENT_SECRET=well-demo-secret \
	WELL_MASTER_KEY=ZGVtby1tYXN0ZXIta2V5LWZvci10aGUtZGVtby0zMmI=

.PHONY: install run test lint typecheck pytest pytest-postgres browser-deps ocr-deps reader-deps bench bench-parse bench-unseen bench-routing bench-post bench-match bench-admin bench-soak clean

# The OCR lane's Debian packages: Tesseract 5, its language data for the six languages the
# parser reads, and the headers tesserocr is compiled against; never a downloaded binary.
OCR_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-deu \
	tesseract-ocr-nld tesseract-ocr-spa tesseract-ocr-ita libtesseract-dev libleptonica-dev \
	pkg-config g++ poppler-utils

$(STAMP): requirements.txt requirements-dev.txt | ocr-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

install: ocr-deps reader-deps $(STAMP)

## make run — set up everything on a fresh machine and start Well with the demo data.
## The command is not echoed (the environment holds the demo's master key). run_demo --setup
## migrates, creates the cache table, runs setup_demo and sync_schedules, starts the emulators,
## the web server and the task cluster, then prints where to sign in; logs go to var/log/.
run: install
	@mkdir -p var
	@echo "Starting the demo (the first run reads a year of past invoices: about a minute)..."
	@$(DEMO_ENV) $(PY) manage.py run_demo --setup --addr 127.0.0.1:$(DEMO_PORT)

## make test — lint, type check, the whole suite on SQLite, then the whole suite again on PostgreSQL.
test: install ocr-deps browser-deps lint typecheck pytest pytest-postgres

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy connectors reconciliation well

pytest: install
	$(PY) -m pytest -n 2

pytest-postgres: install
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2

# Browser tests drive Debian's Chromium; never a downloaded browser.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The PDF reader runs inside bubblewrap (no network, no project files, no secrets).
reader-deps:
	@command -v bwrap >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null)

ocr-deps:
	@dpkg -s $(OCR_PACKAGES) >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_PACKAGES) >/dev/null)

bench: bench-parse bench-unseen bench-routing bench-post bench-match

bench-parse: install
	$(PY) bench/parse.py --scanned $(CORPUS)

# Generated invoices on layouts the demo never uses (text lane, XML off), per field and layout.
bench-unseen: install
	$(PY) bench/unseen.py

bench-routing: install
	$(PY) bench/routing.py

bench-post: install
	$(PY) bench/post.py

bench-match: install
	$(PY) bench/match.py

# PostgreSQL at 127.0.0.1 (database well_bench_admin, dropped and re-created): admin pages at
# 100,000 documents and 1,000,000 transactions. BENCH_ADMIN_ARGS="--documents 10000 ..." for less.
bench-admin: install
	PYTHONUNBUFFERED=1 $(PY) bench/admin.py $(BENCH_ADMIN_ARGS)

# Three qcluster processes on Redis (127.0.0.1:6379, db 11) and PostgreSQL (well_bench_soak),
# workers SIGKILLed, emulators injecting faults. SOAK_DOCS=300 for a quick run.
bench-soak: install
	PYTHONUNBUFFERED=1 $(PY) bench/soak.py --documents $(or $(SOAK_DOCS),10000)

clean:
	rm -rf var staticfiles .pytest_cache .mypy_cache .ruff_cache
