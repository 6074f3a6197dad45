# The aftercare bot. The clinic folder (`aftercare init`: .env, knowledge/, the database) is the volume at
# /clinic; see deploy/compose.yaml. Without one, `docker run -e TELEGRAM_BOT_TOKEN=... -v clinic:/clinic IMAGE`
# starts with the shipped knowledge base and makes the database in the volume.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AFTERCARE_HOME=/clinic

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --no-cache-dir . \
    && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin aftercare \
    && mkdir -p /clinic \
    && chown 10001:10001 /clinic

USER 10001
VOLUME ["/clinic"]
# SIGTERM stops the bot cleanly within seconds (queued replies are kept for the next start).
STOPSIGNAL SIGTERM
CMD ["aftercare", "run"]
