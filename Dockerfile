# monitor: the daemon (and `monitor browse`) in one image.
#   Build:  docker build -t monitor .
#   Run:    docker compose up -d        (compose.yaml: the daemon and browse on one volume)
#   or:     docker run -d --name monitor -v monitor-data:/data --read-only --tmpfs /tmp \
#             -e MONITOR_SLACK_WEBHOOK_URL=... monitor
# The archive lives on the /data volume; the configuration is /etc/monitor/sources.toml (mount
# your own over it). Digest channels come from MONITOR_* variables (monitor/envchannels.py) or
# from the config. tests/test_container.py does what this image does, without Docker.
#
# The base is pinned by digest, on the same Python minor version as CI (3.11). The digest is the
# python:3.11-slim manifest found in public Dockerfiles that pin it (also via the ECR mirror of
# Docker's official images); refresh it with `docker buildx imagetools inspect python:3.11-slim`.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY storage ./storage
COPY alerts ./alerts
# wheels of monitor and of every dependency, Datasette (the browse extra) included
RUN pip install --no-cache-dir --upgrade pip \
    && pip wheel --no-cache-dir --wheel-dir /wheels ".[browse]"

FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /etc/monitor && chown monitor:monitor /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels "monitor[browse]" \
    && rm -rf /wheels
COPY sources.toml /etc/monitor/sources.toml
ENV MONITOR_CONFIG=/etc/monitor/sources.toml \
    MONITOR_ARCHIVE=/data/archive.db \
    MONITOR_CONTAINER=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/data"]
USER monitor
WORKDIR /data
EXPOSE 8001
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 CMD ["monitor", "health"]
CMD ["monitor", "run"]
