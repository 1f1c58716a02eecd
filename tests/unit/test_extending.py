"""docs/EXTENDING.md: each worked example (a denoiser, a degradation, an algorithm) runs.

Each ```python block runs in a fresh interpreter, so its registration does not leak into the
other tests; a block fails the test if it raises (its own asserts included).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "EXTENDING.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_guide_has_the_three_examples():
    assert len(BLOCKS) == 3
    assert "denoisers.register" in BLOCKS[0]
    assert "operators.register" in BLOCKS[1]
    assert "solvers.register" in BLOCKS[2]


@pytest.mark.parametrize("index, name", [(0, "denoiser"), (1, "degradation"), (2, "algorithm")])
def test_example_runs(index, name):
    out = subprocess.run([sys.executable, "-c", BLOCKS[index]], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={"PYTHONPATH": str(ROOT),
                                                      "OMP_NUM_THREADS": "1",
                                                      "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, f"the {name} example failed:\n{out.stderr}"
    assert out.stdout.strip(), "the example prints its result"
