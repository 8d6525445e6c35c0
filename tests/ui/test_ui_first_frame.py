"""What the main window needs before its first frame (issue #16: on screen no slower than
virt-manager's). pyqtgraph, numpy, pydantic and the models, the backends and the
connection machinery cost about 0.4 s to import; the window is built and shown without
any of them, and each comes with the first thing that uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("pyqtgraph", "numpy", "pydantic", "psygnal", "yaml", "console.models.base",
         "console.backends.base", "console.views.connection", "console.views.plots",
         "console.views.history", "console.export")

# The first frame as console.app shows it (show_then_build; closed() is true, so
# nothing is opened or built after it).
FIRST_FRAME = """
import json, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDockWidget
from console.app import show_then_build
from console.views.mainwindow import MainWindow

app = QApplication([])
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
show_then_build(window, ["emulated:///demo"], lambda: True)
app.processEvents()
assert window.windowHandle().isExposed()
print(json.dumps({
    "imported": [m for m in sys.argv[2:] if m in sys.modules],
    "tabs": [window.workspace.tabText(i) for i in range(window.workspace.count())],
    "docks": sorted(d.objectName() for d in window.findChildren(QDockWidget)),
    "status": window.statusBar().currentMessage(),
    "speeds": [a.isEnabled() for a in window.speed_actions.values()],
}))
"""


def test_the_window_shows_without_the_heavy_imports(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(tmp_path / "s.ini"), *HEAVY],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    frame = json.loads(out.stdout)
    assert frame["imported"] == []  # each of these was imported before the first frame
    # and the frame is the whole window, not a part of it
    assert frame["tabs"] == ["Details", "Topology"]
    assert frame["docks"] == ["dock-editor", "dock-findings"]
    assert frame["status"] == "Opening emulated:///demo…"
    assert not any(frame["speeds"])  # no connection yet: no simulated clock to drive


def test_after_the_first_frame_the_connections_open_and_the_editors_fill_their_places(
        qloop, qtbot, settings, run, close_connections):
    from PySide6.QtWidgets import QDockWidget

    from console.app import show_then_build
    from console.views.editors.panel import EditorPanel
    from console.views.mainwindow import MainWindow

    window = MainWindow(settings)
    try:
        show_then_build(window, ["emulated:///demo"], lambda: False)
        assert window.statusBar().currentMessage() == "Opening emulated:///demo…"
        qtbot.waitUntil(lambda: hasattr(window, "editors"), timeout=15000)
        conn = window.connections[0]
        assert conn.uri == "emulated:///demo"
        assert window.statusBar().currentMessage() == ""
        qtbot.waitUntil(lambda: window.editors.connection is conn, timeout=15000)
        tabs = [window.workspace.tabText(i) for i in range(window.workspace.count())]
        assert tabs == ["Details", "Topology"]
        assert window.workspace.widget(1) is window.editors.tab
        docks = window.findChildren(QDockWidget)
        assert sorted(d.objectName() for d in docks) == ["dock-editor", "dock-findings"]
        assert window.editors.dock in docks
        assert isinstance(window.editors.dock.widget(), EditorPanel)
        assert window.editors.dock.isHidden()  # nothing is edited yet
        close_connections(window)
    finally:
        window.close()
        window.deleteLater()


def test_sparkline_polyline_is_pyqtgraphs(qapp):
    from pyqtgraph.functions import arrayToQPolygonF

    from console.views.tree import polyline

    xs = np.arange(60) * 1.5 + 3
    ys = np.random.default_rng(1).random(60) * 20
    assert polyline(xs, ys) == arrayToQPolygonF(xs, ys)
    assert polyline(np.zeros(0), np.zeros(0)).isEmpty()


@pytest.mark.parametrize("n", [1, 2, 60])
def test_sparkline_polyline_points(qapp, n):
    from console.views.tree import polyline

    xs, ys = np.arange(n, dtype=float), np.arange(n, dtype=float)[::-1] * 2
    poly = polyline(xs, ys)
    assert [(p.x(), p.y()) for p in poly] == list(zip(xs.tolist(), ys.tolist()))
