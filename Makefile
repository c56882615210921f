# The two commands a newcomer needs: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
# Bytecode, once: the packages compiled at install, our own sources on first import. With
# PYTHONDONTWRITEBYTECODE (set on some machines) every test process and every app of a
# test stack compiled everything again: 5-10 s of CPU each.
export UV_COMPILE_BYTECODE := 1
unexport PYTHONDONTWRITEBYTECODE

# uv comes from PyPI through pip when it is not on PATH; it never downloads a Python.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.DEFAULT_GOAL := help
.PHONY: help install run test lint fmt bench soak demo schemas deploy-check \
	test-contacts test-sales test-marketing test-support test-analytics test-gateway test-chassis \
	test-faults fuzz

# The test runner: one pytest per package (each with its own PostgreSQL and NATS), a few
# at a time, longest first; PYTEST_ARGS go to every pytest, CRM_TEST_JOBS sets how many
# run at once. `python -m crm_testing.runner --help` says more.
RUNNER := $(UV) run --no-sync python -m crm_testing.runner

help: ## show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(UV) ## create .venv with every workspace package and the dev tools (locked)
	$(UV) sync --all-packages --locked

run: install ## start the whole platform on embedded PostgreSQL and NATS; Ctrl-C stops it
	exec .venv/bin/crm-local run  # not through `uv run`, which would forward every signal again

test: install ## run every test: unit, integration (real PostgreSQL and NATS) and end-to-end
	$(RUNNER) -- $(PYTEST_ARGS)

test-contacts: install ## contacts-service's tests (unit and integration side by side)
	$(RUNNER) contacts-service -- $(PYTEST_ARGS)

test-sales: install ## sales-service's tests
	$(RUNNER) sales-service -- $(PYTEST_ARGS)

test-marketing: install ## marketing-service's tests
	$(RUNNER) marketing-service -- $(PYTEST_ARGS)

test-support: install ## support-service's tests
	$(RUNNER) support-service -- $(PYTEST_ARGS)

test-analytics: install ## analytics-service's tests
	$(RUNNER) analytics-service -- $(PYTEST_ARGS)

test-gateway: install ## the gateway's tests
	$(RUNNER) gateway -- $(PYTEST_ARGS)

test-chassis: install ## the chassis', crm-testing's and crm-local's tests
	$(RUNNER) services deploy/local -- $(PYTEST_ARGS)

test-faults: install ## the fault tests at full size: loads ten times those of `make test`
	CRM_FAULTS_FULL=1 $(RUNNER) tests/faults -- $(PYTEST_ARGS)

fuzz: install ## schemathesis over every API, the merged one in full, 50 examples per operation
	CRM_FUZZ_EXAMPLES=$(or $(EXAMPLES),50) CRM_FUZZ_ALL=1 CRM_FUZZ_TIMEOUT=3000 \
		$(UV) run --no-sync pytest tests/test_api_fuzz.py -q -p no:cacheprovider --timeout 3600 $(PYTEST_ARGS)

lint: install ## ruff (lint and format check) and mypy over the workspace
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync mypy proto/src services/chassis/src services/testing/src deploy/local/src gateway/src contacts-service/src cli/src \
		sales-service/src marketing-service/src support-service/src analytics-service/src

fmt: install ## format and auto-fix with ruff
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

schemas: install ## regenerate proto/schemas from the event models
	$(UV) run --no-sync python -m crm_proto.generate

bench: install ## run every benchmark in bench/: one table of ratios to same-run baselines in .data/bench/latest.md (QUICK=1: small sizes, < 5 min)
	$(UV) run --no-sync python -m bench $(if $(QUICK),--quick) $(BENCH_ARGS)

demo: install ## load a demo tenant (seeded Faker data) into the platform `make run` started; SIZE=small for a quick one
	.venv/bin/crm demo --url http://127.0.0.1:$${CRM_LOCAL_GATEWAY_PORT:-8000} --api-key "$$(cat .data/bootstrap-api-key)" --size $(or $(SIZE),full)

soak: install ## the platform under mixed load through the gateway for 10 min (SOAK_ARGS="--minutes 2"): throughput, errors (must be 0), memory of every process
	$(UV) run --no-sync python -m crm_local.soak $(SOAK_ARGS)

deploy-check: install ## render and validate the Kubernetes overlays, lint the Dockerfile, check our rules
	$(UV) run --no-sync python deploy/k8s/check.py
	$(UV) run --no-sync pytest tests/deploy -q -p no:cacheprovider
