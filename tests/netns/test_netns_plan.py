"""The kernel lab's pure parts, which need neither root nor pyroute2: the plan a topology
becomes, the frames flows become, the netlink message of the MAC filter, and which
namespaces a crash clean-up may remove."""

from __future__ import annotations

import struct
import subprocess
import sys
from ipaddress import IPv4Address
from pathlib import Path

from netns_scenarios import overlay, vmfex

from console.backends.netns import state as lab_state
from console.backends.netns.frames import build_frame, ipv4_checksum
from console.backends.netns.plan import plan_lab
from console.backends.netns.tcfilter import u32_src_mac_message
from console.models import topofile
from console.models.overlay import FloodMode
from console.models.traffic import TrafficFlow

DESIGN_EXAMPLE = Path(__file__).resolve().parents[2] / "tests" / "data" / "design_example.yaml"


def test_netns_plan_of_the_design_example() -> None:
    plan = plan_lab(topofile.load(DESIGN_EXAMPLE))
    assert plan.vem_uplinks["kvm2"].mtu == 1600
    assert plan.router is None  # one VTEP subnet: nothing to route
    web1 = plan.vifs["web1/eth0"]
    assert (web1.switch_role, web1.bridge, web1.rate_mbps, web1.forging_deny) == \
        ("fi-fi-a", "vl100", 1000.0, True)
    app2 = plan.vifs["app2/eth0"]  # OpenStack port: its dynamic profile's policy
    assert (app2.bridge, app2.rate_mbps, app2.forging_deny) == ("bd5001", 500.0, True)
    seg = plan.segments[("kvm2", "tenant-a")]
    assert seg.group == IPv4Address("239.1.1.1") and seg.local == IPv4Address("10.0.1.12")
    assert plan.flood_remotes[("kvm2", "tenant-b")] == ()


def test_netns_plan_replication_follows_designated_vteps_and_members() -> None:
    topo = overlay("unicast-only", vtep_ips=("10.0.1.11/24", "10.0.2.12/24", "10.0.3.13/24"),
                   gateways=("10.0.1.1", None, None), proxy_arp=True)
    plan = plan_lab(topo)
    assert plan.flood_remotes[("kvm1", "blue")] == (IPv4Address("10.0.2.12"),
                                                    IPv4Address("10.0.3.13"))
    assert plan.router is not None and plan.router.proxy_arp
    assert [str(a) for a in plan.router.addresses] == ["10.0.1.1/24"]
    assert plan.vem_uplinks["kvm2"].onlink_default  # proxy ARP: ARP for everything
    assert not plan.vem_uplinks["kvm1"].onlink_default  # has a gateway
    topo.vms = [vm for vm in topo.vms if vm.name != "c"]
    plan = plan_lab(topo)
    assert ("kvm3", "blue") not in plan.segments  # no member VM: no device, no copies
    assert plan.flood_remotes[("kvm1", "blue")] == (IPv4Address("10.0.2.12"),)


def test_netns_plan_multicast_needs_an_underlay_that_carries_it() -> None:
    assert plan_lab(overlay("multicast")).segments[("kvm1", "blue")].group is not None
    seg = plan_lab(overlay("multicast", underlay_multicast=False)).segments[("kvm1", "blue")]
    assert seg.mode is FloodMode.MULTICAST and seg.group is None


def test_netns_frames_are_valid_ipv4() -> None:
    topo = vmfex()
    index = topo.index()
    flow = TrafficFlow.model_validate({"from": "web1/eth0", "to": "web2/eth0", "count": 1,
                                       "size": 700, "ip": True, "df": True})
    frame = build_frame(flow, index)
    assert len(frame) == 700 + 14
    assert frame[:6] == bytes.fromhex("525400000102") and frame[12:14] == b"\x08\x00"
    header = frame[14:34]
    assert ipv4_checksum(header) == 0  # a valid checksum sums to 0xffff
    total, _, flags = struct.unpack("!HHH", header[2:8])
    assert total == 700 and flags & 0x4000
    bcast = build_frame(TrafficFlow.model_validate(
        {"from": "web1/eth0", "to": "broadcast", "count": 1, "size": 64}), index)
    assert len(bcast) == 78 and bcast[:6] == b"\xff" * 6 and bcast[12:14] == b"\x88\xb5"


def test_netns_u32_message_names_the_mac_at_negative_offsets() -> None:
    msg = u32_src_mac_message(7, 0x10000, 0x10010, "52:54:00:00:01:02")
    length, kind = struct.unpack_from("=IH", msg)
    assert length == len(msg) and kind == 44  # RTM_NEWTFILTER
    assert struct.unpack_from("=i", msg, 20)[0] == 7  # ifindex
    keys = msg[-32:]
    assert struct.unpack("!II", keys[:8]) == (0xFFFFFFFF, 0x52540000)
    assert struct.unpack("=i", keys[8:12])[0] == -8
    assert struct.unpack("!II", keys[16:24]) == (0xFFFF0000, 0x01020000)
    assert struct.unpack("=i", keys[24:28])[0] == -4


def test_netns_reaping_removes_only_dead_labs_own_namespaces(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(lab_state, "STATE_DIR", tmp_path)
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    dead = lab_state.LabState("aaaaaa", pid=int(finished.stdout), started="1",
                              namespaces=["fc-aaaaaa-underlay", "someone-else"])
    dead.save()
    alive = lab_state.LabState("bbbbbb", namespaces=["fc-bbbbbb-underlay"])
    alive.save()
    existing = ["fc-aaaaaa-underlay", "fc-aaaaaa-v-web1", "fc-bbbbbb-underlay",
                "someone-else", "fc-user-own", "fc-aaaaab-x"]
    removed: list[str] = []
    reaped = lab_state.reap_stale(lambda: list(existing), removed.append)
    assert sorted(reaped) == sorted(removed) == ["fc-aaaaaa-underlay", "fc-aaaaaa-v-web1"]
    assert not dead.path.exists() and alive.path.exists()


def test_netns_plan_keeps_a_plain_hosts_vms_off_the_fabric() -> None:
    """A plain host (its own bridge, not VM-FEX, not a VEM) has no VIF on the FI: before,
    a file with only plain hosts crashed the plan (no FI to pick) and one with an FI
    wired the plain VM onto the fabric, unlike the emulated fabric."""
    text = """
format: fabric-console/1
name: plain
clusters: [{name: default}]
hosts: [{name: h1, cluster: default, switching: plain}]
vms:
  - {name: vm1, host: h1, nics: [{name: eth0, mac: "52:54:00:00:09:01", port_profile: lv-default,
     attach: veth}]}
"""
    plan = plan_lab(topofile.loads(text))
    assert "vm1/eth0" in plan.idle_vifs and "vm1/eth0" not in plan.vifs
