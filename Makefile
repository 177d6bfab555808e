# The developer interface. `make run` and `make test` set themselves up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
ENV ?=
ENVS := dev prod
ARGS ?=

export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: run test lint unit e2e bench screenshots build deploy validate seed admin replay-dlq lead qr openapi clean browser \
	env-check deploy-check bootstrap smoke cost lambda-check iam-report

$(VENV)/.installed: requirements/dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.lock
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.lock
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/sam.lock
	@touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.lock
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/checkov.lock
	@touch $@

## run: start the embedded runtime (no AWS account, no Docker). ARGS="--port 0 --state .local/state"
run: $(VENV)/.installed
	@$(PY) -m local $(ARGS)

## test: lint, type-check, validate the template, import every function as deployed, run every test
test: lint validate lambda-check browser
	$(PY) -m pytest -n 2 --dist loadgroup $(ARGS)

## browser: Debian's chromium and chromium-driver for the console's browser tests (needs root)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			chromium chromium-driver; \
	fi

## screenshots: every page and email at phone and desktop size into docs/screenshots/ (test runs write them
##              to .local/screenshots/ instead, leaving the committed ones alone)
screenshots: $(VENV)/.installed browser
	SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -q -p no:cacheprovider \
		tests/e2e/test_pages_at_phone_size.py tests/e2e/test_ack_browser.py tests/e2e/test_console_queue_browser.py \
		tests/e2e/test_dashboard_browser.py tests/e2e/test_api_docs_browser.py

## lint: ruff, then mypy over the layer, local/, lint_rules/ and tools/, then over each function on its own:
##       a function's directory is its package root (app.py beside its Routers), so every function has a
##       top-level `app` and they cannot share one mypy run
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@for dir in functions/*/; do \
		echo "mypy $$dir"; MYPYPATH=$$dir $(VENV)/bin/mypy --no-error-summary $$dir*.py || exit 1; \
	done

## validate: SAM's lint, the repository's guardrails (lint_rules/guardrails.py, E9001-E9011, listed in
##           docs/operations.md), then checkov held to its baseline (lint_rules/checkov-baseline.yaml)
validate: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(SAM) validate --lint
	$(SAM_VENV)/bin/cfn-lint --append-rules lint_rules -- template.yaml
	$(SAM_VENV)/bin/python -m tools.checkov_gate --checkov $(CHECKOV_VENV)/bin/checkov

## lambda-check: build the layer and the functions for arm64/python3.12 (.lambda-check/), then import each
##               function in a clean interpreter with only its package, the layers and the runtime's boto3,
##               and call it with its events/ samples against moto (docs/operations.md)
lambda-check: $(VENV)/.installed
	$(PY) -m tools.lambda_check $(ARGS)

## iam-report: per function, the actions its role grants and those the integration and end-to-end suites
##             used (every authorisation recorded by local.iam); the unused ones are candidates for removal
iam-report: $(VENV)/.installed browser
	@mkdir -p .local && rm -f .local/iam-seen.jsonl
	RECOVERY_IAM_SEEN=$(CURDIR)/.local/iam-seen.jsonl $(PY) -m pytest -n 2 --dist loadgroup -q -p no:cacheprovider \
		tests/integration tests/e2e $(ARGS)
	$(PY) -m tools.iam_report .local/iam-seen.jsonl

## bench: measure the budgets in DESIGN.md; JSON goes to bench/results/
bench: $(VENV)/.installed
	$(PY) -m bench $(ARGS)

## build: sam build; the layer's wheels are fetched for arm64 and python3.12 (layers/recovery/Makefile),
##        with the pip of .venv-sam, so no python3.12 is needed
build: $(SAM_VENV)/.installed
	PIP="$(abspath $(SAM_VENV))/bin/python -m pip" $(SAM) build

## deploy: sam build, then sam deploy --config-env $(ENV): make deploy ENV=dev|prod (see docs/operations.md)
##         refused before the build while samconfig.toml's overrides for ENV hold example.com placeholders
deploy: env-check deploy-check build
	$(SAM) deploy --config-env $(ENV)

deploy-check: env-check
	@$(PYTHON) -m tools.samconfig_check --env $(ENV)

env-check:
	@if [ -z "$(ENV)" ]; then echo "ENV is required: make $(MAKECMDGOALS) ENV=<one of: $(ENVS)>" >&2; exit 2; fi
	@case " $(ENVS) " in *" $(ENV) "*) ;; \
		*) echo "unknown ENV '$(ENV)': use one of $(ENVS) (the environments of samconfig.toml)" >&2; exit 2;; esac

## bootstrap: first admin, admin key, first team and source of a deployed stack; prints secrets once
##            make bootstrap ENV=dev ARGS="--admin-email ops@example.com"
bootstrap: env-check $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.bootstrap --env $(ENV) $(ARGS)

## smoke: one test feedback followed to its case (team smoke) and alert, closed and erased; exits 1 naming
##        the failed step. make smoke URL=<ApiUrl> KEY=<source key> ADMIN_KEY=<admin key> LEAD=<smoke lead>
##        (or SMOKE_SOURCE_KEY, RECOVERY_ADMIN_KEY, SMOKE_LEAD; the lead's password in SMOKE_LEAD_PASSWORD)
smoke: $(VENV)/.installed
	@if [ -z "$(URL)" ]; then echo "URL is required: make smoke URL=<ApiUrl> KEY=<source key>" >&2; exit 2; fi
	@PYTHONPATH=layers/recovery $(PY) -m tools.smoke --url "$(URL)" \
		$(if $(KEY),--key "$(KEY)") $(if $(ADMIN_KEY),--admin-key "$(ADMIN_KEY)") $(if $(LEAD),--lead "$(LEAD)") $(ARGS)

## cost: monthly estimate from the benchmark's cost model: make cost VOLUME=200000 NEGATIVE=15%
cost: $(VENV)/.installed
	@if [ -z "$(VOLUME)" ]; then echo "VOLUME is required: make cost VOLUME=<feedback per month> NEGATIVE=<share>" >&2; exit 2; fi
	@PYTHONPATH=layers/recovery $(PY) -m tools.cost --volume "$(VOLUME)" --negative "$(or $(NEGATIVE),0.2)" $(ARGS)

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .local .lambda-check .pytest_cache .mypy_cache .ruff_cache

## seed: write config/sources.yaml to a deployed table and print new source keys
##       (needs AWS credentials and TABLE_NAME, EVENT_BUS_NAME, PII_KEY_SECRET_ARN from the stack outputs)
seed: $(VENV)/.installed
	PYTHONPATH=layers/recovery $(PY) -m tools.seed --config config $(ARGS)

## admin: the admin CLI against `make run` (or RECOVERY_API_URL/RECOVERY_ADMIN_KEY), e.g.
##        make admin ARGS="alerting put config/teams.yaml"
admin: $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.admin $(ARGS)

## replay-dlq: move every DLQ's messages back into processing (deployed stack, AWS credentials)
##             make replay-dlq ENV=dev ARGS=--dry-run   (or ARGS="--queue-url <AlertDLQUrl> --bus <EventBusName>")
replay-dlq: $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.ops replay-dlq $(if $(ENV),--env $(ENV)) $(ARGS)

## lead: add a console user to the deployed user pool (AWS credentials), e.g.
##       make lead ARGS="--pool <UserPoolId> --email kari@example.com --team support-emea"
##       or, without --pool, to the runtime of `make run` (prints a password once):
##       make lead ARGS="--email ana@example.com --team support-apac --admin"
lead: $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.ops add-lead $(ARGS)

## openapi: regenerate functions/ingest/openapi.json (the whole API's document, served at /v1/openapi.json
##     and /docs) from every API function's routes; a unit test fails when it is out of date
openapi: $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.openapi $(ARGS)

## qr: the hosted feedback page's URL, and its QR code as PNG and SVG in ./qr, e.g.
##     make qr ARGS="demo-web --store oslo-1"
qr: $(VENV)/.installed
	@PYTHONPATH=layers/recovery $(PY) -m tools.qr $(ARGS)
