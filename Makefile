# The two commands that matter: `make run` (demo on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
export FLASK_DEBUG ?= 0

.PHONY: run worker serve test install install-dev db demo lint clean translations compile-translations security bench-load

# The job worker (background jobs: certificate ZIPs, daily reminders) runs beside the site and
# stops with it.
run: install db demo
	@$(BIN)/huey_consumer worker.huey -w 1 -k thread & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production: run this (as a service) on one or more hosts beside the app servers, with REDIS_URL set.
worker: install
	$(BIN)/huey_consumer worker.huey -w 2 -k thread

# A production server (README, Running in production): the environment holds APP_CONFIG=production,
# SECRET_KEY, DATABASE_URL, REDIS_URL and INSTANCE_PATH; migrate first, then serve with gunicorn.
BIND ?= 0.0.0.0:8000
WORKERS ?= 4
serve: install
	$(FLASK) db upgrade
	$(BIN)/gunicorn -w $(WORKERS) -b $(BIND) 'app:create_app()'

# The fault tests run on their own after the rest: one restarts PostgreSQL under the app.
test: install-dev security
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadgroup -m "not fault"
	$(BIN)/pytest -p no:xdist -m fault

# bandit fails on any high-severity finding; the dependency audit (pip-audit) on any known
# vulnerability, and it lists every pinned dependency it could not audit (.ci/audit_dependencies.py;
# --strict makes those fail too, .ci/audit-accepted.txt says why some are accepted).
BANDIT_PATHS := accounts audit certificates core coursepack demo jobs offline quizzes readiness reports training app.py config.py database.py extensions.py worker.py
security: install-dev
	$(BIN)/bandit -q -r $(BANDIT_PATHS) -lll
	$(BIN)/python .ci/audit_dependencies.py requirements.txt

# Load test (README, Benchmarks): LOAD_SECONDS=180 on SQLite then PostgreSQL (LOAD_DATABASE_URL).
# All three run even when one fails (errors, a reconciliation problem); the target fails if any did.
bench-load: install-dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	@status=0; \
	$(BIN)/python bench/load/run_load.py --engine sqlite --seconds $(or $(LOAD_SECONDS),180) || status=1; \
	$(BIN)/python bench/load/run_load.py --engine postgresql --seconds $(or $(LOAD_SECONDS),180) || status=1; \
	$(BIN)/python bench/load/signin_storm.py || status=1; \
	exit $$status

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory compile-translations

install-dev: $(BIN)/activate node_modules/.npm-ci.stamp
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory compile-translations

# Test-only npm packages, pinned in package-lock.json: axe-core, injected into pages by the
# accessibility browser tests, and oidc-provider, the OpenID provider of tests/browser/test_sso.py.
# The stamp is newer than the lock file once `npm ci` has installed what it lists.
node_modules/.npm-ci.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

# Message catalogues: `make translations` refreshes the .po files after interface text changes
# (then translate the new entries); the build compiles them to .mo, which are never committed.
translations:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
		--ignore-dirs=".venv tests bench migrations node_modules" -o translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i translations/messages.pot -d translations

compile-translations:
	@if [ -d translations ]; then $(BIN)/pybabel -q compile -d translations; fi

db:
	$(FLASK) db upgrade

demo:
	$(FLASK) seed-demo

lint:
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules instance/*.sqlite3*
