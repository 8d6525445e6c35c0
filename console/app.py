"""Start the GUI: `fabric-console [--connect URI] [--debug] [FILE]`.

Runs Qt and asyncio in one thread with qasync (PATTERNS.md "Asyncio in Qt"): backends are
awaited on the loop, blocking work goes to executors, the engine to its worker thread.
Logs go to a file in the user's state directory; `--debug` also sends them to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import logging.handlers
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from console.backends.process import on_signal

os.environ.setdefault("QT_API", "pyside6")  # before qasync/pyqtgraph pick a binding

log = logging.getLogger("console")
STARTED = time.monotonic()  # the startup log's zero when console.cli is not the entry

ORGANIZATION = "fabric-console"
APPLICATION = "fabric-console"
DEFAULT_URI = "emulated:///demo"


def state_dir() -> Path:
    """Where the log file lives: $XDG_STATE_HOME/fabric-console (~/.local/state/...)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "fabric-console"


def setup_logging(debug: bool) -> Path | None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    path = state_dir() / "fabric-console.log"
    written: Path | None = path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000,
                                                       backupCount=3, encoding="utf-8")
        handler.setFormatter(fmt)
        root.addHandler(handler)
    except OSError as exc:  # a read-only home still gets a console
        print(f"fabric-console: cannot write the log file {path}: {exc}", file=sys.stderr)
        written = None
    if debug:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        root.addHandler(stream)
    return written


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fabric-console",
                                description="Fabric Console: VM-FEX and VXLAN networking")
    p.add_argument("--connect", action="append", metavar="URI",
                   help="open a connection (repeat for several); default emulated:///demo")
    p.add_argument("--debug", action="store_true", help="log debug messages to stderr")
    p.add_argument("file", nargs="*", metavar="FILE",
                   help="topology files, each run on an emulated fabric of its own")
    return p


def file_uri(file: str) -> str:
    return f"emulated://{Path(file).expanduser().resolve()}"


def uris_of(args: argparse.Namespace) -> list[str]:
    """The connections to open: --connect URIs, then one emulated fabric per FILE (a
    launcher passes every file chosen in a file manager: `Exec=fabric-console %F`)."""
    uris = list(getattr(args, "connect", None) or [])
    files = getattr(args, "file", None) or []
    if isinstance(files, str):
        files = [files]
    uris += [file_uri(f) for f in files]
    return uris or [DEFAULT_URI]


def install_editors(window: Any) -> None:
    """The topology canvas, editor dock and Undo/Redo (console.views.editors): one
    workspace with the tree, following the connection selected there. `window` is the
    MainWindow (Any: it declares no `editors`, the attribute that keeps them)."""
    from console.views.editors import install

    window.editors = install(window)  # kept: its objects must outlive this call


def reserve_editors(window: Any) -> None:
    """The places install_editors fills, made before the window first shows, when the
    editors themselves are built after it: the Topology tab is in the tab bar from the
    first frame, and the Editor dock exists when the saved layout is restored (at the
    first show), as every dock must."""
    from PySide6.QtCore import Qt

    window.reserve_workspace_tab("Topology")
    window.reserve_dock("Editor", Qt.DockWidgetArea.RightDockWidgetArea, name="editor")


def show_then_build(window: Any, uris: Sequence[str], closed: Callable[[], bool]) -> None:
    """Show `window` at once, then open the connections to `uris` and build the editors
    once its first frame has painted (issue #16: on screen as soon as virt-manager's).
    What they import (the models, backends, numpy, YAML; pyqtgraph with the first graph)
    and build took ~0.35 s, before the window showed. The first frame has every menu,
    toolbar button, tab and dock, and says which connections are being opened; `closed()`
    tells whether the window was closed meanwhile (then nothing is opened)."""
    from PySide6.QtCore import QTimer

    reserve_editors(window)
    window.show()
    # After show(): a message shown before would not hide the status label (it is not
    # visible yet), and both would be drawn over each other.
    window.statusBar().showMessage(f"Opening {', '.join(uris)}…")

    def connect() -> None:
        if closed():
            return
        # `fabric-console FILE` runs FILE: its connection's document is the file, so the
        # canvas shows it and Save writes it.
        for uri in uris:
            window.add_connection(uri)
        window.statusBar().clearMessage()  # the connections' own progress says it now
        # The editors on the next turn of the loop, after the rows have painted: they
        # follow the connections already open (install adopts them) and those to come.
        QTimer.singleShot(0, window, build_editors)

    def build_editors() -> None:
        if closed():
            return
        install_editors(window)
        collect_again_once_shown(window)

    after_first_paint(window, connect)


def after_first_paint(window: Any, action: Callable[[], None]) -> None:
    """Call action() once the shown `window` has painted its first frame."""
    from PySide6.QtCore import QTimer

    when_exposed(window, lambda: QTimer.singleShot(0, window, action))  # after the paint


def when_exposed(window: Any, action: Callable[[], None]) -> None:
    """Call action() once, when the shown `window` is first exposed (on screen)."""
    from PySide6.QtCore import QEvent, QObject

    handle = window.windowHandle()
    if handle.isExposed():  # a platform that exposes within show()
        action()
        return

    class Exposed(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Expose and handle.isExposed():
                handle.removeEventFilter(self)
                action()
            return False

    handle.installEventFilter(Exposed(handle))  # Qt's child: lives as long as the window


# Start-up allocates much and frees little (the imports, the window), so cli.py turns the
# cycle collector off for it: its collections took about 40 ms of the ~0.6 s before the
# window showed (188 young, 17 middle and one full collection). It comes back once the
# window has painted and the rest of it (editors, connections) is built, or after
# GC_BACK_MS whatever happens; its first collection then goes through the start-up's
# objects once (about 30 ms, after the first paint).
GC_BACK_MS = 3000


def collect_again_once_shown(window: Any) -> None:
    from PySide6.QtCore import QTimer

    if gc.isenabled():  # not started by cli.py (a test, python -m console.app)
        return
    after_first_paint(window, gc.enable)
    QTimer.singleShot(GC_BACK_MS, window, gc.enable)


STARTUP_LOG = "FABRIC_CONSOLE_STARTUP_LOG"


def log_startup(window: Any, path: str, started: float) -> None:
    """Startup timing for benchmarks/startup.py (issue #16), only when $FABRIC_CONSOLE_
    STARTUP_LOG names a file: appends "mapped S T" when the window is first exposed and
    "moving S T" when a graph has first drawn two rates (what benchmarks/gui.py calls
    moving), S in seconds since `started`, T the time.monotonic() clock (system-wide, so
    a parent process can count from its own spawn). Watches; changes nothing."""

    def write(what: str) -> None:
        now = time.monotonic()
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"{what} {now - started:.4f} {now:.4f}\n")

    def moving() -> None:
        if any(p.history.count >= 2 and p.isVisible() and not p.stale
               and p.point_count() >= 2 for p in window.details.plots.plots):
            window.refresher.redrawn.disconnect(moving)
            write("moving")

    when_exposed(window, lambda: write("mapped"))
    window.refresher.redrawn.connect(moving)


def main(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """Run the console until its window closes. `args` is cli.py's Namespace (connect,
    debug, file) or an argv list."""
    if args is None or not isinstance(args, argparse.Namespace):
        args = parser().parse_args(list(args) if args is not None else None)
    log_path = setup_logging(bool(getattr(args, "debug", False)))

    import qasync
    from PySide6.QtWidgets import QApplication

    from console.views import appicon
    from console.views.mainwindow import MainWindow

    existing = QApplication.instance()  # a test's, typed as any QCoreApplication
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Fabric Console")
    appicon.install(app)  # the window's icon, and the launcher it belongs to
    # The loop, not Qt, decides when to stop: the connections close after the window.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    log.info("starting; log file %s", log_path)

    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    window = MainWindow()
    show_then_build(window, uris_of(args), closed.is_set)
    if os.environ.get(STARTUP_LOG):
        # Zero: the entry module's first line, console/cli.py's (the console script,
        # python -m console.cli), else this module's (python -m console.app).
        entry = sys.modules.get("console.cli") or sys.modules.get("__main__")
        log_startup(window, os.environ[STARTUP_LOG], getattr(entry, "STARTED", STARTED))

    def close_window() -> None:  # as the Quit action does
        window.close()

    # Ctrl+C in the terminal closes the window as the Quit action does (Qt alone would
    # ignore it until the next Python callback, and then die with a traceback).
    on_signal(signal.SIGINT, close_window)
    # SIGTERM (a logout, `kill`) too: the connections then close in order, and a kernel
    # lab's namespaces go with them instead of waiting for the next start to reap them.
    on_signal(signal.SIGTERM, close_window)

    async def run_until_closed() -> None:
        await closed.wait()
        await window.close_all()  # while the loop still runs: see below

    # One run_until_complete for both: between two, qasync processes events once more
    # with no running loop, and a backend task resumed then died with "no running event
    # loop" (a traceback in the log at one quit in three).
    with loop:
        loop.run_until_complete(run_until_closed())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
