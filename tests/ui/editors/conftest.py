"""Fixtures for the editor tests: a Document on the DESIGN.md example, private settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.models import topofile as tf

DATA = Path(__file__).parents[2] / "data"
EXAMPLE = DATA / "design_example.yaml"


@pytest.fixture
def example_file(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(EXAMPLE.read_text())
    return path


@pytest.fixture
def doc(qapp, settings, example_file):
    from console.views.editors.document import Document

    return Document(tf.load(example_file), example_file, settings=settings)


@pytest.fixture
def settle(qtbot):
    """Wait until the debounced work of the given objects is done: an editor's rule check
    (EditorBase.checking), a canvas's badges and findings (CanvasWidget.settling, or its
    scene's). Public properties only: the timers behind them are the views' own business."""
    from console.views.editors.base import EditorBase

    def busy(obj) -> bool:
        return obj.checking if isinstance(obj, EditorBase) else obj.settling

    def wait(*objects, doc=None):
        if doc is not None:  # its coalesced `changed` signal first: it starts the checks
            qtbot.waitUntil(lambda: not doc.pending, timeout=3000)
        for obj in objects:
            qtbot.waitUntil(lambda o=obj: not busy(o), timeout=3000)

    return wait


@pytest.fixture
def wait(qtbot):
    """The result of a file operation's future (Open and Save run in a worker thread)."""

    def result(future, timeout: int = 10000):
        qtbot.waitUntil(future.done, timeout=timeout)
        return future.result()

    return result
