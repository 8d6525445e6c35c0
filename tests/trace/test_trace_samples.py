"""Every flow of the sample topologies, traced: the trace delivers what the compiled plane
delivers for the same frame in the same state (the property test's check, on the files
users start from)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from console.engine.facade import Fabric
from console.engine.trace import Snapshot, resolve_destination
from console.engine.traffic import mac_to_int
from console.models.derived import Derived
from console.models.topofile import load

try:
    import console.engine._dataplane  # noqa: F401
except ImportError:
    pytest.skip("compiled data plane not built", allow_module_level=True)

TOPOLOGIES = Path(__file__).resolve().parents[2] / "resources" / "topologies"
AT = 0.5


@pytest.mark.parametrize("name", ["demo", "mtu-lab", "large"])
def test_every_flow_of_a_sample(name):
    topo = load(TOPOLOGIES / f"{name}.yaml")
    fabric = Fabric(topo, plane="compiled")
    fabric.run_until(AT)
    snap = Snapshot(fabric)
    vifs = Derived(topo).index.vifs
    tick = math.floor(AT * 1000 + 1e-9)
    reasons = Counter()
    # large.yaml: its first 40 flows (a fresh compiled fabric per frame costs ~50 ms there)
    for fl in topo.traffic[:40]:
        src = mac_to_int(fl.src_mac or vifs[fl.source].nic.mac)
        dst, _ = resolve_destination(topo, fl.to)
        tr = snap.trace(fl.source, src, dst, fl.size, fl.ip, fl.df)
        reasons.update(d.reason for d in tr.drops)
        # the compiled plane, from a copy of the same state, for the same frame
        probe = Fabric(topo, plane="compiled")
        probe.run_until(AT)
        before = probe.sample().vifs
        probe.inject(*([x] for x in (tick, fabric._tables.vif_ids.index(fl.source), src, dst,
                                     fl.size, int(fl.ip), int(fl.df))))
        rx = Counter({v: c.rx_packets - before[v].rx_packets
                      for v, c in probe.sample().vifs.items()})
        assert Counter(tr.delivered) == +rx, (fl.source, fl.to)
    if name == "mtu-lab":
        # 1551 with DF and the 4000-byte non-IP frame: the file's two drops
        assert reasons == Counter({"mtu-df": 1, "mtu-non-ip": 1})
    if name == "demo":
        # nothing in the demo drops at 0.5 s (backup1's policer happens to hold a frame's
        # worth of tokens then: test_trace_scenarios.test_policer_tokens_left)
        assert reasons == Counter()
