# The two commands that matter: `make run` (demo on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
export FLASK_DEBUG ?= 0

.PHONY: run test install install-dev db demo lint clean

run: install db demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install-dev
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadgroup

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt

install-dev: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt

db:
	$(FLASK) db upgrade

demo:
	$(FLASK) seed-demo

lint:
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/*.sqlite3*
