"""The Dockerfile (no docker engine in CI): its image would hold exactly the files it COPYs, so
the app is run from a directory holding only those files, and its settings are checked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _copied() -> list[str]:
    sources = []
    for line in DOCKERFILE.splitlines():
        parts = line.split()
        if parts[:1] == ["COPY"]:
            sources += [p.rstrip("/") for p in parts[1:-1] if not p.startswith("--")]
    return sources


def test_dockerfile_settings():
    assert re.search(r"^FROM python:3\.11-slim$", DOCKERFILE, re.MULTILINE)
    assert "pip install -r requirements.txt" in DOCKERFILE
    assert "HEALTHCHECK" in DOCKERFILE and "/_stcore/health" in DOCKERFILE
    assert "USER 10001" in DOCKERFILE and "EXPOSE 8501" in DOCKERFILE
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert "==" in line, f"unpinned requirement: {line}"


@pytest.mark.timeout(300)
@pytest.mark.slow
def test_the_app_runs_from_the_files_the_image_gets(tmp_path):
    """Every page runs, and every registered denoiser (the CNN weights in assets/ included)
    builds and denoises, from a copy holding only what the Dockerfile COPYs."""
    for source in _copied():
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, tmp_path / source,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, tmp_path / source)
    pages = sorted(p.stem for p in (tmp_path / "pages").glob("*.py"))
    assert len(pages) >= 7
    probe = textwrap.dedent(f"""
        import numpy as np
        import red_core
        from red_core import denoisers
        from streamlit.testing.v1 import AppTest
        assert red_core.__file__.startswith({str(tmp_path)!r}), red_core.__file__
        for name in denoisers.names():
            if denoisers.available(name):
                out = denoisers.build(name, 0.1)(np.full((24, 24), 0.5))
                assert np.isfinite(out).all(), name
        at = AppTest.from_file("app.py", default_timeout=120)
        at.run()
        for page in {pages!r}:
            at.switch_page(f"pages/{{page}}.py").run()
            assert not at.exception, (page, at.exception)
        print("ok", len({pages!r}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == f"ok {len(pages)}"
