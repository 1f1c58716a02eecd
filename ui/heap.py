"""Keep Streamlit's garbage collection after every script run cheap.

Streamlit runs a full ``gc.collect()`` after each script run, fragment runs included
(``runner.postScriptGC``). With numpy, scikit-image, pandas and plotly imported, a full
collection walks ~190k long-lived objects: 120 ms holding the GIL on this machine, after every
slider move and after every live frame of a race, while the lanes' threads wait for the GIL.
:func:`settle` moves the objects that exist once the modules are imported into the
collector's permanent generation (``gc.freeze``), so each later collection walks only what the
runs since then created, and still frees their cycles.
"""

from __future__ import annotations

import gc
import sys
import threading

_lock = threading.Lock()
_modules_at_freeze = 0


def settle() -> bool:
    """Collect and freeze the heap when modules were imported since the last freeze.

    Called at the end of every run of ``app.py``; the first run of a page that imports new
    modules pays one full collection (~0.1 s), every other run costs one ``len(sys.modules)``.

    Returns
    -------
    bool
        True when this call collected and froze.
    """
    global _modules_at_freeze
    if len(sys.modules) == _modules_at_freeze:
        return False
    with _lock:
        if len(sys.modules) == _modules_at_freeze:
            return False
        gc.collect()
        gc.freeze()  # objects alive now are long-lived: modules, caches, registries
        _modules_at_freeze = len(sys.modules)
        return True
