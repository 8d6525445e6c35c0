"""The readable summary `fabric-console simulate` prints: one table per kind of counter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING

from console.models.stats import CounterSample
from console.models.topology import Topology

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def _table(title: str, key: str, rows: Mapping[str, DataclassInstance]) -> list[str]:
    if not rows:
        return []
    columns = list(asdict(next(iter(rows.values()))).keys())
    body = [[name] + [f"{v:,}" for v in asdict(c).values()] for name, c in rows.items()]
    head = [key] + columns
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:])]
        return "  ".join([first, *rest]).rstrip()

    return [title, line(head), line(["-" * w for w in widths]), *map(line, body), ""]


def render(topo: Topology, sample: CounterSample, *, plane: str, seed: int) -> str:
    """Readable tables of every counter in the sample."""
    lines = [f"{topo.name}: {sample.timestamp:g} simulated seconds, seed {seed}, "
             f"{plane} data plane", ""]
    lines += _table("VIFs", "vif", sample.vifs)
    lines += _table("Bridge domains", "bridge domain", sample.bridge_domains)
    lines += _table("VEMs", "vem", sample.vems)
    lines += _table("Fabric interconnects", "fabric interconnect", sample.fabric_interconnects)
    return "\n".join(lines)
