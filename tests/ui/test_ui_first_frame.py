"""What the main window needs before its first frame (issue #16: on screen no slower than
virt-manager's). pyqtgraph, numpy, pydantic and the models, the backends and the
connection machinery cost about 0.4 s to import; the window is built and shown without
any of them, and each comes with the first thing that uses it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

HEAVY = ("pyqtgraph", "numpy", "pydantic", "psygnal", "yaml", "console.models.base",
         "console.backends.base", "console.views.connection", "console.views.plots",
         "console.views.history", "console.export")

FIRST_FRAME = """
import sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from console.views.mainwindow import MainWindow

app = QApplication([])
window = MainWindow(QSettings(sys.argv[1], QSettings.Format.IniFormat))
window.show()
app.processEvents()
assert window.windowHandle().isExposed()
print(" ".join(m for m in sys.argv[2:] if m in sys.modules))
"""


def test_the_window_shows_without_the_heavy_imports(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(tmp_path / "s.ini"), *HEAVY],
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []  # each of these was imported before the first frame


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
