# The aftercare bot: `docker run -e TELEGRAM_BOT_TOKEN=... -v aftercare-data:/data IMAGE`
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AFTERCARE_DB=/data/aftercare.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --no-cache-dir . \
    && mkdir -p /data \
    && chown 10001:10001 /data

USER 10001
VOLUME ["/data"]
CMD ["aftercare", "run"]
