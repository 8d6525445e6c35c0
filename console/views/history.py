"""Rate history: counter samples turned into per-second rates in numpy ring buffers.

One StatsHistory per connection. Each object (a VIF, a bridge domain, a VEM) has a fixed
set of series (METRICS); every sample writes one column of every series, so a redraw reads
contiguous arrays and nothing is allocated per sample except when a new object appears.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from console.models.overlay import FloodMode
from console.models.stats import CounterSample

# kind -> metrics, in order: the rows of that kind's block in the ring.
METRICS: dict[str, tuple[str, ...]] = {
    "vif": ("rx_pps", "tx_pps", "rx_bps", "tx_bps", "drops_ps"),
    "bd": ("flood_fps", "mcast_copies_ps", "ucast_copies_ps", "igmp_joins_ps",
           "igmp_leaves_ps", "learned_macs"),
    "vem": ("encap_ps", "decap_ps", "mtu_drops_ps"),
}

LABELS: dict[str, str] = {
    "rx_pps": "rx packets/s", "tx_pps": "tx packets/s", "rx_bps": "rx bits/s",
    "tx_bps": "tx bits/s", "drops_ps": "drops/s",
    "flood_fps": "flood frames/s", "mcast_copies_ps": "multicast copies/s",
    "ucast_copies_ps": "unicast replication copies/s", "igmp_joins_ps": "IGMP joins/s",
    "igmp_leaves_ps": "IGMP leaves/s", "learned_macs": "learned MACs",
    "encap_ps": "encap/s", "decap_ps": "decap/s", "mtu_drops_ps": "MTU drops/s",
}


@dataclass
class _Block:
    """The ring rows of one kind: rows[object index, metric index, column]."""

    names: dict[str, int]
    data: np.ndarray


class StatsHistory:
    """Per-second rates of every object of one connection, `capacity` samples deep."""

    def __init__(self, capacity: int = 1200):
        self.capacity = max(2, int(capacity))
        self.times = np.zeros(self.capacity)
        self.count = 0  # columns written so far (saturates at capacity for reads)
        self.head = 0  # next column to write
        self.live = True
        self.generation = 0  # bumps on every sample: redraws skip unchanged data
        self._blocks = {kind: _Block({}, np.zeros((0, len(m), self.capacity)))
                        for kind, m in METRICS.items()}
        self._prev: CounterSample | None = None
        self.flood_modes: dict[str, FloodMode] = {}

    # ----------------------------------------------------------------- writing
    def resize(self, capacity: int) -> None:
        """Keep the newest samples in a ring of a new size."""
        capacity = max(2, int(capacity))
        if capacity == self.capacity:
            return
        times = self.timeline()
        keep = min(len(times), capacity)
        new_times = np.zeros(capacity)
        new_times[:keep] = times[len(times) - keep:]
        for block in self._blocks.values():
            old = self._ordered(block.data)
            data = np.zeros((block.data.shape[0], block.data.shape[1], capacity))
            data[:, :, :keep] = old[:, :, old.shape[2] - keep:]
            block.data = data
        self.times, self.capacity = new_times, capacity
        self.count, self.head = keep, keep % capacity

    def clear(self) -> None:
        self.count = self.head = 0
        self._prev = None
        for block in self._blocks.values():
            block.data[:] = 0

    def add(self, sample: CounterSample) -> bool:
        """Record a sample. Returns False when it gives no new rates (the first sample, a
        sample not newer than the previous one, or a stale one)."""
        self.live = sample.live
        if not sample.live:
            self.generation += 1
            return False
        prev, self._prev = self._prev, sample
        if prev is None or sample.timestamp <= prev.timestamp:
            return False
        dt = sample.timestamp - prev.timestamp
        col = self.head
        self.times[col] = sample.timestamp
        self._write_vifs(prev, sample, dt, col)
        self._write_bds(prev, sample, dt, col)
        self._write_vems(prev, sample, dt, col)
        self.head = (col + 1) % self.capacity
        self.count += 1
        self.generation += 1
        return True

    def _rows(self, kind: str, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        block = self._blocks[kind]
        new = [n for n in names if n not in block.names]
        if new:
            for n in new:
                block.names[n] = len(block.names)
            grow = np.zeros((len(new), block.data.shape[1], self.capacity))
            block.data = np.concatenate([block.data, grow])
        return np.fromiter((block.names[n] for n in names), int, len(names)), block.data

    def _write_vifs(self, prev: CounterSample, cur: CounterSample, dt: float, col: int) -> None:
        names = list(cur.vifs)
        if not names:
            return
        idx, data = self._rows("vif", names)
        c = np.array([[v.rx_packets, v.tx_packets, v.rx_bytes, v.tx_bytes,
                       v.rx_drops + v.tx_drops] for v in cur.vifs.values()], dtype=float)
        p = np.array([self._vif_prev(prev, n) for n in names], dtype=float)
        rates = _rates(p, c, dt)
        rates[:, 2:4] *= 8  # bytes -> bits
        data[:, :, col] = 0
        data[idx, :, col] = rates

    @staticmethod
    def _vif_prev(prev: CounterSample, name: str) -> list[int]:
        v = prev.vifs.get(name)
        if v is None:
            return [-1] * 5  # new VIF: no rate until its second sample
        return [v.rx_packets, v.tx_packets, v.rx_bytes, v.tx_bytes, v.rx_drops + v.tx_drops]

    def _write_bds(self, prev: CounterSample, cur: CounterSample, dt: float, col: int) -> None:
        names = list(cur.bridge_domains)
        if not names:
            return
        idx, data = self._rows("bd", names)
        data[:, :, col] = 0
        for row, name in zip(idx, names):
            c, p = cur.bridge_domains[name], prev.bridge_domains.get(name)
            if p is None:
                data[row, 5, col] = c.learned_macs
                continue
            copies = _rate(p.flood_copies, c.flood_copies, dt)
            unicast = self.flood_modes.get(name) is FloodMode.UNICAST_ONLY
            data[row, :, col] = (
                _rate(p.flood_frames, c.flood_frames, dt),
                0.0 if unicast else copies,
                copies if unicast else 0.0,
                _rate(p.igmp_joins, c.igmp_joins, dt),
                _rate(p.igmp_leaves, c.igmp_leaves, dt),
                c.learned_macs,
            )

    def _write_vems(self, prev: CounterSample, cur: CounterSample, dt: float, col: int) -> None:
        names = list(cur.vems)
        if not names:
            return
        idx, data = self._rows("vem", names)
        c = np.array([[v.encap_packets, v.decap_packets, v.mtu_drops]
                      for v in cur.vems.values()], dtype=float)
        p = np.array([[v.encap_packets, v.decap_packets, v.mtu_drops]
                      if (v := prev.vems.get(n)) else [-1, -1, -1] for n in names], dtype=float)
        data[:, :, col] = 0
        data[idx, :, col] = _rates(p, c, dt)

    # ----------------------------------------------------------------- reading
    def names(self, kind: str) -> list[str]:
        return list(self._blocks[kind].names)

    def has(self, kind: str, name: str) -> bool:
        return name in self._blocks[kind].names

    def _ordered(self, arr: np.ndarray) -> np.ndarray:
        """Columns oldest first (a view when the ring has not wrapped)."""
        n = min(self.count, self.capacity)
        if self.count <= self.capacity:
            return arr[..., :n]
        return np.concatenate([arr[..., self.head:], arr[..., :self.head]], axis=-1)

    def timeline(self) -> np.ndarray:
        return self._ordered(self.times)

    def series(self, kind: str, name: str, metric: str) -> np.ndarray:
        """One series oldest first; empty when the object has no samples yet."""
        block = self._blocks[kind]
        row = block.names.get(name)
        if row is None:
            return np.zeros(0)
        return self._ordered(block.data[row, METRICS[kind].index(metric)])

    def block(self, kind: str, names: list[str], metric: str) -> np.ndarray:
        """Several objects' series at once: shape (len(names), samples)."""
        block = self._blocks[kind]
        rows = [block.names[n] for n in names if n in block.names]
        m = METRICS[kind].index(metric)
        return self._ordered(block.data[rows, m])

    def latest(self, kind: str, name: str, metric: str) -> float:
        block = self._blocks[kind]
        row = block.names.get(name)
        if row is None or self.count == 0:
            return 0.0
        return float(block.data[row, METRICS[kind].index(metric), (self.head - 1)
                                % self.capacity])

    def row_numbers(self, kind: str, names: list[str] | tuple[str, ...]) -> np.ndarray:
        """The ring row of each name, -1 where the object has no samples yet (same length
        and order as `names`)."""
        get = self._blocks[kind].names.get
        return np.fromiter((get(x, -1) for x in names), np.intp, len(names))

    def row_count(self, kind: str) -> int:
        """Objects of this kind with rows so far (rows only grow: a cache key)."""
        return len(self._blocks[kind].names)

    def latest_rows(self, kind: str, rows: np.ndarray, metrics: tuple[str, ...]) -> np.ndarray:
        """The newest value of each row, summed over `metrics`: latest() for many objects
        in one numpy step (rows from row_numbers() or rows_of(), all >= 0)."""
        if self.count == 0 or len(rows) == 0:
            return np.zeros(len(rows))
        ms = np.array([METRICS[kind].index(m) for m in metrics], np.intp)
        col = (self.head - 1) % self.capacity
        data = self._blocks[kind].data
        return data[np.asarray(rows)[:, None], ms[None, :], col].sum(axis=1)

    def sum_rows(self, kind: str, rows: np.ndarray, metric: str) -> np.ndarray:
        """The sum of several objects' series of one metric, oldest first, without a copy
        of every row: a few objects are taken, most of them are the sum of all rows (a
        reduction over a view) less the few left out."""
        n = min(self.count, self.capacity)
        if len(rows) == 0 or n == 0:
            return np.zeros(n)
        block = self._blocks[kind].data
        plane = block[:, METRICS[kind].index(metric), :]  # a view: (objects, capacity)
        rows = np.asarray(rows)
        if len(rows) * 2 <= plane.shape[0]:
            total = plane[rows].sum(axis=0)
        else:
            left_out = np.ones(plane.shape[0], bool)
            left_out[rows] = False
            total = plane.sum(axis=0)
            if left_out.any():
                total -= plane[left_out].sum(axis=0)
                np.maximum(total, 0.0, out=total)  # rounding must not go below zero
        return self._ordered(total)

    def rows_of(self, kind: str, names: list[str] | tuple[str, ...]) -> np.ndarray:
        """Ring rows of the named objects that have samples (cache it: names are fixed
        per inventory, rows only grow)."""
        block = self._blocks[kind]
        return np.fromiter((block.names[x] for x in names if x in block.names), np.intp)

    def tail(self, kind: str, names: list[str] | np.ndarray, metrics: tuple[str, ...],
             n: int) -> np.ndarray:
        """The sum over objects and metrics of the last n columns (for sparklines);
        `names` may be rows from rows_of()."""
        rows = names if isinstance(names, np.ndarray) else self.rows_of(kind, names)
        n = min(n, self.count, self.capacity)
        if len(rows) == 0 or n == 0:
            return np.zeros(0)
        data = self._blocks[kind].data
        ms = [METRICS[kind].index(m) for m in metrics]
        start = (self.head - n) % self.capacity
        if start + n <= self.capacity and ms == list(range(ms[0], ms[-1] + 1)):
            # contiguous columns and metrics: slices; one object: no copy at all
            if len(rows) == 1:
                return data[int(rows[0]), ms[0]:ms[-1] + 1, start:start + n].sum(axis=0)
            window = data[rows, ms[0]:ms[-1] + 1, start:start + n]
        elif start + n <= self.capacity:  # contiguous: slices, no fancy-index copy
            window = data[rows, :, start:start + n][:, ms]
        else:
            cols = np.arange(start, start + n) % self.capacity
            window = data[np.ix_(np.asarray(rows), np.asarray(ms), cols)]
        return window.sum(axis=(0, 1))


def _rate(prev: int, cur: int, dt: float) -> float:
    return 0.0 if cur < prev else (cur - prev) / dt


def _rates(prev: np.ndarray, cur: np.ndarray, dt: float) -> np.ndarray:
    """Vectorised stats.rate(): a counter that went backwards, or is new, gives 0."""
    out = (cur - prev) / dt
    out[(prev < 0) | (cur < prev)] = 0.0
    return out
