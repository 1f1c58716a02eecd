"""The shape of red_core: every module imports alone and in any order, no import cycles, no
streamlit anywhere, plotly only in the plots module, and every registry entry complete."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from red_core import denoisers, operators, solvers
from red_core.denoisers import SIGMA_GROUPS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "red_core"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(p) for p in PACKAGE.rglob("*.py"))
IS_MODULE = set(MODULES)


def _imports(path: Path) -> list[tuple[str, int]]:
    """``(target module, line)`` of every red_core import in a file, at any depth (function
    bodies too). ``from P import x`` targets ``P.x`` when that is a module, else ``P``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("red_core")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("red_core"):
                continue
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((sub if sub in IS_MODULE else node.module, node.lineno))
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path)
        graph[name] = {target for target, _ in _imports(path) if target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a list of modules, first = last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_inside_red_core():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.slow
def test_every_module_imports_first_in_a_fresh_interpreter_state():
    """Each module imported with no other red_core module loaded, then all the others (in
    forward and reverse order): an import cycle or a missing import shows here."""
    script = f"""
import importlib, sys
modules = {MODULES!r}
failures = []
for order in (modules, modules[::-1]):
    for first in order:
        for name in [m for m in sys.modules if m == "red_core" or m.startswith("red_core.")]:
            del sys.modules[name]
        try:
            importlib.import_module(first)
            for other in order:
                importlib.import_module(other)
        except Exception as error:
            failures.append(f"{{first}}: {{type(error).__name__}}: {{error}}")
print("\\n".join(failures))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", out.stdout


@pytest.mark.parametrize("module", MODULES)
def test_no_streamlit_and_plotly_only_in_plots(module):
    path = ROOT / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
             for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree)
              if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    assert "streamlit" not in names
    if module != "red_core.lab.plots":
        assert "plotly" not in names


# --------------------------------------------------------------------------- registries


@pytest.mark.parametrize("name", denoisers.names())
def test_every_denoiser_entry_is_complete(name):
    spec = denoisers.entry(name)
    assert spec.label and spec.label != name
    assert spec.colour.startswith("#") and len(spec.colour) == 7
    assert spec.description.endswith(".")
    assert spec.speed in ("fast", "slow")
    for group in SIGMA_GROUPS:
        assert denoisers.sigma_factor(name, group) > 0
    assert denoisers.label(name) == spec.label and denoisers.colour(name) == spec.colour


def test_denoiser_colours_and_labels_are_distinct():
    specs = [denoisers.entry(n) for n in denoisers.names()]
    assert len({s.colour for s in specs}) == len(specs)
    assert len({s.label for s in specs}) == len(specs)


@pytest.mark.parametrize("name", operators.names())
def test_every_degradation_entry_is_complete(name):
    spec = operators.entry(name)
    assert spec.label and spec.description
    resolved = spec.resolve({})
    assert spec.min_side(resolved) >= 1 and spec.multiple(resolved) >= 1
    for p in spec.widgets:
        assert p.label and p.help, p
        assert p.kind == "choice" or (p.low is not None and p.high is not None), p
        assert p.offered(p.check(p.default)), p  # the default is inside the offered range


@pytest.mark.parametrize("name", solvers.names())
def test_every_algorithm_entry_is_complete(name):
    spec = solvers.entry(name)
    assert spec.family in ("red", "pnp") and spec.label and spec.short
    assert spec.formula and spec.update and spec.step_rule
    assert spec.sigma_group in SIGMA_GROUPS
    for p in spec.params:
        assert p.label and p.help and p.symbol, p
    assert set(solvers.default_params(name, _tiny_problem())) == {p.name for p in spec.params}


def test_algorithm_colours_are_distinct():
    colours = [solvers.entry(n).colour for n in solvers.names()]
    assert len(set(colours)) == len(colours)


def _tiny_problem():
    import numpy as np

    truth = np.random.default_rng(0).random((16, 16))
    return solvers.Problem.synthesize(truth, operators.build("gaussian_blur", truth.shape), 0.01)


@pytest.mark.parametrize("name", solvers.names())
def test_denoised_at_iterate_says_what_the_generator_does(name):
    """The entry's flag (which lets a race skip extra statistics calls) matches its states."""
    import numpy as np

    spec = solvers.entry(name)
    problem = _tiny_problem()
    gen = spec.generator(problem, lambda x: 0.9 * x, **solvers.resolve(name, problem, None, {}))
    with np.errstate(all="ignore"):
        states = [next(gen) for _ in range(3)]
    gen.close()
    for state in states:
        if state.denoised is not None:
            np.testing.assert_allclose(state.denoised, 0.9 * state.x)
    assert all(s.denoised is not None for s in states) == spec.denoised_at_iterate
