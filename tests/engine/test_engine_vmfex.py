"""Hand-computed VM-FEX scenarios: FI switching, hairpin, VLANs, policing, MAC forging."""

from __future__ import annotations

HEAD = """\
format: fabric-console/1
clusters: [{name: default}]
fabric_interconnects: [{name: fi-a}]
port_profiles:
  - {name: web, clients: [default], vlans: [100]}
  - {name: db, clients: [default], vlans: [200]}
  - {name: slow, clients: [default], vlans: [100], qos: {rate_mbps: 1, burst_kb: 1}}
  - {name: strict, clients: [default], vlans: [100], mac_forging: deny}
hosts:
  - {name: k1, vic: {model: VIC-1280, pfs: [{name: eth2, vfs: 16}]}}
  - {name: k2, vic: {model: VIC-1280, pfs: [{name: eth2, vfs: 16}]}}
"""


def vm(name: str, host: str, mac: int, profile: str) -> str:
    return (f"  - {{name: {name}, host: {host}, nics: [{{name: eth0, "
            f"mac: '52:54:00:00:01:{mac:02x}', port_profile: {profile}, "
            "attach: macvtap-passthrough}]}\n")


def topo(vms: str, traffic: str) -> str:
    return HEAD + "vms:\n" + vms + "traffic:\n" + traffic


def test_same_host_traffic_hairpins_through_the_fi(fabric):
    f = fabric(topo(vm("a", "k1", 1, "web") + vm("b", "k1", 2, "web") + vm("c", "k2", 3, "web"),
                    "  - {from: a/eth0, to: b/eth0, count: 1}\n"     # unknown: flooded
                    "  - {from: b/eth0, to: a/eth0, count: 1}\n"     # known: switched
                    "  - {from: c/eth0, to: a/eth0, count: 1}\n"))   # other host: no hairpin
    f.run_until(1)
    s = f.sample()
    fi = s.fabric_interconnects["fi-a"]
    assert (fi.switched_frames, fi.flooded_frames, fi.hairpin_frames) == (3, 1, 2)
    assert s.vifs["a/eth0"].rx_packets == 2
    assert s.vifs["b/eth0"].rx_packets == 1
    assert s.vifs["c/eth0"].rx_packets == 1  # the flood of the first frame


def test_vlans_are_isolated(fabric):
    f = fabric(topo(vm("a", "k1", 1, "web") + vm("b", "k2", 2, "db") + vm("c", "k2", 3, "web"),
                    "  - {from: a/eth0, to: broadcast, count: 5}\n"
                    "  - {from: a/eth0, to: b/eth0, count: 5}\n"))
    f.run_until(1)
    s = f.sample()
    assert s.vifs["b/eth0"].rx_packets == 0
    assert s.vifs["c/eth0"].rx_packets == 10  # broadcasts and the unknown unicast floods


def test_rate_limit_drops_what_exceeds_the_token_bucket(fabric):
    # 1 Mbit/s = 125 bytes per tick, burst 1024 bytes, 1000-byte frames every tick:
    # one frame passes every 8 ticks (1024 -> 24, refilled to the cap after 8 ticks)
    f = fabric(topo(vm("a", "k1", 1, "slow") + vm("b", "k2", 2, "web"),
                    "  - {from: a/eth0, to: b/eth0, pps: 1000, size: 986}\n"))
    f.run_until(1)
    s = f.sample()
    assert s.vifs["a/eth0"].tx_packets == 125
    assert s.vifs["a/eth0"].tx_drops == 875
    assert s.vifs["a/eth0"].tx_bytes == 125 * 1000
    assert s.vifs["b/eth0"].rx_packets == 125


def test_mac_forging_deny_drops_forged_frames(fabric):
    f = fabric(topo(vm("a", "k1", 1, "strict") + vm("b", "k2", 2, "web") + vm("c", "k2", 3, "web"),
                    "  - {from: a/eth0, to: broadcast, count: 4, src_mac: 'de:ad:be:ef:00:01'}\n"
                    "  - {from: a/eth0, to: broadcast, count: 3}\n"
                    "  - {from: b/eth0, to: broadcast, count: 2, src_mac: 'de:ad:be:ef:00:02'}\n"))
    f.run_until(1)
    s = f.sample()
    assert (s.vifs["a/eth0"].tx_drops, s.vifs["a/eth0"].tx_packets) == (4, 3)
    assert (s.vifs["b/eth0"].tx_drops, s.vifs["b/eth0"].tx_packets) == (0, 2)  # allow
    assert s.vifs["c/eth0"].rx_packets == 5


def test_vmfex_vif_and_vem_veth_in_one_vlan_cross_the_fi(fabric):
    text = HEAD + """\
  - {name: v1, switching: vem, vteps: [{name: t0, ip: 10.0.0.1/24}]}
vms:
""" + vm("a", "k1", 1, "web") + """\
  - {name: e, host: v1, nics: [{name: eth0, mac: '52:54:00:00:02:01', port_profile: web}]}
  - {name: g, host: v1, nics: [{name: eth0, mac: '52:54:00:00:02:02', port_profile: web}]}
traffic:
  - {from: e/eth0, to: a/eth0, count: 1}
  - {from: a/eth0, to: e/eth0, count: 1}
  - {from: e/eth0, to: g/eth0, count: 1}
"""
    f = fabric(text)
    f.run_until(1)
    s = f.sample()
    # e -> a: unknown at the VEM, flooded to g and up to the FI, which floods to a
    # a -> e: known at the FI (learned from the uplink), then known at the VEM
    # e -> g: unknown at the VEM (g never sent): flooded locally and up again
    assert s.vifs["a/eth0"].rx_packets == 2
    assert s.vifs["e/eth0"].rx_packets == 1
    assert s.vifs["g/eth0"].rx_packets == 2
    fi = s.fabric_interconnects["fi-a"]
    assert (fi.switched_frames, fi.flooded_frames, fi.hairpin_frames) == (3, 2, 0)
