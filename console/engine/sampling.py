"""A counter sample of a running plane, as columns: what Fabric.sample() returns.

A sample holds one CounterTable per kind (console.models.stats): the plane's counter
rows plus the totals of earlier planes, and the facade's own gauges and counts, as one
integer array per kind with a row per name. No dataclass is built per VIF: at 100,000
VIFs that was most of a sample's time, and a heap of short-lived objects for the garbage
collector every second. Entries are built when a view reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Protocol

import numpy as np

from console.models.stats import (
    C,
    CounterSample,
    CounterTable,
    FiCounters,
    FloodCounters,
    VemCounters,
    VifCounters,
)

from .tables import COUNTER_COLUMNS, Tables


class CountingPlane(Protocol):
    """What a sample reads from a data plane (both planes offer it)."""

    def counters(self) -> dict[str, np.ndarray]: ...
    def l2_gauges(self, now: int) -> tuple[np.ndarray, np.ndarray]: ...


def check_layout() -> None:
    """Every plane column names a field of its kind's dataclass, and every other field is
    one the facade fills (a gauge or the IGMP counts): else a sample would drop a counter."""
    filled = {"bd": {"igmp_joins", "igmp_leaves", "learned_macs"}, "vem": {"l2_entries"},
              "vif": set(), "fi": set()}
    for kind, columns in COUNTER_COLUMNS.items():
        names = {f.name for f in fields(_KINDS[kind])}
        if not set(columns) <= names or names - set(columns) != filled[kind]:
            raise RuntimeError(f"COUNTER_COLUMNS[{kind!r}] {columns} does not match "
                               f"{_KINDS[kind].__name__} ({sorted(names)})")


_KINDS: dict[str, type] = {"vif": VifCounters, "bd": FloodCounters, "vem": VemCounters,
                           "fi": FiCounters}


def _table(kind: type[C], key: str, t: Tables, plane_rows: np.ndarray,
           extra: Mapping[str, np.ndarray] | None = None) -> CounterTable[C]:
    """The rows of one kind in the dataclass's field order: plane columns by name, then
    the facade's own columns."""
    names = t.row_names(key)
    columns = COUNTER_COLUMNS[key]
    wanted = [f.name for f in fields(kind)]
    if list(columns) == wanted:
        rows = plane_rows
    else:
        rows = np.empty((len(names), len(wanted)), dtype=np.int64)
        for j, name in enumerate(wanted):
            rows[:, j] = plane_rows[:, columns.index(name)] if name in columns \
                else (extra or {})[name]
    index = t.row_index(key)
    if len(index) != len(names):  # repeated names: as the dict of earlier samples did
        table = CounterTable(kind, [], rows[:0])
        for i, name in enumerate(names):
            table[name] = kind(*rows[i].tolist())
        return table
    return CounterTable(kind, names, rows, index)


def counter_sample(t: Tables, plane: CountingPlane, base: Mapping[str, np.ndarray],
                   igmp: Mapping[str, list[int]], tick: int, now: float) -> CounterSample:
    """Every counter of the plane at tick `tick` (simulated time `now`): the plane's
    counters plus `base` (earlier planes' totals aligned with `t`, carry.Totals.aligned),
    IGMP joins and leaves by bridge domain name, and the L2 gauges."""
    c = plane.counters()
    per_sw, per_seg = plane.l2_gauges(tick)
    learned = np.zeros(len(t.bd_names) + 1, dtype=np.int64)
    np.add.at(learned, t.seg_bd, per_seg)  # VLAN segments (-1) land in the extra slot
    joins = np.asarray([igmp.get(name, (0, 0)) for name in t.bd_names],
                       dtype=np.int64).reshape(-1, 2)
    nvem = len(t.vem_names)
    return CounterSample(
        timestamp=now,
        vifs=_table(VifCounters, "vif", t, c["vif"] + base["vif"]),
        bridge_domains=_table(FloodCounters, "bd", t, c["bd"] + base["bd"], {
            "igmp_joins": joins[:, 0], "igmp_leaves": joins[:, 1],
            "learned_macs": learned[:len(t.bd_names)]}),
        vems=_table(VemCounters, "vem", t, c["vem"] + base["vem"],
                    {"l2_entries": np.asarray(per_sw[:nvem], dtype=np.int64)}),
        fabric_interconnects=_table(FiCounters, "fi", t, c["fi"] + base["fi"]),
    )


check_layout()  # at import: a column the dataclasses do not name is an error here
