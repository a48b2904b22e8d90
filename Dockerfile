# Production image: the same code runs web (ASGI), worker and beat; compose picks the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --uid 10001 madoguchi
WORKDIR /app

COPY pyproject.toml README.md ./
COPY helpdesk ./helpdesk
COPY tickets ./tickets
COPY channels_in ./channels_in
COPY customers ./customers
COPY knowledge ./knowledge
COPY feedback ./feedback
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY manage.py ./
RUN pip install --editable . \
 && SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
 && mkdir -p /app/var/media && chown -R madoguchi /app/var

USER madoguchi
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["uvicorn", "helpdesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--ws", "websockets", "--proxy-headers", "--forwarded-allow-ips", "*", "--no-server-header"]
