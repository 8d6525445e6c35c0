"""Small topologies for the kernel lab tests and the differential check (one scenario per
behaviour), written as the YAML a user would write."""

from __future__ import annotations

import yaml

from console.models import topofile
from console.models.topology import Topology

HEADER = {"format": "fabric-console/1", "clusters": [{"name": "default"}]}


def _vm(name: str, host: str, mac: str, profile: str, **nic) -> dict:
    return {"name": name, "host": host,
            "nics": [{"name": "eth0", "mac": mac, "port_profile": profile, "attach": "veth",
                      **nic}]}


def overlay(mode: str = "multicast", *, traffic: list[dict] | None = None,
            vtep_ips: tuple[str, str, str] = ("10.0.1.11/24", "10.0.1.12/24", "10.0.1.13/24"),
            gateways: tuple[str | None, ...] = (None, None, None), proxy_arp: bool = False,
            underlay_mtu: int = 1600, vm_mtu: int = 1500, hosts: int = 3,
            underlay_multicast: bool = True,
            extra_vms: list[dict] | None = None) -> Topology:
    """VEM hosts kvm1..kvmN with one VTEP each, one bridge domain `blue`, VM a on kvm1,
    b on kvm2, c on kvm3 (when there are three hosts)."""
    bd = {"name": "blue", "segment_id": 5000, "mode": mode}
    if mode == "multicast":
        bd["group"] = "239.1.1.1"
    doc = {**HEADER, "name": f"overlay-{mode}",
           "underlay": {"mtu": underlay_mtu, "multicast": underlay_multicast,
                        "proxy_arp": proxy_arp},
           "bridge_domains": [bd],
           "port_profiles": [{"name": "blue", "clients": ["default"], "bridge_domain": "blue"}],
           "hosts": [], "vms": [], "traffic": traffic or []}
    for i in range(hosts):
        vtep = {"name": "vtep0", "ip": vtep_ips[i]}
        if gateways[i]:
            vtep["gateway"] = gateways[i]
        doc["hosts"].append({"name": f"kvm{i + 1}", "switching": "vem",
                             "uplink_mtu": underlay_mtu, "vteps": [vtep]})
    for i, vm in enumerate("abc"[:hosts]):
        doc["vms"].append(_vm(vm, f"kvm{i + 1}", f"52:54:00:00:00:0{i + 1}", "blue",
                              mtu=vm_mtu))
    doc["vms"] += extra_vms or []
    return topofile.loads(yaml.safe_dump(doc, sort_keys=False))


def vmfex(*, traffic: list[dict] | None = None, qos_mbps: float | None = None,
          forging: str = "allow") -> Topology:
    """Two VM-FEX hosts on one FI; web1 and web2 on kvm1 (VLAN 100), web3 on kvm2 (VLAN
    100), db1 on kvm1 (VLAN 200)."""
    web = {"name": "web", "clients": ["default"], "vlans": [100], "native_vlan": 100,
           "mac_forging": forging}
    if qos_mbps:
        web["qos"] = {"rate_mbps": qos_mbps, "burst_kb": 16}
    doc = {**HEADER, "name": "vmfex", "fabric_interconnects": [{"name": "fi-a"}],
           "port_profiles": [web, {"name": "db", "clients": ["default"], "vlans": [200]}],
           "hosts": [{"name": f"kvm{i}", "switching": "vmfex", "fabric_interconnect": "fi-a",
                      "vic": {"model": "VIC-1280", "pfs": [{"name": "eth2", "vfs": 16}]}}
                     for i in (1, 2)],
           "vms": [], "traffic": traffic or []}
    for name, host, mac, profile in (("web1", "kvm1", "52:54:00:00:01:01", "web"),
                                     ("web2", "kvm1", "52:54:00:00:01:02", "web"),
                                     ("web3", "kvm2", "52:54:00:00:01:03", "web"),
                                     ("db1", "kvm1", "52:54:00:00:02:01", "db")):
        doc["vms"].append({"name": name, "host": host, "nics": [
            {"name": "eth0", "mac": mac, "port_profile": profile,
             "attach": "macvtap-passthrough", "pf": "eth2"}]})
    return topofile.loads(yaml.safe_dump(doc, sort_keys=False))
