"""UCS Manager CLI export of VM-FEX port profiles: exact lines for each setting."""

from __future__ import annotations

import pytest
from export_helpers import bd, openstack_topo, profile, topo

from console.export import ucsm
from console.models import Cluster, Qos


def text_of(t) -> str:
    files = ucsm.render(t)
    assert list(files) == [ucsm.FILE_NAME]
    return files[ucsm.FILE_NAME]


def profile_block(text: str, name: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(f"      create port-profile {name}")
    end = lines.index("top", start)
    return lines[start - 3:end + 1]


def test_port_profile_with_vlans_native_vlan_qos_forging_and_clients():
    t = topo(clusters=[Cluster(name="default"), Cluster(name="lab")],
             port_profiles=[profile("web", clients=["default", "lab"], vlans=[100, 101],
                                    native_vlan=100, max_ports=64, host_io="high-performance",
                                    qos=Qos(rate_mbps=1000), mac_forging="deny",
                                    description='front "end"')])
    assert profile_block(text_of(t), "web") == [
        "scope system",
        "  scope vm-mgmt",
        "    scope profile-set",
        "      create port-profile web",
        '        set descr "front end"',
        "        set host-nwio-perf high-perf",
        "        set max-ports 64",
        "        set qos-policy fc-qos-1",
        "        set nw-ctrl-policy fc-forge-deny",
        "        create vlan vlan100",
        "          set default-net yes",
        "          exit",
        "        create vlan vlan101",
        "          exit",
        "        create client default",
        "          set cluster default",
        "          exit",
        "        create client lab",
        "          set cluster lab",
        "          exit",
        "        exit",
        "      commit-buffer",
        "top",
    ]


def test_defaults_host_io_none_and_forging_allowed():
    text = text_of(topo(port_profiles=[profile("plain", clients=["default"], vlans=[5])]))
    block = profile_block(text, "plain")
    assert "        set host-nwio-perf none" in block
    assert "        set nw-ctrl-policy fc-forge-allow" in block
    assert not any("qos-policy" in line or "max-ports" in line or "default-net" in line
                   for line in block)


def test_qos_and_network_control_policies_are_created_under_org_root():
    t = topo(port_profiles=[profile("a", vlans=[10], qos=Qos(rate_mbps=1000), mac_forging="deny"),
                            profile("b", vlans=[10], qos=Qos(rate_mbps=1000)),
                            profile("c", vlans=[10], qos=Qos(rate_mbps=0.5, burst_kb=8))])
    lines = text_of(t).splitlines()
    start = lines.index("scope org /")
    policies = lines[start:lines.index("top", start) + 1]
    assert policies == [
        "scope org /",
        "  create qos-policy fc-qos-1",
        "    ! rate limit 1000 Mbps, burst 64 KB (set rate takes kbps, burst bytes)",
        "    create egress-policy",
        "      set rate 1000000 burst 65536",
        "      exit",
        "    exit",
        "  create qos-policy fc-qos-2",
        "    ! rate limit 0.5 Mbps, burst 8 KB (set rate takes kbps, burst bytes)",
        "    create egress-policy",
        "      set rate 500 burst 8192",
        "      exit",
        "    exit",
        "  create nw-ctrl-policy fc-forge-allow",
        "    create mac-security",
        "      set forged-transmit allow",
        "      exit",
        "    exit",
        "  create nw-ctrl-policy fc-forge-deny",
        "    create mac-security",
        "      set forged-transmit deny",
        "      exit",
        "    exit",
        "  commit-buffer",
        "top",
    ]


def test_named_vlans_are_created_once_in_the_lan_cloud():
    t = topo(port_profiles=[profile("a", vlans=[300, 200]), profile("b", vlans=[200])])
    lines = text_of(t).splitlines()
    start = lines.index("scope eth-uplink")
    assert lines[start:lines.index("top", start) + 1] == [
        "scope eth-uplink",
        "  create vlan vlan200 200",
        "  exit",
        "  create vlan vlan300 300",
        "  exit",
        "  commit-buffer",
        "top",
    ]


def test_openstack_objects_and_vxlan_profiles_are_not_exported():
    t = openstack_topo()
    t.add("bridge_domains", bd("tenant-a", 5000, group="239.1.1.1"))
    t.add("port_profiles", profile("vx", bridge_domain="tenant-a"))
    t.add("port_profiles", profile("os-pp", vlans=[9], owner="openstack"))
    text = text_of(t)
    assert "create port-profile" not in text
    assert "! OpenStack-owned objects are not exported to UCS Manager (OpenStack owns them):" \
        in text.splitlines()
    assert "!   os-pp, gold_blue, gold_red" in text.splitlines()
    assert ("! port profile vx: VXLAN (bridge domain tenant-a), Nexus 1000V only, not exported "
            "to UCS Manager") in text.splitlines()
    assert "scope eth-uplink" not in text  # no exported profile, so no VLAN to name


def test_profile_without_client_says_no_vm_can_use_it():
    block = profile_block(text_of(topo(port_profiles=[profile("lonely", vlans=[7])])), "lonely")
    assert "        ! no client: applied to no cluster, so no VM can use it yet" in block


def test_render_object_selected_objects():
    t = openstack_topo()
    t.add("port_profiles", profile("web", clients=["default"], vlans=[100]))
    one = ucsm.render_object(t, "port_profiles[0]")
    assert one.splitlines()[3] == "      create port-profile web"
    assert one in text_of(t)
    assert "nothing to configure in UCS Manager" in ucsm.render_object(t, "hosts[0]")
    assert "Nexus 1000V" in ucsm.render_object(t, "bridge_domains[0]")
    with pytest.raises(ValueError):
        ucsm.render_object(t, "port_profiles[3]")
