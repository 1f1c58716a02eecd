# RED Lab: `make run` starts the app, `make test` runs ruff and the whole test suite.
# Both create .venv when it is missing; installs are skipped when the requirements files
# have not changed since the last install (stamp .venv/.installed-<hash>).

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8501
# localhost only by default (ADDRESS=0.0.0.0 serves the network); it also keeps streamlit
# from looking up the machine's external IP on the internet at start.
ADDRESS ?= localhost
PYTEST_ARGS ?=

export PYTHON VENV

.DEFAULT_GOAL := help
.PHONY: help install install-dev chromium nginx run lint test test-fast clean

help:
	@echo "make run        install requirements.txt into $(VENV) and start the app on http://$(ADDRESS):$(PORT)"
	@echo "make test       install requirements-dev.txt (+ Debian chromium and nginx), ruff, all tests"
	@echo "make test-fast  like test, without the browser and slow tests (under 3 minutes)"
	@echo "make lint       ruff check ."
	@echo "make clean      remove caches and test artifacts (keeps $(VENV))"

install:
	@bash scripts/ensure_venv.sh requirements.txt

install-dev:
	@bash scripts/ensure_venv.sh requirements-dev.txt

chromium:
	@bash scripts/ensure_chromium.sh

nginx:
	@bash scripts/ensure_nginx.sh

# One BLAS thread per process (as in the Dockerfile): sessions already run in threads of their
# own, and a multi-threaded OpenBLAS made the default race 3-6x slower next to a busy browser
# (bench/race_speed.py, docs/BENCHMARKS.md).
run: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(VENV)/bin/python -m streamlit run app.py --server.address=$(ADDRESS) \
		--server.port=$(PORT) --browser.gatherUsageStats=false

lint: install-dev
	$(VENV)/bin/ruff check .

# pytest's paths and options (doctests of red_core included) are in pyproject.toml.
test: install-dev chromium nginx lint
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

test-fast: install-dev lint
	$(VENV)/bin/python -m pytest -m "not browser and not slow" $(PYTEST_ARGS)

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis tests/artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
