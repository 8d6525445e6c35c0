"""UI test fixtures: a qasync loop per test, a window on private settings, and napari's
guard that fails a test leaving a QTimer or an engine thread running."""

from __future__ import annotations

import asyncio
import threading
import weakref

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pyqtgraph")
qasync = pytest.importorskip("qasync")

from PySide6.QtCore import QSettings, QTimer  # noqa: E402


@pytest.fixture(scope="session")
def _session_loop(qapp):
    # One loop for the session: qasync's stop() calls QApplication.exit(), after which
    # a second loop on the same application never runs its tasks.
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)
    yield loop


def _from_libvirtaio(task: asyncio.Task) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.endswith("libvirtaio.py")


@pytest.fixture
def qloop(_session_loop, qtbot):
    """The asyncio loop Qt drives: qtbot.waitUntil runs its tasks (PATTERNS.md). Tasks a
    test leaves behind are cancelled when it ends."""
    asyncio.events._set_running_loop(_session_loop)
    asyncio.set_event_loop(_session_loop)
    before = set(asyncio.all_tasks(_session_loop))
    yield _session_loop
    # libvirtaio's timer task lives as long as the process: libvirt-python registers its
    # event implementation once per process, in whichever test first connects.
    left = [t for t in asyncio.all_tasks(_session_loop) if t not in before and not t.done()
            and not _from_libvirtaio(t)]
    for task in left:
        task.cancel()
    if left:
        qtbot.waitUntil(lambda: all(t.done() for t in left), timeout=5000)
    # Not running between tests: other tests call asyncio.run().
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def run(qloop, qtbot):
    """Run a coroutine on the Qt-driven loop and return its result."""

    def runner(coro, timeout: int = 15000):
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=timeout)
        return task.result()

    return runner


@pytest.fixture
def window(qloop, qtbot, settings, run):
    from console.views.mainwindow import MainWindow

    win = MainWindow(settings)
    # Not qtbot.addWidget: pytest-qt would close the window before this fixture's
    # teardown closes the connections.
    win.resize(1200, 800)
    win.show()
    yield win
    run(win.close_all())
    win.close()
    win.deleteLater()


@pytest.fixture(autouse=True)
def no_dangling_timers_or_threads(monkeypatch):
    """Fail a test that leaves a QTimer active or an engine thread alive (napari does the
    same): leaks in a long-running console show up as slowness."""
    started: list[weakref.ref] = []
    original = QTimer.start

    def tracking_start(self, *args):
        started.append(weakref.ref(self))
        return original(self, *args)

    monkeypatch.setattr(QTimer, "start", tracking_start)
    yield
    monkeypatch.setattr(QTimer, "start", original)
    active = []
    for ref in started:
        timer = ref()
        try:
            if timer is not None and timer.isActive():
                active.append(timer)
                timer.stop()
        except RuntimeError:  # the C++ object is gone: not running
            pass
    engines = [t for t in threading.enumerate()
               if t.name.startswith("fabric-engine") and t.is_alive()]
    assert not active, f"test left {len(active)} QTimer(s) running"
    assert not engines, f"test left engine threads running: {engines}"


@pytest.fixture
def close_connections(qtbot, run):
    """Close a window's connections inside the test and wait for the deferred work that
    follows (the canvas showing the offline drawing again redraws on a single-shot
    timer), so the leak check at the end sees nothing running."""

    def close(window) -> None:
        run(window.close_all())
        timers = [t for t in window.findChildren(QTimer) if t.isSingleShot()]
        qtbot.waitUntil(lambda: not any(t.isActive() for t in timers), timeout=5000)

    return close
