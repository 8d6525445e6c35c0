"""The file's flows as real frames, sent from inside the VM namespaces.

Count flows run once, one after another in file order (by start_s when given); rate flows
run side by side in one sender thread per lab while the lab is connected, bounded to
MAX_LAB_PPS in total so a mistyped rate cannot starve the machine."""

from __future__ import annotations

import errno
import threading
import time

from console.models.topology import Topology
from console.models.traffic import TrafficFlow

from .frames import build_frame
from .lab import Lab

MAX_LAB_PPS = 20_000.0
TICK_S = 0.01
_DROPPED = {errno.ENOBUFS, errno.EAGAIN}  # the VIF's policer dropped it: counted there
_GONE = {errno.ENXIO, errno.ENETDOWN, errno.ENODEV, errno.EBADF}  # VIF detached meanwhile


def send(lab: Lab, vif: str, frame: bytes, count: int) -> int:
    """Send `count` copies; returns how many the kernel took (policed ones included)."""
    sock = lab.socket_for(vif)
    if sock is None:
        return 0
    sent = 0
    for _ in range(count):
        try:
            sock.send(frame)
        except OSError as exc:
            if exc.errno in _DROPPED:
                sent += 1
                continue
            if exc.errno in _GONE:
                break
            raise
        sent += 1
    return sent


def count_flows(topo: Topology) -> list[TrafficFlow]:
    flows = [f for f in topo.traffic if f.count is not None]
    return sorted(flows, key=lambda f: f.start_s or 0.0)


def run_count_flows(lab: Lab, topo: Topology) -> tuple[int, list[str]]:
    """Send every count flow once; (frames sent, why some flows could not be sent)."""
    index = topo.index()
    total, problems = 0, []
    for flow in count_flows(topo):
        frame = build_frame(flow, index)
        if frame is not None and flow.count is not None:
            try:
                total += send(lab, flow.source, frame, flow.count)
            except OSError as exc:
                problems.append(_why(flow, exc))
    return total, problems


class RateSender:
    """One thread sending every pps flow at its rate (credit based, so a late tick catches
    up, but never by more than one second's worth)."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self._flows: list[tuple[TrafficFlow, bytes]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()
        self.sent = 0
        self.error: str | None = None
        self._refused: set[int] = set()  # flows the kernel will not send (stopped)

    def update(self, topo: Topology) -> None:
        index = topo.index()
        flows = []
        for flow in topo.traffic:
            frame = build_frame(flow, index) if flow.pps is not None else None
            if frame is not None:
                flows.append((flow, frame))
        with self._guard:
            self._flows = flows
            self._refused = set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="netns-rate", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        credit: dict[int, float] = {}
        last = time.monotonic()
        while not self._stop.wait(TICK_S):
            now = time.monotonic()
            elapsed, last = now - last, now
            with self._guard:
                flows = list(self._flows)
            total = sum(f.pps or 0.0 for f, _ in flows)
            scale = min(1.0, MAX_LAB_PPS / total) if total else 1.0
            for i, (flow, frame) in enumerate(flows):
                if i in self._refused:
                    continue
                rate = (flow.pps or 0.0) * scale
                owed = min(credit.get(i, 0.0) + rate * elapsed, rate)
                whole = int(owed)
                credit[i] = owed - whole
                if whole:
                    try:
                        self.sent += send(self.lab, flow.source, frame, whole)
                    except OSError as exc:  # keep the others flowing; the view shows why
                        self._refused.add(i)
                        self.error = _why(flow, exc)


def _why(flow: TrafficFlow, exc: OSError) -> str:
    if exc.errno == errno.EMSGSIZE:
        return (f"flow {flow.source} -> {flow.to}: a {flow.size}-byte packet is larger than "
                f"the vNIC's MTU, so the guest cannot send it (the kernel refuses it); "
                "flow stopped")
    return f"flow {flow.source} -> {flow.to}: {exc.strerror}; flow stopped"
