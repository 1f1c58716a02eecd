"""ui.heap: the objects alive once the modules are imported are frozen, so Streamlit's
collection after every script run walks only what later runs created."""

from __future__ import annotations

import gc
import sys
import types

import pytest

from helpers import open_app
from ui import heap


@pytest.fixture
def thawed():
    gc.unfreeze()
    heap._modules_at_freeze = 0
    yield
    gc.unfreeze()


def test_settle_freezes_once_per_set_of_modules(thawed):
    assert heap.settle() is True
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # numpy, streamlit, red_core: their objects are no longer walked
    assert heap.settle() is False  # nothing imported since: a no-op
    assert gc.get_freeze_count() == frozen
    sys.modules["_redlab_heap_probe"] = types.ModuleType("_redlab_heap_probe")
    try:
        assert heap.settle() is True  # a page imported something new: frozen again
    finally:
        del sys.modules["_redlab_heap_probe"]


def test_a_page_run_leaves_the_heap_frozen(thawed):
    at = open_app("pages/gradient_1d.py")
    assert not at.exception
    assert gc.get_freeze_count() > 10_000
    # the collection after a run now walks far fewer objects than the frozen ones
    assert len(gc.get_objects()) < gc.get_freeze_count()
