# RED Lab as one container: `streamlit run app.py` on port 8501, as a non-root user.
#
#   docker build -t redlab .
#   docker run --rm -p 8501:8501 redlab              # then open http://localhost:8501
#
# Several replicas behind nginx: see deploy/nginx.conf and docs/HOSTING.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_NUM_THREADS=1 \
    OPENBLAS_NUM_THREADS=1 \
    MKL_NUM_THREADS=1

# One unprivileged user owns nothing but its home; the app's files stay root-owned (read-only).
RUN groupadd --gid 10001 redlab \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin redlab

WORKDIR /app

# Dependencies first (pinned in requirements.txt): this layer is reused until it changes.
# Every package ships a manylinux wheel, so no compiler is needed.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app: navigation, pages, the library (with its trained CNN weights in assets/), the
# shared widget helpers and the production settings (.streamlit/config.toml: headless, XSRF
# on, 10 MB uploads, no error details). tests/deploy/test_dockerfile.py runs the app from exactly
# these files.
COPY app.py ./
COPY .streamlit/ .streamlit/
COPY ui/ ui/
COPY red_core/ red_core/
COPY pages/ pages/
COPY assets/ assets/

# Numeric, so that orchestrators can check it is not root (runAsNonRoot).
USER 10001:10001
EXPOSE 8501

# Streamlit answers "ok" on /_stcore/health once it serves (python: the slim image has no curl).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4); sys.exit(0 if r.read().strip() == b'ok' else 1)"]

CMD ["python", "-m", "streamlit", "run", "app.py", \
     "--server.address=0.0.0.0", "--server.port=8501"]
