"""Hand-computed VXLAN scenarios: flooding, learning, MTU, reachability, aging."""

from __future__ import annotations


def vems(n: int, *, mode: str = "unicast-only", underlay: str = "{}", hosts_extra: str = "",
         traffic: str = "", vsm: str = "{}", subnets: list[str] | None = None,
         gateways: bool = False, vms_extra: str = "") -> str:
    """n VEM hosts, one VM each in bridge domain bd (segment 5000), VTEPs 10.0.0.i/24."""
    hosts, vms = [], []
    for i in range(n):
        net = subnets[i] if subnets else "10.0.0"
        gw = f", gateway: {net}.254" if gateways else ""
        hosts.append(f"  - {{name: h{i}, switching: vem, vteps: [{{name: v0, ip: {net}.{i + 1}/24"
                     f"{gw}}}]}}")
        vms.append(f"  - {{name: vm{i}, host: h{i}, nics: [{{name: eth0, "
                   f"mac: '52:54:00:00:00:{i:02x}', port_profile: bd, attach: veth}}]}}")
    return (f"format: fabric-console/1\nunderlay: {underlay}\nvsm: {vsm}\n"
            f"clusters: [{{name: default}}]\n"
            f"bridge_domains: [{{name: bd, segment_id: 5000, mode: {mode}, group: 239.1.1.1}}]\n"
            f"port_profiles: [{{name: bd, clients: [default], bridge_domain: bd}}]\n"
            "hosts:\n" + "\n".join(hosts) + "\n" + hosts_extra +
            "vms:\n" + "\n".join(vms) + "\n" + vms_extra +
            "traffic:\n" + (traffic or "  []\n"))


def test_unicast_only_flood_gives_one_copy_per_other_member(fabric):
    f = fabric(vems(4, traffic="  - {from: vm0/eth0, to: broadcast, count: 1}\n"))
    f.run_until(1)
    s = f.sample()
    assert s.bridge_domains["bd"].flood_frames == 1
    assert s.bridge_domains["bd"].flood_copies == 3
    assert s.bridge_domains["bd"].igmp_joins == 0
    assert s.vems["h0"].flood_copies_sent == 3
    assert s.vems["h0"].encap_packets == 3
    assert [s.vems[f"h{i}"].decap_packets for i in range(4)] == [0, 1, 1, 1]
    assert [s.vifs[f"vm{i}/eth0"].rx_packets for i in range(4)] == [0, 1, 1, 1]
    assert s.vifs["vm1/eth0"].rx_bytes == 64 + 14
    # each receiver learned vm0's MAC behind h0's VTEP
    assert s.bridge_domains["bd"].learned_macs == 3
    entries = [e for e in f.l2_table("bd") if not e.local]
    assert {(e.vem, e.mac, e.vtep_ip) for e in entries} == {
        (f"h{i}", "52:54:00:00:00:00", "10.0.0.1") for i in (1, 2, 3)}


def test_multicast_flood_is_one_copy_and_one_join_per_member(fabric):
    f = fabric(vems(5, mode="multicast", traffic="  - {from: vm2/eth0, to: broadcast, count: 1}\n"))
    f.run_until(1)
    s = f.sample()
    bd = s.bridge_domains["bd"]
    assert (bd.flood_frames, bd.flood_copies, bd.igmp_joins, bd.igmp_leaves) == (1, 1, 5, 0)
    assert s.vems["h2"].flood_copies_sent == 1
    assert [s.vems[f"h{i}"].decap_packets for i in range(5)] == [1, 1, 0, 1, 1]
    assert s.vifs["vm2/eth0"].rx_packets == 0  # nothing back to the sender


def test_multicast_needs_an_underlay_with_multicast(fabric):
    f = fabric(vems(3, mode="multicast", underlay="{multicast: false}",
                    traffic="  - {from: vm0/eth0, to: broadcast, count: 2}\n"))
    f.run_until(1)
    s = f.sample()
    assert s.bridge_domains["bd"].flood_copies == 0
    assert s.vems["h0"].unreachable_drops == 2
    assert s.vifs["vm1/eth0"].rx_packets == 0


def test_df_oversize_dropped_and_equal_passes(fabric):
    traffic = ("  - {from: vm0/eth0, to: broadcast, count: 1, size: 1550, ip: true, df: true}\n"
               "  - {from: vm0/eth0, to: broadcast, count: 1, size: 1551, ip: true, df: true}\n")
    f = fabric(vems(2, underlay="{mtu: 1600}", traffic=traffic))
    f.run_until(1)
    s = f.sample()
    assert s.vems["h0"].flood_copies_sent == 1  # 1550 + 50 == 1600 passes
    assert s.vems["h0"].mtu_drops == 1
    assert s.vems["h0"].pmtu_notifications == 1
    assert s.vifs["vm1/eth0"].rx_packets == 1


def test_path_mtu_is_the_smallest_uplink(fabric):
    traffic = "  - {from: vm0/eth0, to: broadcast, count: 1, size: 1500, ip: true, df: true}\n"
    text = vems(2, underlay="{mtu: 9000}", traffic=traffic).replace(
        "{name: h1, switching: vem,", "{name: h1, switching: vem, uplink_mtu: 1549,")
    f = fabric(text)
    f.run_until(1)
    s = f.sample()
    assert (s.vems["h0"].mtu_drops, s.vems["h0"].pmtu_notifications) == (1, 1)


def test_oversize_without_df_is_fragmented_and_non_ip_dropped(fabric):
    traffic = ("  - {from: vm0/eth0, to: broadcast, count: 1, size: 1551, ip: true}\n"
               "  - {from: vm0/eth0, to: broadcast, count: 1, size: 1551}\n")
    f = fabric(vems(2, underlay="{mtu: 1600}", traffic=traffic))
    f.run_until(1)
    s = f.sample()
    # fragment data (1600 - 50 - 20) // 8 * 8 = 1528 bytes: 1531 bytes of payload -> 2
    assert s.vems["h0"].fragments == 2
    assert s.vems["h0"].mtu_drops == 1  # the non-IP frame
    assert s.vems["h0"].pmtu_notifications == 0
    assert s.vifs["vm1/eth0"].rx_packets == 1


def test_unreachable_vteps_dropped_and_counted(fabric):
    traffic = "  - {from: vm0/eth0, to: broadcast, count: 1}\n"
    f = fabric(vems(3, subnets=["10.0.0", "10.0.0", "10.9.9"], traffic=traffic))
    f.run_until(1)
    s = f.sample()
    assert s.vems["h0"].unreachable_drops == 1
    assert s.bridge_domains["bd"].flood_copies == 1
    assert s.vifs["vm2/eth0"].rx_packets == 0


def test_proxy_arp_or_gateway_reaches_other_subnets(fabric):
    traffic = "  - {from: vm0/eth0, to: broadcast, count: 1}\n"
    nets = ["10.0.0", "10.0.0", "10.9.9"]
    for variant in (vems(3, subnets=nets, underlay="{proxy_arp: true}", traffic=traffic),
                    vems(3, subnets=nets, gateways=True, traffic=traffic)):
        f = fabric(variant)
        f.run_until(1)
        s = f.sample()
        assert s.vems["h0"].unreachable_drops == 0
        assert s.bridge_domains["bd"].flood_copies == 2
        assert s.vifs["vm2/eth0"].rx_packets == 1


def test_learning_then_known_unicast(fabric):
    traffic = ("  - {from: vm0/eth0, to: vm1/eth0, count: 1}\n"   # unknown: flooded
               "  - {from: vm1/eth0, to: vm0/eth0, count: 1}\n"   # h1 learned vm0 -> unicast
               "  - {from: vm0/eth0, to: vm1/eth0, count: 1}\n")  # h0 learned vm1 -> unicast
    f = fabric(vems(3, traffic=traffic))
    f.run_until(1)
    s = f.sample()
    assert s.bridge_domains["bd"].flood_frames == 1
    assert s.bridge_domains["bd"].flood_copies == 2
    assert s.vems["h1"].encap_packets == 1
    assert s.vems["h0"].encap_packets == 2 + 1
    assert s.vifs["vm1/eth0"].rx_packets == 2
    assert s.vifs["vm0/eth0"].rx_packets == 1
    assert s.vifs["vm2/eth0"].rx_packets == 1  # only the first, flooded, frame


def test_mac_entries_age_out(fabric):
    traffic = ("  - {from: vm0/eth0, to: broadcast, count: 1}\n"
               "  - {from: vm1/eth0, to: vm0/eth0, count: 1, start_s: 0.5}\n"
               "  - {from: vm1/eth0, to: vm0/eth0, count: 1, start_s: 2.5}\n")
    f = fabric(vems(3, vsm="{mac_aging_s: 2}", traffic=traffic))
    f.run_until(1)
    s = f.sample()
    assert s.bridge_domains["bd"].flood_frames == 1
    assert s.vems["h1"].encap_packets == 1  # known unicast at 0.5 s
    assert s.bridge_domains["bd"].learned_macs == 3  # h1, h2 learned vm0; h0 learned vm1
    f.run_until(3)
    s = f.sample()
    # vm0's entry on h1 aged out at 2.0 s: the frame at 2.5 s is flooded again
    assert s.bridge_domains["bd"].flood_frames == 2
    assert s.vems["h1"].flood_copies_sent == 2
    f.run_until(10)
    s = f.sample()
    assert s.bridge_domains["bd"].learned_macs == 0
    assert all(v.l2_entries == 0 for v in s.vems.values())


def test_same_seed_same_counters(plane):
    from console.engine.facade import Fabric
    from console.models.topofile import loads

    text = vems(4, traffic="  - {from: vm0/eth0, to: vm1/eth0, pps: 333}\n"
                           "  - {from: vm1/eth0, to: broadcast, pps: 77}\n"
                           "  - {from: vm2/eth0, to: vm0/eth0, pps: 1234}\n")
    runs = []
    for _ in range(2):
        f = Fabric(loads(text), seed=7, plane=plane)
        f.run_until(2.5)
        runs.append(f.sample().to_json())
    assert runs[0] == runs[1]
    assert runs[0]["vifs"]["vm0/eth0"]["tx_packets"] in (832, 833)
