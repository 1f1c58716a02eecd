"""RED Lab core: forward models, denoisers, RED/PnP solvers, the theory and the lab's computations.

The package never imports streamlit (and plotly only in ``red_core.lab.plots``); it is usable from
a notebook or a script. Its rooms:

- ``operators``: the forward models and the degradation registry;
- ``denoisers``: the denoiser registry (classical, structured, the project's CNNs);
- ``solvers``: the RED and PnP algorithms, their registry and the one runner;
- ``theory``: the RED regulariser, Jacobian diagnostics, scores, cost landscapes;
- ``lab``: what the pages compute (race, 1-D field, Jacobian lab, Tweedie demos, quiz, plots);
- ``sweeps``: grids of runs on Dask, results tables, a command line;
- ``problem``, ``images``, ``signals``, ``metrics``, ``params``, ``glossary``: the shared basics.

``from red_core import X`` also works for the modules the README names by their short names:
``red`` (``theory.regulariser``), ``diagnostics``, ``score``, ``landscape`` (``theory.*``) and
``race``, ``field1d``, ``jacobian_lab``, ``tweedie``, ``quiz``, ``plots`` (``lab.*``). Nothing is
imported until it is asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Short name -> module, for ``from red_core import <short name>``.
_MODULES = {
    "red": "red_core.theory.regulariser",
    "diagnostics": "red_core.theory.diagnostics",
    "score": "red_core.theory.score",
    "landscape": "red_core.theory.landscape",
    "race": "red_core.lab.race",
    "field1d": "red_core.lab.field1d",
    "jacobian_lab": "red_core.lab.jacobian_lab",
    "tweedie": "red_core.lab.tweedie",
    "quiz": "red_core.lab.quiz",
    "plots": "red_core.lab.plots",
}

__all__ = ["denoisers", "glossary", "images", "lab", "metrics", "operators", "params", "problem",
           "signals", "solvers", "sweeps", "theory", *_MODULES]


def __getattr__(name: str) -> ModuleType:
    target = _MODULES.get(name)
    if target is None and name in __all__:
        target = f"{__name__}.{name}"
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(target)
    globals()[name] = module
    return module
