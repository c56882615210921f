# One image for every process of the platform (docs/adr/0006): the Kubernetes manifests
# pick the app with the container command, `uvicorn --factory <package>.main:create_app`,
# and run each app's migrations from it (`alembic -n <app> upgrade heads`).
#
#   docker build -t crm .
#   docker run -e CRM_GATEWAY_DATABASE_URL=... -e CRM_NATS_URL=... -p 8000:8000 crm

# -- build: the locked dependencies and our packages into /app/.venv ---------------------
FROM python:3.11-slim-bookworm AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
COPY . /app
# The apps only: not the embedded stack of `make run` (PostgreSQL and NATS binaries),
# not the CLI, not the test plugin. Installed, not editable, compiled to bytecode.
RUN uv sync --locked --no-dev --no-editable \
    --package crm-gateway \
    --package contacts-service \
    --package sales-service \
    --package marketing-service \
    --package support-service \
    --package analytics-service

# -- runtime: the interpreter, the environment and the migrations; no uv, pip or compiler -
FROM python:3.11-slim-bookworm
RUN python -m pip uninstall --yes --quiet pip setuptools wheel \
    && groupadd --gid 10001 crm \
    && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp crm
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Migrations for the Jobs: one alembic.ini (a section per app), the shared script
# directory, and each app's revisions.
COPY --from=build /app/alembic.ini /app/
COPY --from=build /app/services/migrations /app/services/migrations
COPY --from=build /app/gateway/migrations /app/gateway/migrations
COPY --from=build /app/contacts-service/migrations /app/contacts-service/migrations
COPY --from=build /app/sales-service/migrations /app/sales-service/migrations
COPY --from=build /app/marketing-service/migrations /app/marketing-service/migrations
COPY --from=build /app/support-service/migrations /app/support-service/migrations
COPY --from=build /app/analytics-service/migrations /app/analytics-service/migrations
# uvicorn reads its options from UVICORN_* and the number of worker processes from
# WEB_CONCURRENCY; the manifests set the port per app. The root file system may be
# read-only: nothing is written but under /tmp (and the apps' data volumes).
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    WEB_CONCURRENCY=1
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"UVICORN_PORT\"]}/healthz', timeout=2)"]
CMD ["uvicorn", "--factory", "crm_gateway.main:create_app"]
