# The two commands: `make run` and `make test`. Everything else is set up by them from a bare python3.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
REQ_HASH := $(shell $(PYTHON) -c "import hashlib,sys;print(hashlib.sha1(open('requirements.txt','rb').read()).hexdigest()[:12])")
STAMP := $(VENV)/.installed-$(REQ_HASH)
HOST ?= 127.0.0.1
PORT ?= 8000
SCAN_INTERVAL ?= 300
# Test processes (pytest-xdist): one per core, at most four.
TEST_WORKERS ?= auto
WORKERS ?= 1

# Local serving: production code paths (DEBUG off), plain HTTP on loopback, a generated secret.
RUN_ENV = DEBUG=$${DEBUG:-0} HTTPS=$${HTTPS:-0} TWO_FACTOR_REQUIRED=$${TWO_FACTOR_REQUIRED:-0} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} SECRET_KEY=$${SECRET_KEY:-$$(cat .secret_key)} AUDIT_KEY_FILE=$${AUDIT_KEY_FILE:-.audit_key}

.PHONY: install run test lint bench-quick clean

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

.secret_key:
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

.audit_key:
	@$(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@
	@chmod 600 $@

run: install .secret_key .audit_key
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(BIN)/python manage.py seed_demo
	$(RUN_ENV) $(BIN)/python manage.py serve --host $(HOST) --port $(PORT) --workers $(WORKERS) --scan-interval $(SCAN_INTERVAL)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
