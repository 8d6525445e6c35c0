"""The startup log benchmarks/startup.py reads (FABRIC_CONSOLE_STARTUP_LOG, console/app.py):
the window's first exposure, then the first moving graph; and the cycle collector, off
while the GUI starts, back on once the window shows. No timing is asserted."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys

from console import app


def read_lines(path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def test_the_console_logs_mapped_then_moving(qtbot, tmp_path):
    log = tmp_path / "startup.log"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               FABRIC_CONSOLE_STARTUP_LOG=str(log))
    proc = subprocess.Popen([sys.executable, "-m", "console.cli"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        qtbot.waitUntil(lambda: proc.poll() is not None
                        or any(line[:1] == ["moving"] for line in read_lines(log)),
                        timeout=60000)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    lines = read_lines(log)
    assert [line[0] for line in lines] == ["mapped", "moving"], lines
    for _what, seconds, clock in lines:
        assert float(seconds) >= 0 and float(clock) > 0
    # one clock: the graph moved after the window showed (an order, not a duration)
    assert float(lines[1][2]) >= float(lines[0][2])


def test_the_collector_comes_back_once_the_window_shows(window, qtbot):
    assert window.windowHandle().isExposed()  # the fixture showed it (offscreen)
    gc.disable()
    try:
        app.collect_again_once_shown(window)
        qtbot.waitUntil(gc.isenabled, timeout=5000)
    finally:
        gc.enable()


def test_when_exposed_runs_once_the_window_is_on_screen(qtbot):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.winId()  # its QWindow exists before it shows
    calls: list[bool] = []
    widget.show()
    app.when_exposed(widget, lambda: calls.append(widget.windowHandle().isExposed()))
    qtbot.waitUntil(lambda: calls == [True], timeout=5000)
    widget.hide()
    widget.show()
    qtbot.waitUntil(widget.windowHandle().isExposed, timeout=5000)
    assert calls == [True]  # once only
