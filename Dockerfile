# lobby-agenda service image: slim Python, non-root user, settings through LOBBY_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY scheduler ./scheduler
RUN pip install .

COPY config ./config
COPY templates ./templates
RUN useradd --system --uid 10001 --home-dir /app lobby && mkdir -p /app/var && chown lobby /app/var
USER lobby

ENV LOBBY_HOST=0.0.0.0 LOBBY_PORT=8000
EXPOSE 8000
VOLUME ["/app/var"]
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["lobby-agenda", "serve"]
