# Two commands: `make run` runs the whole service, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-shifted setup lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
	$(BIN)/python manage.py bootstrap

run: setup
	@echo ""
	@echo "Paperboy is starting (Ctrl-C stops web, worker and beat):"
	@echo "  site        http://127.0.0.1:$${PORT:-8000}/"
	@echo "  admin       http://127.0.0.1:$${PORT:-8000}/admin/"
	@echo "  health      http://127.0.0.1:$${PORT:-8000}/healthz"
	@echo "  sent email  var/outbox/*.eml (unless EMAIL_URL is set)"
	@echo ""
	@# honcho hands each process its own PORT (web PORT, worker PORT+100, ...): links follow the web's one.
	SITE_URL="$${SITE_URL:-http://127.0.0.1:$${PORT:-8000}}" $(BIN)/honcho start --port $${PORT:-8000}

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The suite again with the clock shifted: make test-shifted WHEN=+40d (or leap-day, dst-change, an ISO moment).
test-shifted: $(VENV)/.installed-dev
	bash .ci/shifted-clock "$(WHEN)"

clean:
	rm -rf var
