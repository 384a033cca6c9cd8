# hq-ingest image: one image for every process group (web, worker, lookups, release).
# Build: docker build -t hq-ingest .   Run them with compose.yaml (or the Procfile's lines).

# --- build: resolve and install the locked dependencies into a virtualenv -----------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml requirements.lock README.md ./
COPY gateway gateway
COPY workers workers
COPY pipeline pipeline
COPY schemas schemas
# No extras: the embedded servers, the geo build sources and the dev tools stay out.
RUN /venv/bin/pip install -c requirements.lock .

# --- run: the virtualenv, the migrations and the Procfile; no compiler, no pip cache ------
FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --home-dir /app hq
WORKDIR /app
COPY --from=build /venv /venv
COPY alembic.ini Procfile ./
COPY alembic alembic
ENV PATH=/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 HQ_LOG_FORMAT=json
USER hq
EXPOSE 8000
# The Procfile's `web` line; compose.yaml runs the other lines with this image.
CMD ["sh", "-c", "exec env uvicorn gateway.app:create_app --factory --host ${HQ_HOST:-0.0.0.0} --port ${PORT:-8000} --workers ${WEB_CONCURRENCY:-2}"]
