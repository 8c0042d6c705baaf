# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/posc

.PHONY: run test test-quick lint format install install-dev worker beat check-deploy clean totp bench chromium fonts design-system

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: set up, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  POSC portal: http://127.0.0.1:$(PORT)/"
	@echo "  Sign in as mhughes (Primary User), jdoe11 (subordinate), bsb.biller (billing intermediary),"
	@echo "  tnguyen (first sign-in), eddy.compliance (compliance officer) or agency.admin (agency staff)."
	@echo "  Demo password for all of them: demo-posc-2026-portal"
	@echo ""
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## make test: ruff, then the whole suite on PostgreSQL (and Redis, Chromium for the browser tests)
test: install-dev lint chromium fonts
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

## chromium: Debian's headless browser for the browser tests (Playwright cannot download one here)
chromium:
	@command -v chromium >/dev/null || (echo "test: installing Debian's chromium" \
		&& (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)))

## fonts: Debian's Unicode fonts the review PDF embeds, so every name prints as written (audit/reviews/fonts.py)
PDF_FONTS = /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
fonts:
	@ls $(PDF_FONTS) >/dev/null 2>&1 || (echo "installing Debian's fonts-dejavu-core fonts-droid-fallback" \
		&& (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-droid-fallback >/dev/null \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-dejavu-core fonts-droid-fallback >/dev/null)))

## make test-quick: the suite without the slow tier (browser and concurrency tests)
test-quick: install-dev fonts
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make design-system: refresh the vendored U.S. Web Design System in static/uswds/ (needs npm; make run does not)
design-system:
	$(PYTHON) deploy/vendor_uswds.py

## make totp WHO=agency.admin: the current two-step code of a demo user (DEBUG only)
totp: install
	@$(BIN)/python manage.py demo_totp $(WHO)

## make bench: the issue 6 benchmark on the scale data set in its own database (docs/performance.md)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/posc_bench
bench: install-dev
	@command -v wrk >/dev/null || (echo "bench: installing wrk" && apt-get install -y -qq wrk >/dev/null)
	@psql "$(dir $(BENCH_DATABASE_URL))postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname='$(notdir $(BENCH_DATABASE_URL))'" | grep -q 1 \
		|| psql "$(dir $(BENCH_DATABASE_URL))postgres" -qc "CREATE DATABASE $(notdir $(BENCH_DATABASE_URL))"
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python bench/run.py

worker: install
	$(BIN)/celery -A posc worker --loglevel=info

beat: install
	$(BIN)/celery -A posc beat --loglevel=info --scheduler django_celery_beat.schedulers:DatabaseScheduler

check-deploy: install fonts
	DJANGO_SETTINGS_MODULE=posc.settings.production \
	DJANGO_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))') \
	POSC_AUDIT_CHAIN_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))') \
	DJANGO_ALLOWED_HOSTS=posc.example.org $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
