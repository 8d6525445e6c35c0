"""Plain helpers of the kernel lab tests, imported by name.

They live here, not in conftest.py, because `from conftest import ...` picks whichever
conftest module was imported first in the run (tests/ui/editors has one too).
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable

try:
    from console.backends.netns.nsctl import list_namespaces
except ImportError:
    def list_namespaces() -> list[str]:
        return []


def others_labs() -> set[str]:
    """Namespaces of labs that live processes other than this one own (other test runs or
    consoles on this machine): not ours to judge."""
    from console.backends.netns import state

    out: set[str] = set()
    for path in state.STATE_DIR.glob("netns-*.json") if state.STATE_DIR.is_dir() else []:
        lab = state.LabState.read(path)
        if lab is not None and lab.pid != os.getpid() and lab.owner_alive():
            out.update(n for n in list_namespaces() if n.startswith(lab.prefix))
    return out


def ip_netns_list() -> list[str]:
    """`ip netns list` as a user would run it (tests only; the product uses netlink)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return [line.split()[0] for line in out.stdout.splitlines() if line.strip()]


def settle(read: Callable[[], object], timeout: float = 3.0) -> object:
    """Read counters until two reads 50 ms apart agree (the kernel delivers frames on
    softirq, a little after send() returns): polling a condition, bounded."""
    deadline = time.monotonic() + timeout
    last = read()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = read()
        if now == last:
            return now
        last = now
    return last
