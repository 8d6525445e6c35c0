"""Every rule: a topology that breaks it and one that keeps it (at the boundary where the
rule has one), starting from a clean topology and changing one thing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rulekit import APP1, KVM1, VEM1, add_vms, base, findings

from console.models.findings import Severity
from console.models.rules import RULES

Mutation = Callable[[dict[str, Any]], None]


def nic(d: dict, vm: int) -> dict:
    return d["vms"][vm]["nics"][0]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting d[a][i][b]... written 'a.i.b'."""
    def mutate(d: dict) -> None:
        *head, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node = d
        for part in head:
            node = node[part]
        node[last] = value
    return mutate


def _all(*mutations: Mutation) -> Mutation:
    def mutate(d: dict) -> None:
        for m in mutations:
            m(d)
    return mutate


def _vf_nics(n: int, vfs: int, netlink: int = 22) -> Mutation:
    def mutate(d: dict) -> None:
        d["ucs"]["netlink_vf_limit"] = netlink
        d["hosts"][KVM1]["vic"]["pfs"][0]["vfs"] = vfs
        add_vms(d, n - 1, "kvm1", {"port_profile": "web", "attach": "macvtap-passthrough",
                                   "pf": "eth2"})
        d["port_profiles"][0]["max_ports"] = None
    return mutate


def _macvtap_private(n: int, release: str = "2.0") -> Mutation:
    def mutate(d: dict) -> None:
        d["ucs"]["release"] = release
        add_vms(d, n, "kvm1", {"port_profile": "web", "attach": "macvtap-private"}, "p")
    return mutate


def _vmfex_nics(n: int, model: str) -> Mutation:
    def mutate(d: dict) -> None:
        d["hosts"][KVM1]["vic"]["model"] = model
        add_vms(d, n - 1, "kvm1", {"port_profile": "web", "attach": "macvtap-passthrough"})
    return mutate


def _vteps(n: int) -> Mutation:
    return _set("hosts.1.vteps", [{"name": f"v{i}", "ip": f"10.0.1.{20 + i}/24"}
                                  for i in range(n)])


def _extra_nics(n: int) -> Mutation:
    def mutate(d: dict) -> None:
        d["hosts"][VEM1]["qemu_pci_slots"] = 2
        d["vms"][APP1]["nics"] += [{"name": f"eth{i}", "mac": f"02:00:00:00:09:{i:02x}",
                                    "port_profile": "vx-m", "attach": "veth"}
                                   for i in range(1, n)]
    return mutate


def _segmentation_off(keep_vxlan: bool) -> Mutation:
    def mutate(d: dict) -> None:
        d["vsm"] = {"segmentation": False}
        if not keep_vxlan:
            d["bridge_domains"] = []
            d["port_profiles"] = d["port_profiles"][:1]
            d["networks"] = d["subnets"] = []
            d["vms"] = d["vms"][:1]
            d["traffic"] = []
    return mutate


def _dup(section: str, i: int) -> Mutation:
    def mutate(d: dict) -> None:
        import copy
        d[section].append(copy.deepcopy(d[section][i]))
    return mutate


def _noop(d: dict) -> None:
    pass


def _plain_host(profile: str, attach: str = "veth") -> Mutation:
    """A plain host (its own bridge, off the fabric) with one VM on `profile`."""
    def mutate(d: dict) -> None:
        d["hosts"].append({"name": "lab1", "switching": "plain"})
        d["vms"].append({"name": "pc1", "host": "lab1",
                         "nics": [{"name": "eth0", "mac": "52:54:00:00:09:01",
                                   "port_profile": profile, "attach": attach}]})
    return mutate


# rule id -> (mutation that breaks it, mutation that keeps it)
CASES: list[tuple[str, Mutation, Mutation]] = [
    # ------------------------------------------------------------------ VM-FEX
    ("vmfex.default-cluster", _set("hosts.0.cluster", "lab"),
     _set("hosts.1.cluster", "lab")),  # a VEM host elsewhere is fine
    ("vmfex.profile-client", _set("port_profiles.0.clients", ["lab"]),
     _set("port_profiles.0.clients", ["lab", "default"])),
    ("vmfex.vic-missing", _set("hosts.0.vic", None), _noop),
    ("vmfex.vic-sriov", _set("hosts.0.vic.model", "VIC-1340"),
     _set("hosts.0.vic.model", "UCS 1240")),
    ("vmfex.os-release", _set("hosts.0.os", "rhel-6.0"), _set("hosts.0.os", "rhel-6.1")),
    ("vmfex.os-sriov", _set("hosts.0.os", "rhel-6.2"), _set("hosts.0.os", "rhel-6.3")),
    ("vmfex.vnic-limit", _vmfex_nics(129, "M81KR"), _vmfex_nics(128, "M81KR")),
    ("vmfex.vnic-limit", _vmfex_nics(257, "VIC-1280"), _vmfex_nics(256, "VIC-1280")),
    ("vmfex.macvtap-private-release", _macvtap_private(1, "2.1"),
     _macvtap_private(1, "2.0(2a)")),
    ("vmfex.macvtap-private-ports", _macvtap_private(3), _macvtap_private(2)),
    ("vmfex.vf-limit", _vf_nics(5, vfs=4), _vf_nics(4, vfs=4)),
    ("vmfex.netlink-limit", _vf_nics(23, vfs=32), _vf_nics(22, vfs=32)),
    ("vmfex.no-vf-pool", _all(_set("hosts.0.vic.pfs", []), _set("vms.0.nics.0.pf", None)),
     _noop),
    ("vmfex.hostdev-no-migration", _set("vms.0.nics.0.attach", "hostdev"), _noop),
    ("vmfex.qemu-pci-limit", _extra_nics(3), _extra_nics(2)),
    ("host.attach-mode", _all(_set("vms.0.nics.0.attach", "veth"),
                              _set("vms.0.nics.0.pf", None)), _noop),
    ("host.attach-mode", _set("vms.1.nics.0.attach", "macvtap-passthrough"), _noop),
    ("vmfex.no-fabric-interconnect", _all(_set("fabric_interconnects", []),
                                          _set("hosts.0.fabric_interconnect", None)),
     _set("hosts.0.fabric_interconnect", None)),  # one FI defined: it is implied
    ("vmfex.fabric-interconnect-implied",
     _all(_set("fabric_interconnects", [{"name": "fi-a"}, {"name": "fi-b"}]),
          _set("hosts.0.fabric_interconnect", None)),
     _set("fabric_interconnects", [{"name": "fi-a"}, {"name": "fi-b"}])),
    ("vmfex.vxlan-profile", _set("vms.0.nics.0.port_profile", "vx-m"), _noop),
    # a plain host: no VIC, no VEM, any attach mode, and none of those rules says a word
    ("vmfex.vic-missing", _set("hosts.0.vic", None), _plain_host("web")),
    ("host.attach-mode", _set("vms.1.nics.0.attach", "macvtap-passthrough"),
     _plain_host("web", "macvtap-private")),
    ("host.plain-off-fabric", _plain_host("vx-m"), _plain_host("web")),
    ("host.plain-off-fabric", _all(_plain_host("web"), _set("traffic.0.to", "pc1/eth0")),
     _plain_host("web")),
    # ----------------------------------------------------------- port profiles
    ("profile.max-ports", _all(_set("port_profiles.0.max_ports", 1),
                               _set("vms.1.nics.0.port_profile", "web"),
                               _set("vms.1.nics.0.attach", "veth")),
     _set("port_profiles.0.max_ports", 1)),
    ("profile.native-vlan-missing", _set("port_profiles.0", {"name": "web", "vlans": [100, 200],
                                                            "clients": ["default"]}),
     _set("port_profiles.0.vlans", [100, 200])),
    ("profile.vlan-and-vxlan", _set("port_profiles.1.vlans", [5]), _noop),
    # ---------------------------------------------------------------- VXLAN
    ("vxlan.vtep-count", _vteps(5), _vteps(4)),
    ("vxlan.vtep-missing", _set("hosts.1.vteps", []),
     _all(_set("hosts.1.vteps", []), _set("vms.1.host", "vem2"), _set("vms.3.host", "vem2"))),
    ("vxlan.segment-id-range", _set("bridge_domains.0.segment_id", 4095),
     _set("bridge_domains.0.segment_id", 4096)),
    ("vxlan.segment-id-range", _set("bridge_domains.0.segment_id", 16_000_001),
     _set("bridge_domains.0.segment_id", 16_000_000)),
    ("vxlan.multicast-group", _set("bridge_domains.0.group", None),
     _set("bridge_domains.0.group", "224.0.0.0")),
    ("vxlan.multicast-group", _set("bridge_domains.0.group", "10.1.1.1"),
     _set("bridge_domains.0.group", "239.255.255.255")),
    ("vxlan.unicast-group", _set("bridge_domains.1.group", "239.1.1.2"), _noop),
    ("vxlan.underlay-multicast", _set("underlay.multicast", False),
     _all(_set("underlay.multicast", False), _set("bridge_domains.0.mode", "unicast-only"),
          _set("bridge_domains.0.group", None))),
    ("vxlan.vtep-gateway", _set("hosts.1.vteps.0.gateway", "10.0.9.1"),
     _set("hosts.1.vteps.0.gateway", "10.0.1.1")),
    ("vxlan.vtep-reachability", _set("hosts.2.vteps.0.ip", "10.0.2.12/24"),
     _all(_set("hosts.2.vteps.0.ip", "10.0.2.12/24"),
          _set("hosts.2.vteps.0.gateway", "10.0.2.1"),
          _set("hosts.1.vteps.0.gateway", "10.0.1.1"))),
    ("vxlan.vtep-reachability", _set("hosts.2.vteps.0.ip", "10.0.2.12/24"),
     _all(_set("hosts.2.vteps.0.ip", "10.0.2.12/24"), _set("underlay.proxy_arp", True))),
    ("vxlan.transport-mtu", _set("vms.1.nics.0.mtu", 1551), _set("vms.1.nics.0.mtu", 1550)),
    ("vxlan.transport-mtu", _set("hosts.2.uplink_mtu", 1500),
     _all(_set("hosts.2.uplink_mtu", 1500), _set("vms.1.nics.0.mtu", 1450),
          _set("vms.2.nics.0.mtu", 1450), _set("vms.3.nics.0.mtu", 1450),
          _set("vms.4.nics.0.mtu", 1450))),
    ("vxlan.segmentation-in-use", _segmentation_off(keep_vxlan=True),
     _segmentation_off(keep_vxlan=False)),
    ("vxlan.segmentation-bridge-domains", _segmentation_off(keep_vxlan=True),
     _segmentation_off(keep_vxlan=False)),
    ("vxlan.vteps-on-vmfex", _set("hosts.0.vteps", [{"name": "v", "ip": "10.0.1.50/24"}]),
     _noop),
    ("vxlan.vteps-on-vmfex", _all(_plain_host("web"),
                                  _set("hosts.3.vteps", [{"name": "v", "ip": "10.0.1.50/24"}])),
     _plain_host("web")),
    # ------------------------------------------------------------- OpenStack
    ("openstack.sync-loss", _set("networks.0.owner", "console"),
     _all(_set("networks.0.owner", "console"), _set("tenants.0.owner", "console"),
          _set("subnets.0.owner", "console"))),
    ("openstack.sync-loss", _set("subnets.0.owner", "console"), _noop),
    ("openstack.dynamic-name", lambda d: d["port_profiles"].append({"name": "secure_net1"}),
     lambda d: d["port_profiles"].append({"name": "secure-net1"})),
    ("openstack.ip-outside-subnet", _set("vms.3.nics.0.ip", "192.168.11.5"),
     _set("vms.3.nics.0.ip", "192.168.10.254")),
    # ------------------------------------------------------------ references
    ("ref.cluster", _set("hosts.0.cluster", "prod"), _set("clusters", [])),  # default implied
    ("ref.cluster", _set("port_profiles.0.clients", ["default", "prod"]), _noop),
    ("ref.fabric-interconnect", _set("hosts.0.fabric_interconnect", "fi-b"),
     _set("hosts.0.fabric_interconnect", None)),
    ("ref.host", _set("vms.0.host", "kvm9"), _noop),
    ("ref.port-profile", _set("vms.0.nics.0.port_profile", "nope"), _noop),
    ("ref.network", _set("vms.3.nics.0.network", "nope"), _noop),
    ("ref.policy-profile", _set("vms.3.nics.0.policy_profile", "nope"), _noop),
    ("ref.pf", _set("vms.0.nics.0.pf", "eth9"), _set("vms.0.nics.0.pf", None)),
    ("ref.bridge-domain", _set("port_profiles.1.bridge_domain", "nope"), _noop),
    ("ref.bridge-domain", _set("networks.0.bridge_domain", "nope"), _noop),
    ("ref.bridge-domain", _set("hosts.1.designated_vteps", {"nope": "vtep0"}),
     _set("hosts.1.designated_vteps", {"bd-m": "vtep0"})),
    ("ref.designated-vtep", _set("hosts.1.designated_vteps", {"bd-m": "vtep7"}),
     _set("hosts.1.designated_vteps", {"bd-m": "vtep0"})),
    ("ref.tenant", _set("networks.0.tenant", "nope"), _set("networks.0.tenant", None)),
    ("ref.subnet-network", _set("subnets.0.network", "nope"), _noop),
    ("ref.traffic", _set("traffic.0.from", "web9/eth0"), _noop),
    ("ref.traffic", _set("traffic.0.to", "web1/eth9"), _set("traffic.0.to", "broadcast")),
    # ------------------------------------------------------------ traffic
    ("traffic.size-over-mtu", _set("traffic.0.size", 1501), _set("traffic.0.size", 1500)),
    # ------------------------------------------------------------ duplicates
    ("dup.name", _dup("hosts", KVM1), _noop),
    ("dup.name", _dup("clusters", 0), _noop),
    ("dup.name", lambda d: d["vms"][APP1]["nics"].append(
        {**nic(d, APP1), "mac": "02:00:00:00:00:99"}), _noop),
    ("dup.name", _dup("port_profiles", 0), _noop),
    ("dup.name", lambda d: d["hosts"][VEM1]["vteps"].append(
        {"name": "vtep0", "ip": "10.0.1.99/24"}), _noop),
    ("dup.mac", _set("vms.2.nics.0.mac", "52:54:00:00:02:01"), _noop),
    ("dup.ip", _set("vms.4.nics.0.ip", "192.168.10.11"), _noop),
    ("dup.vtep-ip", _set("hosts.2.vteps.0.ip", "10.0.1.11/24"), _noop),
    ("dup.segment-id", _set("bridge_domains.1.segment_id", 5000), _noop),
    ("dup.multicast-group", lambda d: d["bridge_domains"].append(
        {"name": "bd-m2", "segment_id": 5002, "group": "239.1.1.1"}),
     lambda d: d["bridge_domains"].append(
        {"name": "bd-m2", "segment_id": 5002, "group": "239.1.1.2"})),
]


def _rule_ids(data: dict) -> set[str]:
    return {f.rule for f in findings(data)}


def test_the_base_topology_is_clean():
    assert findings(base()) == []


@pytest.mark.parametrize(("rule_id", "breaks", "keeps"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_fails_and_passes(rule_id: str, breaks: Mutation, keeps: Mutation):
    bad, good = base(), base()
    breaks(bad)
    keeps(good)
    found = [f for f in findings(bad) if f.rule == rule_id]
    assert found, f"{rule_id} did not fire"
    for f in found:
        assert f.severity is RULES[rule_id].severity
        assert f.path and f.message.strip() and "\n" not in f.message
    assert rule_id not in _rule_ids(good)


def test_every_file_rule_has_a_case():
    tested = {c[0] for c in CASES} | {"profile.native-vlan"}  # see test_rules_messages.py
    file_rules = {r.id for r in RULES.values() if not r.live_only}
    assert file_rules - tested == set()


def test_rules_name_their_source_and_are_one_line():
    # Sources a user can look up: a public Cisco guide and its section, or this
    # repository's own documentation; never a file the repository does not have.
    public = ("Cisco UCS Manager VM-FEX for KVM CLI Configuration Guide, section ",
              "Cisco Nexus 1000V for KVM VXLAN Configuration Guide, section ",
              "Fabric Console README.md, section ")
    for r in RULES.values():
        assert r.source.startswith(public), r.id
        assert "reference/" not in r.source and "DESIGN.md" not in r.source, r.id
        assert "\n" not in r.summary and r.severity in (Severity.ERROR, Severity.WARNING)


def test_paths_name_the_object_as_the_file_does():
    d = base()
    _vteps(5)(d)
    assert [f.path for f in findings(d) if f.rule == "vxlan.vtep-count"] == ["hosts[1].vteps[4]"]
    d = base()
    _vf_nics(6, vfs=4)(d)
    paths = [f.path for f in findings(d) if f.rule == "vmfex.vf-limit"]
    assert paths == ["vms[8].nics[0].pf", "vms[9].nics[0].pf"]  # web1 + x0..x2 hold the 4 VFs
