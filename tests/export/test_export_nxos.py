"""Nexus 1000V for KVM export: exact lines for each kind of object."""

from __future__ import annotations

import pytest
from export_helpers import bd, openstack_topo, profile, topo, vem, veth, vm, vtep

from console.export import nxos
from console.models import Qos, Vsm


def text_of(t) -> str:
    files = nxos.render(t)
    assert list(files) == [nxos.FILE_NAME]
    return files[nxos.FILE_NAME]


def blocks(text: str) -> list[list[str]]:
    """The blocks between '!' separator lines (comment lines start with '! ')."""
    out: list[list[str]] = [[]]
    for line in text.splitlines():
        if line == "!":
            out.append([])
        else:
            out[-1].append(line)
    return out


def block(text: str, first: str) -> list[str]:
    """The block holding a line equal to `first` (comments above it included)."""
    found = [b for b in blocks(text) if first in b]
    assert len(found) == 1, f"{first!r} in {len(found)} blocks:\n{text}"
    return found[0]


def test_header_names_the_topology_and_feature_segmentation_comes_first():
    text = text_of(topo(name="lab one"))
    lines = text.splitlines()
    assert lines[0] == "! Fabric Console export of topology 'lab one'"
    assert blocks(text)[1] == ["feature segmentation"]


def test_multicast_bridge_domain():
    text = text_of(topo(bridge_domains=[bd("tenant-a", 5000, group="239.1.1.1")]))
    assert block(text, "bridge-domain tenant-a") == [
        "bridge-domain tenant-a",
        "  segment id 5000",
        "  group 239.1.1.1",
    ]


def test_unicast_only_bridge_domain_has_no_group():
    text = text_of(topo(bridge_domains=[bd("tenant-b", 5001, "unicast-only")]))
    assert block(text, "bridge-domain tenant-b") == [
        "bridge-domain tenant-b",
        "  segment id 5001",
        "  segment mode unicast-only",
    ]


def test_vlan_profile():
    text = text_of(topo(port_profiles=[profile("db", vlans=[200], description="db tier")]))
    assert block(text, "port-profile type vethernet db") == [
        "port-profile type vethernet db",
        "  description db tier",
        "  switchport mode access",
        "  switchport access vlan 200",
        "  no shutdown",
        "  state enabled",
        "  publish port-profile",
    ]
    assert "vmware port-group" not in text  # VMware's publishing command, not KVM's


def test_vlan_trunk_profile_with_native_vlan():
    t = topo(port_profiles=[profile("trunk", vlans=[301, 300, 302, 310], native_vlan=300)])
    assert block(text_of(t), "port-profile type vethernet trunk")[1:4] == [
        "  switchport mode trunk",
        "  switchport trunk allowed vlan 300-302,310",
        "  switchport trunk native vlan 300",
    ]


def test_vxlan_profile():
    t = topo(bridge_domains=[bd("tenant-a", 5000, group="239.1.1.1")],
             port_profiles=[profile("tenant-a", bridge_domain="tenant-a", max_ports=32)])
    assert block(text_of(t), "port-profile type vethernet tenant-a") == [
        "port-profile type vethernet tenant-a",
        "  max-ports 32",
        "  switchport mode access",
        "  switchport access bridge-domain tenant-a",
        "  no shutdown",
        "  state enabled",
        "  publish port-profile",
    ]


def test_qos_is_a_policy_map_shared_by_equal_rates():
    t = topo(port_profiles=[profile("a", vlans=[10], qos=Qos(rate_mbps=1000)),
                            profile("b", vlans=[11], qos=Qos(rate_mbps=2.5, burst_kb=128)),
                            profile("c", vlans=[12], qos=Qos(rate_mbps=1000))])
    text = text_of(t)
    assert block(text, "policy-map type qos fc-qos-1") == [
        "policy-map type qos fc-qos-1",
        "  class class-default",
        "    police cir 1000 mbps bc 64 kbytes conform transmit violate drop",
    ]
    assert "    police cir 2.5 mbps bc 128 kbytes conform transmit violate drop" in text
    assert text.count("policy-map type qos") == 2
    uses = "  service-policy type qos input fc-qos-{}"
    assert uses.format(1) in block(text, "port-profile type vethernet c")
    assert uses.format(2) in block(text, "port-profile type vethernet b")


def test_mac_forging_deny_is_port_security_and_says_it_is_approximated():
    t = topo(port_profiles=[profile("locked", vlans=[10], mac_forging="deny"),
                            profile("open", vlans=[11], mac_forging="allow")])
    text = text_of(t)
    locked = block(text, "port-profile type vethernet locked")
    assert "  switchport port-security" in locked
    assert "  switchport port-security violation protect" in locked
    assert any(line.startswith("  ! MAC forging deny, approximated") for line in locked)
    open_block = block(text, "port-profile type vethernet open")
    assert not any("port-security" in line for line in open_block)


def test_dynamic_profiles_one_per_pair_marked_as_openstack_owned():
    text = text_of(openstack_topo())
    shared = block(text, "port-profile type vethernet gold_blue")
    assert shared[0].startswith("! dynamic port profile, owned by OpenStack")
    assert "  switchport access bridge-domain os-bd" in shared
    assert "  service-policy type qos input fc-qos-1" in shared
    assert "  switchport access vlan 200" in block(text, "port-profile type vethernet gold_red")
    assert text.count("port-profile type vethernet gold_") == 2  # a and b share one
    policy = block(text, "port-profile type vethernet gold")
    assert "  switchport port-security" in policy and not any("access" in x for x in policy)


def test_openstack_owned_bridge_domain_and_profile_are_marked():
    t = topo(bridge_domains=[bd("os", 7000, "unicast-only", owner="openstack")],
             port_profiles=[profile("os-pp", bridge_domain="os", owner="openstack")])
    text = text_of(t)
    for first in ("bridge-domain os", "port-profile type vethernet os-pp"):
        assert block(text, first)[0].startswith("! owned by OpenStack")


def test_segmentation_off_disables_the_feature_and_keeps_bridge_domains_inert():
    t = topo(vsm=Vsm(segmentation=False),
             bridge_domains=[bd("tenant-a", 5000, group="239.1.1.1")],
             port_profiles=[profile("tenant-a", bridge_domain="tenant-a")])
    text = text_of(t)
    lines = text.splitlines()
    assert "no feature segmentation" in lines and "feature segmentation" not in lines
    assert "bridge-domain tenant-a" not in lines
    assert "! bridge-domain tenant-a" in lines
    assert "  switchport access bridge-domain tenant-a" not in lines


def test_vem_vteps_with_gateway_and_designated_segments():
    t = topo(bridge_domains=[bd("bd-even", 6000, "unicast-only"),
                             bd("bd-odd", 6001, "unicast-only")],
             port_profiles=[profile("pe", bridge_domain="bd-even"),
                            profile("po", bridge_domain="bd-odd")],
             hosts=[vem("kvm2", vtep("vtep0", "10.0.1.12/24", "10.0.1.1"),
                        vtep("vtep1", "10.0.2.12/25"), uplink_mtu=1600)],
             vms=[vm("x", "kvm2", veth("eth0", "52:54:00:00:00:01", port_profile="pe"),
                     veth("eth1", "52:54:00:00:00:02", port_profile="po"))])
    text = text_of(t)
    vem_lines = block(text, "! VEM kvm2: 2 VTEPs; uplinks use port profile fc-uplink-mtu1600")
    assert vem_lines[1:] == [
        "! VTEP vtep0 10.0.1.12/24, designated VTEP of bd-even",
        "!   in its vEthernet interface: transport ip address external netmask 255.255.255.0 "
        "gateway 10.0.1.1",
        "! VTEP vtep1 10.0.2.12/25, designated VTEP of bd-odd",
        "!   no gateway and no proxy ARP: reaches VTEPs of its own subnet only",
    ]
    assert "  mtu 1600" in block(text, "port-profile type ethernet fc-uplink-mtu1600")
    assert "  capability vxlan" in block(text, "port-profile type vethernet fc-vtep")


def test_output_is_deterministic():
    t = openstack_topo()
    assert text_of(t) == text_of(t.model_copy(deep=True))


def test_render_object_selected_objects():
    t = openstack_topo()
    t.add("port_profiles", profile("db", vlans=[200]))
    assert nxos.render_object(t, "port_profiles[0]").splitlines()[0] == \
        "port-profile type vethernet db"
    assert nxos.render_object(t, "bridge_domains[0]") == (
        "bridge-domain os-bd\n  segment id 6000\n  segment mode unicast-only\n")
    assert nxos.render_object(t, "hosts[0]").startswith("! VEM kvm9: 1 VTEP\n")
    assert "gold_red" in nxos.render_object(t, "dynamic_profiles[1]")
    # what render_object shows is exactly what the export holds
    assert nxos.render_object(t, "policy_profiles[0]") in text_of(t)


@pytest.mark.parametrize("path", ["port_profiles[5]", "vms[0]", "nonsense", "dynamic_profiles[9]"])
def test_render_object_refuses_unknown_paths(path):
    with pytest.raises(ValueError):
        nxos.render_object(openstack_topo(), path)
