# actfn: gunicorn + Flask + JAX (CPU build). Build: docker build -t actfn .
# Run: docker run --rm -p 8000:8000 -e ACTFN_QUIZ_SECRET=$(openssl rand -hex 32) actfn
# (then curl localhost:8000/readyz). In production put nginx in front: docker-compose.yml.

# ---- build stage: wheels installed into a virtual environment -------------------------
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
RUN /opt/venv/bin/pip install -r /tmp/requirements.txt

# ---- runtime stage: no compilers, no pip cache, a non-root user -------------------------
FROM python:3.11.7-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    ACTFN_ENV=production \
    ACTFN_BIND=0.0.0.0:8000 \
    ACTFN_HEALTH_BIND=0.0.0.0:8081
RUN groupadd --system --gid 10001 actfn \
    && useradd --system --uid 10001 --gid actfn --home-dir /app --shell /usr/sbin/nologin actfn
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=actfn:actfn gunicorn.conf.py gunicorn.mcp.conf.py ./
COPY --chown=actfn:actfn service ./service
# Numeric, so Kubernetes' runAsNonRoot can verify it (deploy/k8s/deployment.yaml).
USER 10001:10001
# 8000: the API (gunicorn); 8081: liveness from gunicorn's master (ACTFN_HEALTH_BIND); 8001: the
# MCP server, when the image runs it (entrypoint: gunicorn -c gunicorn.mcp.conf.py
# "service.mcp.__main__:http_app()", see docker-compose.yml).
EXPOSE 8000 8001 8081
# gunicorn stops gracefully on SIGTERM (in-flight requests finish within graceful_timeout).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["gunicorn", "-c", "gunicorn.conf.py", "service:create_app()"]
