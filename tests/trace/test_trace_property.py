"""Property: a trace delivers exactly what the compiled plane delivers for that one frame.

On generated topologies (VEMs with 0-3 VTEPs in two subnets, gateways, uplink MTUs,
VM-FEX hosts on one or two fabric interconnects, VXLAN and VLAN profiles, policers, MAC
forging, shut-off VMs, 1-3 s MAC aging) and traffic, the file's flows run for `at`
seconds; then one frame enters at a vNIC. The trace (reference plane with a tracer, from
the state at `at`) must name the same deliveries, VIF by VIF and copy by copy, as the rx
counters the compiled plane adds for the same frame in the same state; and its drops must
account for the drop counters that frame adds (ingress, MTU, unreachable).

Examples: FABRIC_CONSOLE_TRACE_EXAMPLES (default 500, about 8 s on one core; the issue's
acceptance run, FABRIC_CONSOLE_TRACE_EXAMPLES=1000, about 16 s). The generator leans toward
VEMs with VTEPs, destinations in the sender's segment and VMs that announce themselves, so
that known unicast, encapsulation and decapsulation are common (see
--hypothesis-show-statistics for what a run covered).
"""

from __future__ import annotations

import math
import os
from collections import Counter

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from console.engine.facade import Fabric
from console.engine.trace import trace
from console.engine.traffic import mac_to_int
from console.models.topofile import loads

try:
    import console.engine._dataplane  # noqa: F401
except ImportError:
    pytest.skip("compiled data plane not built", allow_module_level=True)

EXAMPLES = int(os.environ.get("FABRIC_CONSOLE_TRACE_EXAMPLES", "500"))

INGRESS = {"not-connected", "mac-forging", "policed"}
UNREACHABLE = {"no-vtep", "no-multicast", "no-designated-vtep", "unreachable-vtep"}
MTU = {"mtu-df", "mtu-non-ip", "mtu-no-room"}


@st.composite
def topologies(draw) -> dict:
    # VXLAN paths (encapsulation, reach, MTU, decapsulation, learning) need VEMs with
    # VTEPs and VXLAN profiles: weighted toward them
    nvem = draw(st.sampled_from([0, 1, 2, 2, 3, 3, 4, 4]))
    nfex = draw(st.sampled_from([0, 0, 1, 2, 3]))
    nfi = draw(st.integers(1 if nfex or nvem else 0, 2))
    nbd = draw(st.integers(1, 3))
    bds = [{"name": f"bd{i}", "segment_id": 5000 + i,
            "mode": draw(st.sampled_from(["multicast", "unicast-only"])),
            "group": f"239.1.1.{i + 1}"} for i in range(nbd)]
    profiles = []
    for i in range(draw(st.integers(1, 4))):
        p = {"name": f"p{i}", "clients": ["default"]}
        if draw(st.integers(0, 2)) > 0:
            p["bridge_domain"] = f"bd{draw(st.integers(0, nbd - 1))}"
        else:
            p["vlans"] = [draw(st.sampled_from([100, 200]))]
        if draw(st.integers(0, 3)) == 0:
            p["qos"] = {"rate_mbps": draw(st.sampled_from([0.5, 1, 10])),
                        "burst_kb": draw(st.integers(1, 16))}
        p["mac_forging"] = draw(st.sampled_from(["allow", "deny"]))
        profiles.append(p)
    hosts = []
    for i in range(nvem):
        vteps = [{"name": f"t{j}", "ip": f"10.0.{draw(st.integers(0, 1))}.{10 * i + j + 1}/24"}
                 for j in range(draw(st.sampled_from([0, 1, 1, 2, 3])))]
        for v in vteps:
            if draw(st.integers(0, 2)) == 0:
                v["gateway"] = v["ip"].rsplit(".", 1)[0] + ".254"
        h = {"name": f"v{i}", "switching": "vem", "vteps": vteps}
        if draw(st.booleans()):
            h["uplink_mtu"] = draw(st.sampled_from([1500, 1600, 9000]))
        if nfi:
            h["fabric_interconnect"] = f"fi{draw(st.integers(0, nfi - 1))}"
        hosts.append(h)
    for i in range(nfex):
        hosts.append({"name": f"k{i}", "vic": {"model": "VIC-1280",
                                               "pfs": [{"name": "eth2", "vfs": 16}]},
                      "fabric_interconnect": f"fi{draw(st.integers(0, max(nfi - 1, 0)))}"})
    if not hosts:
        hosts.append({"name": "v0", "switching": "vem"})
    vms = []
    vem_hosts = [h for h in hosts if h.get("switching") == "vem"] or hosts
    for i in range(draw(st.integers(2, 8))):
        # two VMs in three on a VEM: VXLAN needs several VMs of one segment on VEMs
        h = draw(st.sampled_from(vem_hosts if draw(st.integers(0, 2)) else hosts))
        vem = h.get("switching") == "vem"
        vms.append({"name": f"m{i}", "host": h["name"],
                    "state": draw(st.sampled_from(["running"] * 5 + ["shut-off"])),
                    "nics": [{"name": "eth0", "mac": f"52:54:00:00:00:{i:02x}",
                              "port_profile": draw(st.sampled_from(profiles))["name"],
                              "attach": "veth" if vem else "macvtap-passthrough"}]})
    flows = []
    for _ in range(draw(st.integers(0, 6))):
        src = draw(st.sampled_from(vms))["name"]
        to = draw(st.sampled_from([f"{v['name']}/eth0" for v in vms] +
                                  ["broadcast", "01:00:5e:00:00:01", "52:54:00:00:99:99"]))
        fl = {"from": f"{src}/eth0", "to": to,
              "size": draw(st.sampled_from([64, 1450, 1451, 1550, 1551, 3000]))}
        if draw(st.booleans()):
            fl["pps"] = draw(st.sampled_from([1, 50, 333, 1000]))
        else:
            fl["count"] = draw(st.integers(1, 40))
            if draw(st.booleans()):
                fl["start_s"] = draw(st.sampled_from([0, 0.3, 1.2]))
        fl["ip"] = draw(st.booleans())
        fl["df"] = fl["ip"] and draw(st.booleans())
        if draw(st.integers(0, 4)) == 0:
            fl["src_mac"] = "de:ad:be:ef:00:01"
        flows.append(fl)
    # some VMs announce themselves, so that later frames to them are known unicast
    for vm in vms:
        if draw(st.booleans()):
            flows.append({"from": f"{vm['name']}/eth0", "to": "broadcast", "pps": 100})
    return {
        "format": "fabric-console/1",
        "underlay": {"mtu": draw(st.sampled_from([1500, 1600])),
                     "multicast": draw(st.integers(0, 2)) > 0,
                     "proxy_arp": draw(st.booleans())},
        "vsm": {"mac_aging_s": draw(st.integers(1, 3))},
        "clusters": [{"name": "default"}],
        "fabric_interconnects": [{"name": f"fi{i}"} for i in range(nfi)],
        "bridge_domains": bds, "port_profiles": profiles, "hosts": hosts, "vms": vms,
        "traffic": flows,
    }


@st.composite
def frames(draw, doc: dict) -> dict:
    vms = [v["name"] for v in doc["vms"]]
    source = f"{draw(st.sampled_from(vms))}/eth0"
    # mostly another vNIC, most often one of the same segment (the frame to itself is one
    # choice among the others)
    profiles = {p["name"]: p for p in doc["port_profiles"]}

    def segment(vm: dict) -> object:
        p = profiles[vm["nics"][0]["port_profile"]]
        return p.get("bridge_domain") or p.get("vlans")[0]

    mine = segment(next(v for v in doc["vms"] if f"{v['name']}/eth0" == source))
    others = [f"{v}/eth0" for v in vms if f"{v}/eth0" != source] or [source]
    peers = [f"{v['name']}/eth0" for v in doc["vms"]
             if segment(v) == mine and f"{v['name']}/eth0" != source]
    to = draw(st.sampled_from(peers * 6 + others * 2 + [
        source, "broadcast", "broadcast", "01:00:5e:00:00:01", "52:54:00:00:99:99"]))
    ip = draw(st.integers(0, 2)) > 0
    at = draw(st.sampled_from([0, 0.001, 0.05, 0.5, 1.0, 1.25, 2.0, 3.5]))
    return {"source": source, "to": to, "at": at,
            "size": draw(st.sampled_from([64, 1450, 1451, 1550, 1551, 3000, 40000])),
            "ip": ip, "df": ip and draw(st.booleans()),
            "src_mac": draw(st.sampled_from([None] * 4 + ["de:ad:be:ef:00:01"])),
            # the state before the frame: the compiled plane's, or (short runs) the
            # reference plane's own
            "plane": "reference" if at <= 0.05 and draw(st.booleans()) else "compiled"}


def _compiled_delivery(topo, doc: dict, f: dict) -> tuple[Counter, dict[str, int]]:
    """rx per VIF and the drop counters the compiled plane adds for the one frame."""
    fabric = Fabric(topo, plane="compiled")
    fabric.run_until(f["at"])
    before = fabric.sample().to_json()
    tick = math.floor(f["at"] * 1000 + 1e-9)  # Fabric.run_until's last tick carried + 1
    mac = {f"{vm['name']}/eth0": vm["nics"][0]["mac"] for vm in doc["vms"]}
    src = f["src_mac"] or mac[f["source"]]
    if f["to"] == "broadcast":
        dst = 0xFFFF_FFFF_FFFF
    elif "/" in f["to"]:
        dst = mac_to_int(mac[f["to"]])
    else:
        dst = mac_to_int(f["to"])
    v = fabric._tables.vif_ids.index(f["source"])
    fabric.inject(*([x] for x in (tick, v, mac_to_int(src), dst, f["size"], int(f["ip"]),
                                  int(f["df"]))))
    after = fabric.sample().to_json()
    rx = Counter({vid: c["rx_packets"] - before["vifs"][vid]["rx_packets"]
                  for vid, c in after["vifs"].items()})

    def total(section: str, name: str) -> int:
        return sum(c[name] - before[section][k][name] for k, c in after[section].items())

    drops = {"ingress": total("vifs", "tx_drops"), "mtu": total("vems", "mtu_drops"),
             "unreachable": total("vems", "unreachable_drops")}
    return +rx, drops


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(doc=topologies(), data=st.data())
def test_trace_delivers_what_the_compiled_plane_delivers(doc, data):
    f = data.draw(frames(doc))
    text = yaml.safe_dump(doc, sort_keys=False)
    tr = trace(loads(text), f["source"], f["to"], size=f["size"], ip=f["ip"], df=f["df"],
               at=f["at"], src_mac=f["src_mac"], plane=f["plane"])
    rx, drops = _compiled_delivery(loads(text), doc, f)
    # what the examples cover (pytest --hypothesis-show-statistics)
    event("delivered" if tr.delivered else "delivered to nobody")
    for reason in sorted({d.reason for d in tr.drops}):
        event(f"drop {reason}")
    for kind in sorted({s.kind for s in tr.steps} - {"drop"}):
        event(f"step {kind}")
    if any("aged out" in s.text for s in tr.steps):
        event("an aged-out entry")
    if any("from peer" in s.text for s in tr.steps):
        event("a peer fabric interconnect")
    assert Counter(tr.delivered) == rx
    reasons = Counter(d.reason for d in tr.drops)
    assert sum(reasons[r] for r in INGRESS) == drops["ingress"]
    assert sum(reasons[r] for r in MTU) == drops["mtu"]
    assert sum(reasons[r] for r in UNREACHABLE) == drops["unreachable"]
