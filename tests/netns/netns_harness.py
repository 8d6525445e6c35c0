"""Run one scenario on the kernel lab and on the emulated engine, and compare the counters
both can show.

A scenario is a topology plus live changes at given times. Count flows run by their
start_s: on the engine in simulated time; on the lab phase by phase (the flows that start
before the next change, then the change)."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from console.models import topofile
from console.models.changes import Change
from console.models.stats import FiCounters, FloodCounters, VemCounters, VifCounters
from console.models.topology import Topology

SECTIONS = {"vifs": VifCounters, "bridge_domains": FloodCounters, "vems": VemCounters,
            "fabric_interconnects": FiCounters}


def compared_fields() -> dict[str, list[str]]:
    """Every counter both the lab and the engine show: all of them but the ones the
    kernel cannot give (console.backends.netns.counters.NOT_FROM_KERNEL says why)."""
    from console.backends.netns.counters import NOT_FROM_KERNEL

    return {section: [f.name for f in fields(kind) if f.name not in NOT_FROM_KERNEL[section]]
            for section, kind in SECTIONS.items()}


@dataclass
class Scenario:
    name: str
    topology: Callable[[], Topology]
    changes: list[tuple[float, Change]] = field(default_factory=list)
    end_s: float = 10.0
    differs: dict[str, str] = field(default_factory=dict)
    """Counter patterns (section.object.field, fnmatch) -> why the kernel and the engine
    cannot agree on them here."""


def _phases(scenario: Scenario) -> list[tuple[float, float, Change | None]]:
    times = [t for t, _ in scenario.changes]
    bounds = [0.0, *times, float("inf")]
    changes = [c for _, c in scenario.changes] + [None]
    return [(bounds[i], bounds[i + 1], changes[i]) for i in range(len(changes))]


def run_engine(scenario: Scenario) -> dict:
    from console.engine.facade import Fabric

    topo = scenario.topology()
    try:
        fabric = Fabric(topo, seed=0)
    except ImportError:  # Cython plane not built: the reference plane has the same semantics
        fabric = Fabric(topo, seed=0, plane="reference")
    for t, change in scenario.changes:
        fabric.run_until(t)
        result = fabric.apply(change)
        assert result.applied, f"engine refused {change}: {result.message}"
    fabric.run_until(scenario.end_s)
    return fabric.sample().to_json()


def run_lab(scenario: Scenario, tmp: Path, settle: Callable) -> dict:
    from console.backends.netns.backend import NetnsBackend
    from console.backends.netns.counters import read_sample
    from console.backends.netns.frames import build_frame
    from console.backends.netns.traffic import count_flows, send

    path = tmp / f"{scenario.name}.yaml"
    topofile.save(scenario.topology(), path)
    backend = NetnsBackend(f"netns://{path}")

    def counters() -> dict:
        data = read_sample(backend.lab).to_json()
        data.pop("timestamp")
        return data

    async def go() -> dict:
        await backend.connect(traffic=False)
        try:
            for start, stop, change in _phases(scenario):
                topo = backend.topology
                index = topo.index()
                for flow in count_flows(topo):
                    if start <= (flow.start_s or 0.0) < stop:
                        frame = build_frame(flow, index)
                        assert frame is not None, flow
                        await backend._call(send, backend.lab, flow.source, frame, flow.count)
                await backend._call(settle, counters)
                if change is not None:
                    result = await backend.apply(change)
                    assert result.applied, f"lab refused {change}: {result.message}"
            return await backend._call(settle, counters)
        finally:
            await backend.close()

    return asyncio.run(go())


def compare(lab: dict, engine: dict, differs: dict[str, str]) -> tuple[list[str], list[str]]:
    """(unexplained mismatches, explained ones) between two stats objects."""
    bad, explained = [], []
    for section, names in compared_fields().items():
        for obj in sorted(set(lab.get(section, {})) | set(engine.get(section, {}))):
            mine, theirs = lab[section].get(obj, {}), engine[section].get(obj, {})
            for name in names:
                a, b = mine.get(name, 0), theirs.get(name, 0)
                if a == b:
                    continue
                key = f"{section}.{obj}.{name}"
                line = f"{key}: lab {a}, engine {b}"
                if any(fnmatch.fnmatch(key, pattern) for pattern in differs):
                    explained.append(line)
                else:
                    bad.append(line)
    return bad, explained
