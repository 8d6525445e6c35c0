"""A small clean topology for rule tests, and helpers to break it one way at a time; the
demo topology with one allowed change of every kind (demo_changes)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from console.models import Topology
from console.models import changes as ch
from console.models import topofile as tf
from console.models.findings import Finding
from console.models.rules import check
from console.models.topofile import from_data

DEMO = Path(__file__).resolve().parents[2] / "resources" / "topologies" / "demo.yaml"

BASE: dict[str, Any] = {
    "format": "fabric-console/1",
    "name": "rules",
    "ucs": {"release": "2.2", "netlink_vf_limit": 22},
    "underlay": {"mtu": 1600, "multicast": True, "proxy_arp": False},
    "clusters": [{"name": "default"}, {"name": "lab"}],
    "fabric_interconnects": [{"name": "fi-a"}],
    "bridge_domains": [
        {"name": "bd-m", "segment_id": 5000, "mode": "multicast", "group": "239.1.1.1"},
        {"name": "bd-u", "segment_id": 5001, "mode": "unicast-only"},
    ],
    "port_profiles": [
        {"name": "web", "clients": ["default"], "vlans": [100], "native_vlan": 100,
         "max_ports": 8},
        {"name": "vx-m", "clients": ["default"], "bridge_domain": "bd-m"},
        {"name": "vx-u", "clients": ["default"], "bridge_domain": "bd-u"},
    ],
    "tenants": [{"name": "acme", "owner": "openstack"}],
    "networks": [{"name": "net1", "tenant": "acme", "type": "vxlan", "bridge_domain": "bd-u",
                  "owner": "openstack"}],
    "subnets": [{"name": "sub1", "network": "net1", "cidr": "192.168.10.0/24",
                 "owner": "openstack"}],
    "policy_profiles": [{"name": "secure", "owner": "openstack"}],
    "hosts": [
        {"name": "kvm1", "os": "rhel-6.4", "switching": "vmfex", "fabric_interconnect": "fi-a",
         "vic": {"model": "VIC-1280", "ports": 2, "pfs": [{"name": "eth2", "vfs": 4}]}},
        {"name": "vem1", "switching": "vem", "vteps": [{"name": "vtep0", "ip": "10.0.1.11/24"}]},
        {"name": "vem2", "switching": "vem", "vteps": [{"name": "vtep0", "ip": "10.0.1.12/24"}]},
    ],
    "vms": [
        {"name": "web1", "host": "kvm1",
         "nics": [{"name": "eth0", "mac": "52:54:00:00:01:01", "port_profile": "web",
                   "attach": "macvtap-passthrough", "pf": "eth2"}]},
        {"name": "app1", "host": "vem1",
         "nics": [{"name": "eth0", "mac": "52:54:00:00:02:01", "port_profile": "vx-m",
                   "attach": "veth"}]},
        {"name": "app2", "host": "vem2",
         "nics": [{"name": "eth0", "mac": "52:54:00:00:02:02", "port_profile": "vx-m",
                   "attach": "veth"}]},
        {"name": "os1", "host": "vem1",
         "nics": [{"name": "eth0", "mac": "52:54:00:00:03:01", "network": "net1",
                   "policy_profile": "secure", "ip": "192.168.10.11", "attach": "veth"}]},
        {"name": "os2", "host": "vem2",
         "nics": [{"name": "eth0", "mac": "52:54:00:00:03:02", "network": "net1",
                   "policy_profile": "secure", "ip": "192.168.10.12", "attach": "veth"}]},
    ],
    "traffic": [{"from": "web1/eth0", "to": "app1/eth0", "count": 1}],
}

KVM1, VEM1, VEM2 = 0, 1, 2
WEB1, APP1, APP2, OS1, OS2 = 0, 1, 2, 3, 4


def base() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def topo(data: dict[str, Any]) -> Topology:
    return from_data(data)


def findings(data: dict[str, Any]) -> list[Finding]:
    return check(from_data(data))


def add_vms(data: dict[str, Any], n: int, host: str, nic: dict[str, Any],
            prefix: str = "x") -> None:
    """n VMs with one vNIC each (unique names and MACs), built from `nic`."""
    tag = sum(map(ord, prefix)) & 255
    for i in range(n):
        mac = f"02:{tag:02x}:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        data["vms"].append({"name": f"{prefix}{i}", "host": host,
                            "nics": [{**nic, "name": "eth0", "mac": mac}]})


def demo() -> Topology:
    """The demo, plus a port profile and a bridge domain nobody uses (removing them is
    allowed) and a designated VTEP for tenant-a (a rename of tenant-a reaches a host)."""
    t = tf.load(DEMO)
    t.port_profiles = [*t.port_profiles, t.port_profiles[0].model_copy(update={"name": "spare"})]
    t.bridge_domains = [*t.bridge_domains, t.bridge_domains[0].model_copy(
        update={"name": "spare-bd", "segment_id": 5999})]
    vem1 = next(h for h in t.hosts if h.name == "vem1")
    vem1.designated_vteps = {**vem1.designated_vteps, "tenant-a": "vtep0"}
    return t


def demo_changes(t: Topology) -> dict[str, ch.Change]:
    """One change of every kind that demo() allows, by a name for test ids; the edits
    that rename what others refer to are there too."""
    web = next(p for p in t.port_profiles if p.name == "web")
    tenant_a = next(b for b in t.bridge_domains if b.name == "tenant-a")
    web1 = next(v for v in t.vms if v.name == "web1")
    vem1 = next(h for h in t.hosts if h.name == "vem1")
    return {
        "profile-edit": ch.PortProfileEdit(web.model_copy(update={"vlans": [100, 101],
                                                                  "native_vlan": 100})),
        "profile-rename": ch.PortProfileEdit(web.model_copy(update={"name": "web-renamed"}),
                                             old_name="web"),
        "profile-remove": ch.PortProfileRemove("spare"),
        "nic-update": ch.NicUpdate("web1", web1.nics[0].model_copy(update={"mtu": 1400})),
        "nic-detach": ch.NicDetach("web1", "eth0"),
        "nic-attach": ch.NicAttach("web1", web1.nics[0].model_copy(
            update={"name": "eth9", "mac": "52:54:00:00:99:99"})),
        "vm-define": ch.VmDefine(web1.model_copy(update={"name": "web9", "nics": []})),
        "vm-remove": ch.VmRemove("legacy1"),
        "vtep-edit": ch.VtepEdit("vem1", tuple(vem1.vteps[:1]), {}),
        "bd-edit": ch.BridgeDomainEdit(tenant_a.model_copy(update={"segment_id": 5998})),
        "bd-rename": ch.BridgeDomainEdit(tenant_a.model_copy(update={"name": "ta"}),
                                         old_name="tenant-a"),
        "bd-remove": ch.BridgeDomainRemove("spare-bd"),
        "vsm-edit": ch.VsmEdit(t.vsm.model_copy(update={"mac_aging_s": 600})),
        "migrate": ch.Migrate("web1", "kvm2"),
    }
