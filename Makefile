# The two commands that matter: `make run` (demo on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
export FLASK_DEBUG ?= 0

.PHONY: run test install install-dev db demo lint clean translations compile-translations

run: install db demo
	$(FLASK) run --host 127.0.0.1 --port 5000

# The fault tests run on their own after the rest: one restarts PostgreSQL under the app.
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadgroup -m "not fault"
	$(BIN)/pytest -p no:xdist -m fault

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	$(MAKE) --no-print-directory compile-translations

install-dev: $(BIN)/activate node_modules/axe-core/axe.min.js
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(MAKE) --no-print-directory compile-translations

# axe-core (pinned in package-lock.json) is injected into pages by the accessibility browser tests.
node_modules/axe-core/axe.min.js: package.json package-lock.json
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
