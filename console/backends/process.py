"""Signal handling that survives fork.

The kernel lab's pyroute2 forks a child per namespace operation and stops it with
SIGTERM, expecting it to die. A forked child inherits the parent's Python handlers, so a
handler that closes the window or raises SystemExit would run in the child instead: the
SystemExit unwinds into the copied executor thread, the child never exits, and the
parent's lab build or teardown waits for it forever. Handlers installed here act only in
the process that installed them; in a forked child the signal keeps its default action.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable


def on_signal(signum: int, action: Callable[[], None]) -> None:
    """Call action() on signal `signum`, in this process only (main thread only: Python
    lets nothing else install handlers)."""
    owner = os.getpid()

    def handler(received: int, _frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(received, signal.SIG_DFL)
            os.kill(os.getpid(), received)
            return
        action()

    signal.signal(signum, handler)


def exit_on_sigterm() -> None:
    """Make SIGTERM an orderly exit (SystemExit, so atexit handlers run) in a process
    that left it to its default, which kills without cleanup. A program with its own
    handler (the GUI closes its window, then its connections) keeps it."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        def leave() -> None:
            raise SystemExit(128 + signal.SIGTERM)

        on_signal(signal.SIGTERM, leave)
