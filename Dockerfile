# monitor daemon image. Build:  docker build -t monitor .
# Run:    docker run -d --name monitor -v monitor-data:/data --read-only --tmpfs /tmp \
#           -e SMTP_PASSWORD=... monitor
# The archive lives on the /data volume; the configuration is /etc/monitor/sources.toml
# (mount your own over it). tests/test_container.py does what this image does, without Docker.

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY monitor ./monitor
COPY storage ./storage
COPY alerts ./alerts
RUN pip install --no-cache-dir --upgrade pip \
    && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin monitor \
    && mkdir -p /data /etc/monitor && chown monitor:monitor /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY sources.toml /etc/monitor/sources.toml
ENV MONITOR_CONFIG=/etc/monitor/sources.toml \
    MONITOR_ARCHIVE=/data/archive.db \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/data"]
USER monitor
WORKDIR /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=10s --start-period=90s --retries=3 CMD ["monitor", "health"]
CMD ["monitor", "run"]
