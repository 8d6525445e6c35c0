"""Differential tests: on random small topologies and traffic, the compiled and the
reference data planes give identical counters and L2 tables, before and after a live
change. The compiled plane runs twice: with its flow cache (frames replayed from a
recording) and without (every frame on the slow path). MAC aging of 1-3 s inside a 3.2 s
run, and count flows that stop, make recorded L2 hits and deferred refreshes expire."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.engine.facade import Fabric
from console.models.changes import Migrate, NicDetach, PortProfileEdit
from console.models.topofile import loads
from console.models.vmfex import PortProfile, Qos

try:
    import console.engine._dataplane  # noqa: F401
except ImportError:
    pytest.skip("compiled data plane not built", allow_module_level=True)


@st.composite
def topologies(draw) -> dict:
    nvem = draw(st.integers(0, 4))
    nfex = draw(st.integers(0, 3))
    nfi = draw(st.integers(1 if nfex else 0, 2))
    nbd = draw(st.integers(1, 3))
    bds = [{"name": f"bd{i}", "segment_id": 5000 + i,
            "mode": draw(st.sampled_from(["multicast", "unicast-only"])),
            "group": f"239.1.1.{i + 1}"} for i in range(nbd)]
    profiles = []
    for i in range(draw(st.integers(1, 4))):
        p = {"name": f"p{i}", "clients": ["default"]}
        if draw(st.booleans()):
            p["bridge_domain"] = f"bd{draw(st.integers(0, nbd - 1))}"
        else:
            p["vlans"] = [draw(st.sampled_from([100, 200]))]
        if draw(st.booleans()):
            p["qos"] = {"rate_mbps": draw(st.sampled_from([0.5, 1, 10])),
                        "burst_kb": draw(st.integers(1, 16))}
        p["mac_forging"] = draw(st.sampled_from(["allow", "deny"]))
        profiles.append(p)
    hosts = []
    for i in range(nvem):
        vteps = [{"name": f"t{j}", "ip": f"10.0.{draw(st.integers(0, 1))}.{10 * i + j + 1}/24"}
                 for j in range(draw(st.integers(0, 3)))]
        for v in vteps:
            if draw(st.booleans()):
                v["gateway"] = v["ip"].rsplit(".", 1)[0] + ".254"
        h = {"name": f"v{i}", "switching": "vem", "vteps": vteps}
        if draw(st.booleans()):
            h["uplink_mtu"] = draw(st.sampled_from([1500, 1600, 9000]))
        hosts.append(h)
    for i in range(nfex):
        hosts.append({"name": f"k{i}", "vic": {"model": "VIC-1280",
                                               "pfs": [{"name": "eth2", "vfs": 16}]},
                      "fabric_interconnect": f"fi{draw(st.integers(0, max(nfi - 1, 0)))}"})
    if not hosts:
        hosts.append({"name": "v0", "switching": "vem"})
    vms = []
    for i in range(draw(st.integers(1, 8))):
        h = draw(st.sampled_from(hosts))
        vem = h.get("switching") == "vem"
        vms.append({"name": f"m{i}", "host": h["name"],
                    "state": draw(st.sampled_from(["running"] * 5 + ["shut-off"])),
                    "nics": [{"name": "eth0", "mac": f"52:54:00:00:00:{i:02x}",
                              "port_profile": draw(st.sampled_from(profiles))["name"],
                              "attach": "veth" if vem else "macvtap-passthrough"}]})
    flows = []
    for _ in range(draw(st.integers(1, 6))):
        src = draw(st.sampled_from(vms))["name"]
        to = draw(st.sampled_from([f"{v['name']}/eth0" for v in vms] +
                                  ["broadcast", "01:00:5e:00:00:01", "52:54:00:00:99:99"]))
        fl = {"from": f"{src}/eth0", "to": to, "size": draw(st.sampled_from([64, 1450, 1451, 1550,
                                                                              1551, 3000]))}
        if draw(st.booleans()):
            fl["pps"] = draw(st.sampled_from([1, 50, 333, 1000, 2500]))
        else:
            fl["count"] = draw(st.integers(1, 40))
            if draw(st.booleans()):
                fl["start_s"] = draw(st.sampled_from([0, 0.3, 1.2]))
        fl["ip"] = draw(st.booleans())
        fl["df"] = fl["ip"] and draw(st.booleans())
        if draw(st.integers(0, 4)) == 0:
            fl["src_mac"] = "de:ad:be:ef:00:01"
        flows.append(fl)
    return {
        "format": "fabric-console/1",
        "underlay": {"mtu": draw(st.sampled_from([1500, 1600])),
                     "multicast": draw(st.booleans()), "proxy_arp": draw(st.booleans())},
        "vsm": {"mac_aging_s": draw(st.integers(1, 3))},
        "clusters": [{"name": "default"}],
        "fabric_interconnects": [{"name": f"fi{i}"} for i in range(nfi)],
        "bridge_domains": bds, "port_profiles": profiles, "hosts": hosts, "vms": vms,
        "traffic": flows,
    }


def _run(doc: dict, plane: str, seed: int, change, flow_cache: bool = True) -> tuple[list, list]:
    f = Fabric(loads(yaml.safe_dump(doc, sort_keys=False)), seed=seed, plane=plane,
               flow_cache=flow_cache)
    out = []
    for t in (0.7, 1.6):
        f.run_until(t)
        out.append(f.sample().to_json())
    if change is not None:
        out.append(f.apply(change).applied)
        f.run_until(3.2)
        out.append(f.sample().to_json())
    tables = [f.l2_table(bd["name"]) for bd in doc["bridge_domains"]]
    return out, tables


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=topologies(), seed=st.integers(0, 3), data=st.data())
def test_planes_agree(doc, seed, data):
    change = None
    kind = data.draw(st.sampled_from(["none", "migrate", "profile", "detach"]))
    if kind == "migrate":
        vm = data.draw(st.sampled_from(doc["vms"]))["name"]
        change = Migrate(vm, data.draw(st.sampled_from(doc["hosts"]))["name"])
    elif kind == "detach":
        change = NicDetach(data.draw(st.sampled_from(doc["vms"]))["name"], "eth0")
    elif kind == "profile":
        p = dict(data.draw(st.sampled_from(doc["port_profiles"])))
        p["qos"] = Qos(rate_mbps=1, burst_kb=2)
        p["mac_forging"] = "deny" if p.get("mac_forging") == "allow" else "allow"
        change = PortProfileEdit(PortProfile(**p))
    reference = _run(doc, "reference", seed, change)
    assert _run(doc, "compiled", seed, change) == reference
    assert _run(doc, "compiled", seed, change, flow_cache=False) == reference
