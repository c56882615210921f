# One image for every process of the platform; the Kubernetes manifests pick the app
# with the container command (uvicorn --factory <package>.main:create_app).
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY . /app
RUN uv sync --locked --all-packages --no-dev --no-editable

FROM python:3.11-slim
RUN useradd --uid 10001 --create-home crm
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Migrations for the Jobs: one alembic.ini (a section per app: alembic -n contacts
# upgrade heads), the shared script directory, and each app's revisions.
COPY --from=build /app/alembic.ini /app/
COPY --from=build /app/services/migrations /app/services/migrations
COPY --from=build /app/gateway/migrations /app/gateway/migrations
COPY --from=build /app/contacts-service/migrations /app/contacts-service/migrations
COPY --from=build /app/sales-service/migrations /app/sales-service/migrations
COPY --from=build /app/marketing-service/migrations /app/marketing-service/migrations
COPY --from=build /app/support-service/migrations /app/support-service/migrations
COPY --from=build /app/analytics-service/migrations /app/analytics-service/migrations
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
USER 10001
CMD ["python", "-m", "uvicorn", "--factory", "crm_gateway.main:create_app", "--host", "0.0.0.0", "--port", "8000"]
