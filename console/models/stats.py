"""Counter samples: what every backend reports and every view plots.

Counters are monotonic 64-bit totals since the backend started; a sample carries its
timestamp so views compute rates between two samples. The names are those of
`simulate --json` (format fabric-console-stats/1).
"""

from __future__ import annotations

from collections.abc import (
    ItemsView,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from dataclasses import asdict, astuple, dataclass, field, fields
from typing import Any, Generic, TypeVar

STATS_FORMAT = "fabric-console-stats/1"


@dataclass
class VifCounters:
    """Per VIF (vm/nic). tx: frames the VM sent that were accepted; tx_drops: refused at
    ingress (policing, MAC forging); rx: frames delivered to the VM."""

    tx_packets: int = 0
    tx_bytes: int = 0
    rx_packets: int = 0
    rx_bytes: int = 0
    tx_drops: int = 0
    rx_drops: int = 0


@dataclass
class FloodCounters:
    """Per bridge domain. flood_frames: floods originated by VMs, counted once;
    flood_copies: encapsulated copies put on the underlay for them."""

    flood_frames: int = 0
    flood_copies: int = 0
    igmp_joins: int = 0
    igmp_leaves: int = 0
    learned_macs: int = 0  # a gauge: remote entries in all VEM L2 tables now


@dataclass
class VemCounters:
    encap_packets: int = 0
    decap_packets: int = 0
    flood_copies_sent: int = 0
    mtu_drops: int = 0
    fragments: int = 0
    pmtu_notifications: int = 0
    unreachable_drops: int = 0
    l2_entries: int = 0  # a gauge


@dataclass
class FiCounters:
    switched_frames: int = 0
    hairpin_frames: int = 0
    flooded_frames: int = 0


GAUGES = frozenset({"learned_macs", "l2_entries"})
"""Fields that are levels, not totals: views plot them as they are, not as rates."""

C = TypeVar("C", VifCounters, FloodCounters, VemCounters, FiCounters)
_READS_BEFORE_LISTS = 64  # reads by name after which a table converts its rows at once


class CounterTable(MutableMapping[str, C], Generic[C]):
    """The counters of many objects of one kind as the rows of one integer table: what a
    large fabric's sample holds instead of one dataclass per VIF.

    Building 100,000 VifCounters every second cost more than taking the sample and fed
    the garbage collector; here an entry's dataclass is built when it is read. It is a
    copy: changing it changes nothing here (assign it back). `rows` is an n x fields
    integer array (numpy) in the dataclass's field order, one row per name; `columns()`
    reads whole columns without building any object. Adding or removing a name turns
    the table into a plain dict of dataclasses (backends that build samples entry by
    entry use a dict from the start).
    """

    def __init__(self, kind: type[C], names: Sequence[str], rows: Any,
                 index: Mapping[str, int] | None = None):
        self.kind: type[C] = kind
        self.fields: tuple[str, ...] = tuple(f.name for f in fields(kind))
        if len(rows) != len(names) or (len(names) and len(rows[0]) != len(self.fields)):
            raise ValueError(f"{len(names)} {kind.__name__} rows of {len(self.fields)} "
                             "columns expected")
        self.names = names
        self.rows = rows
        self._index = index  # name -> row; shared by the samples of one fabric
        self._dict: dict[str, C] | None = None  # once detached
        self._list: list[list[int]] | None = None  # rows as lists, once read one by one
        self._reads = 0

    def _positions(self) -> Mapping[str, int]:
        if self._index is None:
            self._index = {name: i for i, name in enumerate(self.names)}
        return self._index

    def _detach(self) -> dict[str, C]:
        if self._dict is None:
            self._dict = dict(self._pairs())
        return self._dict

    def _pairs(self) -> Iterator[tuple[str, C]]:
        if self._dict is not None:
            yield from self._dict.items()
            return
        kind = self.kind
        for name, row in zip(self.names, self.rows.tolist()):
            yield name, kind(*row)

    def __getitem__(self, name: str) -> C:
        if self._dict is not None:
            return self._dict[name]
        i = self._positions()[name]
        if self._list is not None:
            return self.kind(*self._list[i])
        self._reads += 1
        if self._reads > _READS_BEFORE_LISTS:  # a reader going by name through many rows
            self._list = self.rows.tolist()
        row: list[int] = self.rows[i].tolist()
        return self.kind(*row)

    def __contains__(self, name: object) -> bool:
        if self._dict is not None:
            return name in self._dict
        return name in self._positions()

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict if self._dict is not None else self.names)

    def __len__(self) -> int:
        return len(self._dict) if self._dict is not None else len(self.names)

    def __setitem__(self, name: str, value: C) -> None:
        if self._dict is None and name in self._positions():
            self.rows[self._positions()[name]] = astuple(value)
            self._list = None
            return
        self._detach()[name] = value

    def __delitem__(self, name: str) -> None:
        del self._detach()[name]

    def keys(self) -> KeysView[str]:
        return KeysView(self)

    def items(self) -> ItemsView[str, C]:
        return _Items(self)

    def values(self) -> ValuesView[C]:
        return _Values(self)

    def columns(self, wanted: Sequence[str]) -> Any:
        """The named columns of every row, in row (name) order: an n x len(wanted) array,
        no object built per row."""
        if self._dict is not None:
            return [[getattr(c, f) for f in wanted] for c in self._dict.values()]
        return self.rows[:, [self.fields.index(f) for f in wanted]]

    def to_json(self) -> dict[str, dict[str, int]]:
        if self._dict is not None:
            return {name: asdict(c) for name, c in self._dict.items()}
        return {name: dict(zip(self.fields, row))
                for name, row in zip(self.names, self.rows.tolist())}

    def __repr__(self) -> str:
        return f"CounterTable({self.kind.__name__}, {len(self)} rows)"


class _Items(ItemsView[str, C]):
    _mapping: CounterTable[C]

    def __iter__(self) -> Iterator[tuple[str, C]]:
        return self._mapping._pairs()


class _Values(ValuesView[C]):
    _mapping: CounterTable[C]

    def __iter__(self) -> Iterator[C]:
        return (c for _, c in self._mapping._pairs())


def columns(table: Mapping[str, Any], names: Sequence[str], wanted: Sequence[str],
            missing: int = -1) -> Any:
    """Columns `wanted` of the rows `names` of a sample's table (a name it lacks gives
    `missing` in every column): an array from a CounterTable, without building an
    object per row, a list of lists from a dict. np.asarray() either."""
    if isinstance(table, CounterTable) and table._dict is None:
        if names is table.names or list(names) == list(table.names):
            return table.columns(wanted)
        pos = table._positions()
        rows = [pos.get(n, -1) for n in names]
        out = table.rows[rows][:, [table.fields.index(f) for f in wanted]]
        gone = [i for i, r in enumerate(rows) if r < 0]
        if gone:
            out[gone] = missing
        return out
    out_rows: list[list[int]] = []
    for n in names:
        c = table.get(n)
        out_rows.append([missing] * len(wanted) if c is None
                        else [getattr(c, f) for f in wanted])
    return out_rows


@dataclass
class CounterSample:
    """Every counter of a fabric at one instant.

    `timestamp` is seconds on the backend's clock (simulated time for the emulated fabric,
    wall-clock for real hosts); `live` is False when the backend could not read fresh
    counters (a dropped connection): views must not show such a sample as live.

    Each table maps a name to its counters: a dict, or a CounterTable (the emulated
    fabric's, one row per VIF in an integer array); read many rows with `columns()`.
    """

    timestamp: float
    vifs: MutableMapping[str, VifCounters] = field(default_factory=dict)
    bridge_domains: MutableMapping[str, FloodCounters] = field(default_factory=dict)
    vems: MutableMapping[str, VemCounters] = field(default_factory=dict)
    fabric_interconnects: MutableMapping[str, FiCounters] = field(default_factory=dict)
    live: bool = True

    def to_json(self) -> dict[str, Any]:
        """The `fabric-console-stats/1` object."""
        return {
            "format": STATS_FORMAT,
            "timestamp": self.timestamp,
            "vifs": _table_json(self.vifs),
            "bridge_domains": _table_json(self.bridge_domains),
            "vems": _table_json(self.vems),
            "fabric_interconnects": _table_json(self.fabric_interconnects),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CounterSample:
        def table(kind: type, key: str) -> dict[str, Any]:
            names = {f.name for f in fields(kind)}
            return {k: kind(**{n: int(x) for n, x in v.items() if n in names})
                    for k, v in data.get(key, {}).items()}

        return cls(
            timestamp=float(data.get("timestamp", 0.0)),
            vifs=table(VifCounters, "vifs"),
            bridge_domains=table(FloodCounters, "bridge_domains"),
            vems=table(VemCounters, "vems"),
            fabric_interconnects=table(FiCounters, "fabric_interconnects"),
        )


def _table_json(table: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    if isinstance(table, CounterTable):
        return table.to_json()
    return {k: asdict(v) for k, v in table.items()}


def rate(prev: int, cur: int, seconds: float) -> float:
    """Per-second rate between two readings of a monotonic counter. A counter that went
    backwards (a backend restart) gives 0, never a negative rate."""
    if seconds <= 0 or cur < prev:
        return 0.0
    return (cur - prev) / seconds
