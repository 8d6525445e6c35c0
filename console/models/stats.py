"""Counter samples: what every backend reports and every view plots.

Counters are monotonic 64-bit totals since the backend started; a sample carries its
timestamp so views compute rates between two samples. The names are those of
`simulate --json` (format fabric-console-stats/1).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

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


@dataclass
class CounterSample:
    """Every counter of a fabric at one instant.

    `timestamp` is seconds on the backend's clock (simulated time for the emulated fabric,
    wall-clock for real hosts); `live` is False when the backend could not read fresh
    counters (a dropped connection): views must not show such a sample as live.
    """

    timestamp: float
    vifs: dict[str, VifCounters] = field(default_factory=dict)
    bridge_domains: dict[str, FloodCounters] = field(default_factory=dict)
    vems: dict[str, VemCounters] = field(default_factory=dict)
    fabric_interconnects: dict[str, FiCounters] = field(default_factory=dict)
    live: bool = True

    def to_json(self) -> dict[str, Any]:
        """The `fabric-console-stats/1` object."""
        return {
            "format": STATS_FORMAT,
            "timestamp": self.timestamp,
            "vifs": {k: asdict(v) for k, v in self.vifs.items()},
            "bridge_domains": {k: asdict(v) for k, v in self.bridge_domains.items()},
            "vems": {k: asdict(v) for k, v in self.vems.items()},
            "fabric_interconnects": {k: asdict(v) for k, v in self.fabric_interconnects.items()},
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


def rate(prev: int, cur: int, seconds: float) -> float:
    """Per-second rate between two readings of a monotonic counter. A counter that went
    backwards (a backend restart) gives 0, never a negative rate."""
    if seconds <= 0 or cur < prev:
        return 0.0
    return (cur - prev) / seconds
