# The incident worker: `docker build -t incident-pipeline .`, then `docker compose up` (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The project as pyproject.toml declares it: packages domain, workflows, activities, adapters, api, starter and worker.py.
COPY pyproject.toml README.md worker.py ./
COPY domain/ domain/
COPY workflows/ workflows/
COPY activities/ activities/
COPY starter/ starter/
COPY adapters/ adapters/
COPY api/ api/
RUN pip install . && rm -rf build incident_pipeline.egg-info
# Bytecode written once here: the workflow sandbox imports the workflow modules anew for every incident it runs, and
# without .pyc files (PYTHONDONTWRITEBYTECODE) each import compiles them from source again.
RUN python -m compileall -q worker.py domain workflows activities starter adapters api

COPY config/ config/

# Runs unprivileged; the records directory is created here so a fresh named volume mounted on it is owned by the worker.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/incidents incidents \
    && mkdir -p /var/lib/incidents/records \
    && chown -R incidents:incidents /var/lib/incidents
USER incidents

ENV INCIDENTS_CATALOG_PATH=/app/config/catalog.yaml \
    INCIDENTS_RECORDS_DIR=/var/lib/incidents/records

CMD ["python", "worker.py"]
