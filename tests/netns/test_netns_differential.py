"""Differential check: the kernel lab and the emulated engine run the same scenario and must
agree on every counter both can show. Where they cannot agree, the scenario says why, and
that part is an expected failure (strict: if they start agreeing, the reason is stale)."""

from __future__ import annotations

import pytest
from netns_harness import Scenario, compare, run_engine, run_lab
from netns_scenarios import overlay, vmfex

from console.models.changes import NicAttach, NicDetach
from console.models.inventory import Vnic

pytest.importorskip("console.engine.facade", reason="the emulated engine is not built yet")

A_B = [{"from": "a/eth0", "to": "broadcast", "count": 5},
       {"from": "b/eth0", "to": "a/eth0", "count": 3, "size": 200},
       {"from": "a/eth0", "to": "b/eth0", "count": 4, "ip": True}]
LEARN = [{"from": "a/eth0", "to": "b/eth0", "count": 3},  # unknown: flooded to b and c
         {"from": "b/eth0", "to": "a/eth0", "count": 2},  # kvm2 learned a: unicast
         {"from": "a/eth0", "to": "b/eth0", "count": 4}]  # kvm1 learned b: c sees none
SUBNETS = ("10.0.1.11/24", "10.0.2.12/24", "10.0.3.13/24")
REACH = [{"from": "a/eth0", "to": "broadcast", "count": 5},
         {"from": "b/eth0", "to": "broadcast", "count": 2},
         {"from": "c/eth0", "to": "broadcast", "count": 3}]
C_NIC = Vnic(name="eth0", mac="52:54:00:00:00:03", port_profile="blue", attach="veth")

PMTU_LOOP = ("the kernel answers an oversized DF packet with an ICMP 'fragmentation needed' "
             "that it loops through the vxlan device (counted as encap and decap) back to "
             "the VM (counted as a delivery), and counts the dropped packet in no MIB")
NON_IP = ("vxlan 'df inherit' takes DF from an inner IPv4 header only, so the kernel "
          "fragments the outer packet of an oversized non-IP frame; Nexus 1000V drops it")


def scenarios() -> list[Scenario]:
    return [
        Scenario("flood-multicast", lambda: overlay("multicast", traffic=A_B)),
        Scenario("flood-unicast-only", lambda: overlay("unicast-only", traffic=A_B)),
        Scenario("learning-then-unicast", lambda: overlay("unicast-only", traffic=LEARN)),
        Scenario("learning-then-unicast-multicast", lambda: overlay("multicast",
                                                                    traffic=LEARN)),
        Scenario("igmp-membership", lambda: overlay("multicast", traffic=[
            {"from": "a/eth0", "to": "broadcast", "count": 2, "start_s": 0},
            {"from": "a/eth0", "to": "broadcast", "count": 3, "start_s": 2},
            {"from": "a/eth0", "to": "broadcast", "count": 4, "start_s": 4}]),
            changes=[(1.0, NicDetach("c", "eth0")), (3.0, NicAttach("c", C_NIC))]),
        Scenario("unicast-flood-list-follows-members", lambda: overlay("unicast-only", traffic=[
            {"from": "a/eth0", "to": "broadcast", "count": 2, "start_s": 0},
            {"from": "a/eth0", "to": "broadcast", "count": 3, "start_s": 2},
            {"from": "a/eth0", "to": "broadcast", "count": 4, "start_s": 4}]),
            changes=[(1.0, NicDetach("c", "eth0")), (3.0, NicAttach("c", C_NIC))]),
        Scenario("mtu-fits-and-fragments", lambda: overlay(
            "unicast-only", hosts=2, underlay_mtu=1500, traffic=[
                {"from": "b/eth0", "to": "a/eth0", "count": 1},
                {"from": "a/eth0", "to": "b/eth0", "count": 2, "size": 1450, "ip": True},
                {"from": "a/eth0", "to": "b/eth0", "count": 3, "size": 1500, "ip": True}])),
        Scenario("mtu-df-dropped", lambda: overlay(
            "unicast-only", hosts=2, underlay_mtu=1500, traffic=[
                {"from": "b/eth0", "to": "a/eth0", "count": 1},
                {"from": "a/eth0", "to": "b/eth0", "count": 4, "size": 1500, "ip": True,
                 "df": True}]),
            differs={"vifs.a/eth0.rx_*": PMTU_LOOP, "vems.kvm1.*_packets": PMTU_LOOP,
                     "vems.kvm1.mtu_drops": PMTU_LOOP}),
        Scenario("mtu-non-ip-oversized", lambda: overlay(
            "unicast-only", hosts=2, underlay_mtu=1500, traffic=[
                {"from": "b/eth0", "to": "a/eth0", "count": 1},
                {"from": "a/eth0", "to": "b/eth0", "count": 5, "size": 1500}]),
            differs={"vifs.b/eth0.rx_*": NON_IP, "vems.kvm1.*": NON_IP,
                     "vems.kvm2.decap_packets": NON_IP, "vems.kvm2.l2_entries": NON_IP,
                     "bridge_domains.blue.learned_macs": NON_IP}),
        Scenario("vtep-gateway-and-unreachable", lambda: overlay(
            "unicast-only", vtep_ips=SUBNETS, gateways=("10.0.1.1", "10.0.2.1", None),
            traffic=REACH)),
        # The transport is one L2 segment with IGMP snooping, so a group reaches VTEPs of
        # every subnet, as the engine's underlay (multicast: true) carries it.
        Scenario("multicast-between-subnets", lambda: overlay(
            "multicast", vtep_ips=SUBNETS, gateways=("10.0.1.1", "10.0.2.1", "10.0.3.1"),
            traffic=REACH)),
        Scenario("multicast-segment-without-underlay-multicast", lambda: overlay(
            "multicast", underlay_multicast=False, traffic=A_B)),
        Scenario("vtep-proxy-arp", lambda: overlay(
            "unicast-only", vtep_ips=SUBNETS, proxy_arp=True, traffic=REACH)),
        Scenario("vmfex-hairpin", lambda: vmfex(traffic=[
            {"from": "web1/eth0", "to": "broadcast", "count": 5},
            {"from": "web2/eth0", "to": "web1/eth0", "count": 3},
            {"from": "web1/eth0", "to": "web2/eth0", "count": 2},
            {"from": "web3/eth0", "to": "web1/eth0", "count": 2}])),
        Scenario("vmfex-vlan-isolation", lambda: vmfex(traffic=[
            {"from": "db1/eth0", "to": "broadcast", "count": 4},
            {"from": "web1/eth0", "to": "broadcast", "count": 2},
            {"from": "db1/eth0", "to": "web1/eth0", "count": 3}])),
        Scenario("vmfex-mac-forging-deny", lambda: vmfex(forging="deny", traffic=[
            {"from": "web1/eth0", "to": "broadcast", "count": 3,
             "src_mac": "52:54:00:99:99:99"},
            {"from": "web1/eth0", "to": "broadcast", "count": 2},
            {"from": "web1/eth0", "to": "web2/eth0", "count": 2, "ip": True,
             "src_mac": "52:54:00:99:99:98"}])),
    ]


CASES = {s.name: s for s in scenarios()}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """Each scenario run once on both sides; tests below look at the parts."""
    return {}


def _run(name: str, results: dict, tmp_path_factory, need) -> tuple[dict, dict]:
    from netns_support import settle

    if name not in results:
        scenario = CASES[name]
        tmp = tmp_path_factory.mktemp(name)
        results[name] = (run_lab(scenario, tmp, settle), run_engine(scenario))
    return results[name]


@pytest.mark.parametrize("name", list(CASES))
def test_netns_lab_agrees_with_engine(name, results, tmp_path_factory, need_lab) -> None:
    lab, engine = _run(name, results, tmp_path_factory, need_lab)
    bad, _ = compare(lab, engine, CASES[name].differs)
    assert not bad, f"{name}: the lab and the engine disagree:\n" + "\n".join(bad)
    assert any(v["tx_packets"] for v in lab["vifs"].values()), "no frame was sent"


EXPLAINED = [(s.name, reason) for s in scenarios() for reason in sorted(set(s.differs.values()))]


@pytest.mark.parametrize("name,reason", [
    pytest.param(n, r, marks=pytest.mark.xfail(reason=r, strict=True)) for n, r in EXPLAINED])
def test_netns_known_differences(name, reason, results, tmp_path_factory, need_lab) -> None:
    """Fails (expectedly) while the lab and engine differ for the stated reason."""
    lab, engine = _run(name, results, tmp_path_factory, need_lab)
    patterns = {p: r for p, r in CASES[name].differs.items() if r == reason}
    _, explained = compare(lab, engine, patterns)
    assert not explained, "\n".join(explained)


QOS_CLOCK = ("policing depends on time: the engine's token bucket runs on simulated time, "
             "the kernel's tbf on the wall clock, so how many frames of a burst pass differs")
def _qos(results, tmp_path_factory, need_lab) -> tuple[dict, dict]:
    CASES["qos"] = Scenario("qos", lambda: vmfex(qos_mbps=1, traffic=[
        {"from": "web1/eth0", "to": "broadcast", "count": 200, "size": 1000}]))
    return _run("qos", results, tmp_path_factory, need_lab)


def test_netns_qos_policer_drops_past_the_burst(results, tmp_path_factory, need_lab) -> None:
    """What holds on any clock: every frame is passed or dropped, the burst (16 KB, 16
    frames of 1014 bytes) passes, a 200-frame burst at 1 Mb/s mostly does not."""
    lab, engine = _qos(results, tmp_path_factory, need_lab)
    web1 = lab["vifs"]["web1/eth0"]
    assert web1["tx_packets"] + web1["tx_drops"] == 200
    assert 16 <= web1["tx_packets"] < 100
    assert lab["vifs"]["web2/eth0"]["rx_packets"] == web1["tx_packets"]


@pytest.mark.xfail(reason=QOS_CLOCK, strict=False)
def test_netns_qos_policing_exact(results, tmp_path_factory, need_lab) -> None:
    lab, engine = _qos(results, tmp_path_factory, need_lab)
    bad, _ = compare(lab, engine, {})
    assert not bad, "\n".join(bad)


def test_netns_mac_forging_enforced(results, tmp_path_factory, need_lab) -> None:
    """Forged frames never reach another VM, and the VIF counts them as tx_drops."""
    lab, engine = _run("vmfex-mac-forging-deny", results, tmp_path_factory, need_lab)
    assert lab["vifs"]["web1/eth0"]["tx_drops"] == 5
    for vif in ("web2/eth0", "web3/eth0"):
        assert lab["vifs"][vif]["rx_packets"] == engine["vifs"][vif]["rx_packets"] == 2
