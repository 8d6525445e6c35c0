"""Network namespaces of one lab: create, reach (netlink socket, code run inside), remove.

Code that must run inside a namespace (AF_PACKET sockets, sysctls, /proc/net counters) runs
in a short-lived thread that setns()es itself: setns changes only the calling thread, so the
process and every other thread stay in the namespace they were in.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from collections.abc import Callable
from typing import IO, TypeVar

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

from . import rawnl
from .state import LabState

T = TypeVar("T")


def list_namespaces() -> list[str]:
    return list(netns.listnetns())


def remove_namespace(name: str) -> None:
    netns.remove(name)


def has_net_admin() -> bool:
    """CAP_NET_ADMIN in the effective set (root has it; a capability-granted user too)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) & (1 << 12))
    except OSError:
        pass
    return os.geteuid() == 0


def run_in(name: str, fn: Callable[[], T]) -> T:
    """Run fn inside namespace `name` (in a thread of its own) and return its result."""
    box: dict[str, object] = {}

    def body() -> None:
        try:
            netns.setns(name, flags=0)
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=body, name=f"netns:{name}")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def write_sysctl(key: str, value: str) -> None:
    with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
        f.write(value)


class Namespaces:
    """The namespaces of one lab, each with a netlink socket opened inside it."""

    def __init__(self, state: LabState):
        self.state = state
        self._ipr: dict[str, IPRoute] = {}
        self._proc: dict[tuple[str, str], IO[str]] = {}
        self._raw: dict[str, socket.socket] = {}

    def read_proc(self, name: str, relpath: str) -> str:
        """A /proc/net file of namespace `name` (e.g. "dev", "snmp"). The file is opened
        once from inside the namespace and stays bound to it: a read is a seek and a read
        (tens of microseconds), where a netlink request through pyroute2 costs
        milliseconds."""
        key = (name, relpath)
        handle = self._proc.get(key)
        if handle is None:
            handle = run_in(name, lambda: open(f"/proc/thread-self/net/{relpath}"))  # noqa: SIM115
            self._proc[key] = handle
        handle.seek(0)
        return handle.read()

    def raw_socket(self, name: str) -> socket.socket:
        """A plain NETLINK_ROUTE socket inside namespace `name` (for rawnl's fast dumps)."""
        sock = self._raw.get(name)
        if sock is None:
            sock = self._raw[name] = run_in(name, rawnl.open_socket)
        return sock

    def _close_proc(self, name: str) -> None:
        raw = self._raw.pop(name, None)
        if raw is not None:
            raw.close()
        for key in [k for k in self._proc if k[0] == name]:
            self._proc.pop(key).close()

    def name(self, role: str) -> str:
        return self.state.prefix + role

    def create(self, role: str, sysctls: dict[str, str] | None = None) -> str:
        name = self.name(role)
        if name in self._ipr:
            return name
        self.state.namespaces.append(name)
        self.state.save()  # recorded before it exists: a crash now still gets it cleaned
        netns.create(name)
        # IPv6 off before any link is up: no router solicitations or MLD reports, so every
        # frame a counter shows is one the lab sent on purpose.
        settings = {"net.ipv6.conf.all.disable_ipv6": "1",
                    "net.ipv6.conf.default.disable_ipv6": "1", **(sysctls or {})}
        def disable_ipv6() -> None:
            for k, v in settings.items():
                write_sysctl(k, v)

        run_in(name, disable_ipv6)
        self._ipr[name] = IPRoute(netns=name)
        return name

    def ipr(self, name: str) -> IPRoute:
        return self._ipr[name]

    def __contains__(self, name: str) -> bool:
        return name in self._ipr

    def remove(self, name: str) -> None:
        self._close_proc(name)
        ipr = self._ipr.pop(name, None)
        if ipr is not None:
            ipr.close()
        try:
            netns.remove(name)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
        if name in self.state.namespaces:
            self.state.namespaces.remove(name)
            self.state.save()

    def remove_all(self) -> None:
        """Every namespace this lab made, newest first; then the state file."""
        for name in reversed(list(self.state.namespaces)):
            with contextlib.suppress(OSError):
                self.remove(name)
        for ipr in self._ipr.values():
            ipr.close()
        self._ipr.clear()
        for handle in self._proc.values():
            handle.close()
        self._proc.clear()
        for sock in self._raw.values():
            sock.close()
        self._raw.clear()
        self.state.forget()


def ignore_exists(fn: Callable[[], T]) -> T | None:
    try:
        return fn()
    except NetlinkError as exc:
        if exc.code == errno.EEXIST:
            return None
        raise
