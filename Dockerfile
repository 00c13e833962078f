# The DoubleX service image: `doublex serve` by default; `doublex migrate` for the one-shot
# migration job (docker-compose.yml). Linted by hadolint in tests/test_observability_files.py.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shell ./shell
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DOUBLEX_HOME=/app \
    LOG_FORMAT=json
RUN useradd --system --uid 10001 --no-create-home --home-dir /app doublex
WORKDIR /app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/*.whl \
    && rm -rf /wheels
# Migrations and procedures are read at run time from DOUBLEX_HOME.
COPY migrations ./migrations
COPY procedures ./procedures
COPY proxy ./proxy
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2).status != 200)"]
ENTRYPOINT ["doublex"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
