"""Trace on hand-computed scenarios: exact verdicts, reasons and numbers.

Each scenario says in a comment what the fabric must do and why (DESIGN.md's rules, the
traffic model's ticks), and the test checks the trace says exactly that.
"""

from __future__ import annotations

import pytest

from console.engine.trace import TraceError, trace

# Three VEMs in one unicast-only bridge domain. vem2's VTEP is in another subnet with no
# gateway and the underlay has no proxy ARP: nothing reaches it. vem2's uplink is 1500.
# vem4's only VM is shut off, so vem4 is no member of blue. MAC aging is 1 s; c sends one
# frame at tick 0 (a count flow), so every VEM it reaches learns c at tick 0.
THREE = """
format: fabric-console/1
underlay: {mtu: 1600, multicast: false, proxy_arp: false}
vsm: {mac_aging_s: 1}
clusters: [{name: default}]
bridge_domains: [{name: blue, segment_id: 6000, mode: unicast-only}]
port_profiles: [{name: blue, clients: [default], bridge_domain: blue}]
hosts:
  - {name: vem1, switching: vem, uplink_mtu: 1600, vteps: [{name: t0, ip: 10.0.1.11/24}]}
  - {name: vem2, switching: vem, uplink_mtu: 1500, vteps: [{name: t0, ip: 10.0.2.12/24}]}
  - {name: vem3, switching: vem, vteps: [{name: t0, ip: 10.0.1.13/24}]}
  - {name: vem4, switching: vem, vteps: [{name: t0, ip: 10.0.1.14/24}]}
vms:
  - {name: a, host: vem1, nics: [{name: eth0, mac: "52:54:00:00:00:0a", port_profile: blue}]}
  - {name: b, host: vem2, nics: [{name: eth0, mac: "52:54:00:00:00:0b", port_profile: blue}]}
  - {name: c, host: vem3, nics: [{name: eth0, mac: "52:54:00:00:00:0c", port_profile: blue}]}
  - {name: d, host: vem4, state: shut-off,
     nics: [{name: eth0, mac: "52:54:00:00:00:0d", port_profile: blue}]}
traffic:
  - {from: c/eth0, to: a/eth0, count: 1}
"""


def kinds(tr, kind: str) -> list[str]:
    return [s.text for s in tr.steps if s.kind == kind]


# ------------------------------------------------------------------ MTU
# mtu-lab: two VEMs, uplinks 1600, transport 1600. Count flows: nas2 -> nas1 at tick 0,
# nas1 -> nas2 at tick 1 (10 frames a tick, one frame each), so at 0.01 s (tick 10) both
# VEMs know both MACs and nas1's frame to nas2 is known unicast straight to vem2's VTEP.
def test_mtu_at_equality_fits(topo):
    # 1550 + 50 = 1600 = the path MTU (min of 1600, 1600, 1600): carried, not fragmented
    tr = trace(topo("mtu-lab"), "nas1/eth0", "nas2/eth0", size=1550, ip=True, df=True,
               at=0.01)
    assert tr.delivered == ["nas2/eth0"] and tr.drops == [] and tr.reached
    (mtu,) = kinds(tr, "mtu")
    assert mtu.startswith("MTU: 1550 + 50 = 1600 = path MTU 1600 ")
    assert mtu.endswith("limited by transport): fits")
    assert kinds(tr, "encap") == ["known unicast: encapsulate in bridge domain storage "
                                  "(segment 7000) from VTEP vem1/vtep0 10.0.1.11 to VTEP "
                                  "vem2/vtep0 10.0.1.12 (vem2)"]


def test_mtu_one_byte_over_with_df_drops_with_pmtu_notice(topo):
    # 1551 + 50 = 1601 > 1600, DF set: dropped at the sending VEM, PMTU 1600 - 50 = 1550
    tr = trace(topo("mtu-lab"), "nas1/eth0", "nas2/eth0", size=1551, ip=True, df=True,
               at=0.01)
    assert tr.delivered == [] and not tr.reached
    assert [(d.where, d.reason) for d in tr.drops] == [("vem1", "mtu-df")]
    assert "1551 + 50 = 1601 > path MTU 1600" in tr.drops[0].text
    assert "PMTU notification to nas1/eth0 (MTU 1550)" in tr.drops[0].text


def test_mtu_one_byte_over_non_ip_and_fragments(topo):
    lab = topo("mtu-lab")
    tr = trace(lab, "nas1/eth0", "nas2/eth0", size=1551, at=0.01)
    assert [(d.where, d.reason) for d in tr.drops] == [("vem1", "mtu-non-ip")]
    # IP without DF: fragment data per = ((1600 - 50 - 20) // 8) * 8 = 1528 bytes;
    # 1551 - 20 = 1531 bytes of data -> 2 fragments; 8000 - 20 = 7980 -> ceil(5.22) = 6
    tr = trace(lab, "nas1/eth0", "nas2/eth0", size=1551, ip=True, at=0.01)
    assert tr.delivered == ["nas2/eth0"] and tr.drops == []
    assert kinds(tr, "mtu")[0].endswith("IP without DF, the VM sends 2 fragments")
    tr = trace(lab, "nas2/eth0", "nas1/eth0", size=8000, ip=True, at=0.01)
    assert kinds(tr, "mtu")[0].endswith("IP without DF, the VM sends 6 fragments")


def test_mtu_names_the_uplink_that_limits_it(topo):
    # With proxy ARP vem2 is reachable. a's broadcast: the copy to vem2 crosses vem1's
    # uplink (1600), the transport (1600) and vem2's uplink (1500); the copy to vem3 has
    # 1600 all along (vem3 names no uplink MTU: the transport's).
    t = topo(THREE.replace("proxy_arp: false", "proxy_arp: true"))
    tr = trace(t, "a/eth0", "broadcast", size=1451, ip=True, df=True)
    # copy to vem2: 1451 + 50 = 1501 > min(1600, 1600, 1500) = 1500, limited by vem2's uplink
    assert [(d.where, d.reason) for d in tr.drops] == [("vem1", "mtu-df")]
    assert "1501 > path MTU 1500" in tr.drops[0].text
    assert "limited by uplink of vem2" in tr.drops[0].text
    assert "PMTU notification to a/eth0 (MTU 1450)" in tr.drops[0].text
    # copy to vem3: 1501 <= 1600: delivered to c
    assert tr.delivered == ["c/eth0"]
    tr = trace(t, "a/eth0", "broadcast", size=1450, ip=True, df=True)
    assert tr.delivered == ["b/eth0", "c/eth0"] and tr.drops == [] and tr.reached
    assert kinds(tr, "mtu")[0].startswith("MTU: 1450 + 50 = 1500 = path MTU 1500")


# ------------------------------------------------------------------ VTEP reach
def test_unreachable_vtep(topo):
    # unicast-only flood from vem1: a copy for each other member VEM (vem2, vem3; vem4's
    # only VM is shut off, so it is no member and gets none). vem2's VTEP 10.0.2.12 is
    # outside vem1's 10.0.1.0/24, no gateway on vem1's VTEP, no proxy ARP: dropped.
    tr = trace(topo(THREE), "a/eth0", "broadcast")
    assert [(d.where, d.reason) for d in tr.drops] == [("vem1", "unreachable-vtep")]
    assert tr.drops[0].text == ("VTEP 10.0.1.11 cannot reach 10.0.2.12: another subnet; no "
                                "gateway, no proxy ARP (unreachable drop)")
    assert tr.delivered == ["c/eth0"]
    assert not tr.reached  # a broadcast reached only part of its segment
    assert kinds(tr, "reach") == ["VTEP 10.0.1.11 reaches 10.0.1.13: same subnet "
                                  "10.0.1.0/24"]


def test_gateway_makes_the_remote_subnet_reachable(topo):
    # demo: app1 on vem1 (10.0.1.11, gateway 10.0.1.1) to app3 on vem3 (10.0.2.13). app1
    # sends to app3 at 1000 pps and app3 to app2, so by 1 s vem1 knows app3 behind vem3.
    tr = trace(topo("demo"), "app1/eth0", "app3/eth0", size=1024, ip=True, at=1)
    assert tr.delivered == ["app3/eth0"] and tr.drops == []
    assert kinds(tr, "reach") == ["VTEP 10.0.1.11 reaches 10.0.2.13: through gateway "
                                  "10.0.1.1"]
    # the entry was refreshed by app3's frames of the last tick(s): age under 1 s
    (lookup,) = [s for s in tr.steps if s.kind == "lookup" and s.where == "vem1"]
    assert "hit, VTEP vem3/vtep0 10.0.2.13, age 0." in lookup.text


# ------------------------------------------------------------------ VM-FEX
def test_hairpin_flood_and_known_unicast(topo):
    demo = topo("demo")
    # At 0 s fi-a knows nothing: web1 -> db1 is unknown unicast, flooded by fi-a to every
    # other VIF of VLAN 100 (db1 on kvm1, web2 and backup1 on kvm2); db1 shares web1's
    # host, so its copy is a hairpin.
    tr = trace(demo, "web1/eth0", "db1/eth0")
    assert tr.delivered == ["db1/eth0", "web2/eth0", "backup1/eth0"] and tr.reached
    assert kinds(tr, "flood") == ["unknown unicast: FI flood in VLAN 100 to VIFs db1/eth0, "
                                  "web2/eth0, backup1/eth0"]
    assert [s.where for s in tr.steps if s.kind == "hairpin"] == ["fi-a"]
    # web1 sends 2000 pps, so at 0.1 s fi-a knows web1: db1 -> web1 is switched by fi-a
    # straight back down to kvm1, where it came from.
    tr = trace(demo, "db1/eth0", "web1/eth0", at=0.1)
    assert tr.delivered == ["web1/eth0"] and tr.drops == []
    assert kinds(tr, "hairpin") == ["hairpin: web1/eth0 is on kvm1, the host the frame came "
                                    "from: back down the same adapter"]
    assert any(s.text.startswith("L2 lookup 52:54:00:00:01:01 in VLAN 100: hit, VIF "
                                 "web1/eth0, age 0.") for s in tr.steps)


def test_forged_mac_is_refused_at_ingress(topo):
    # profile web denies MAC forging: a frame with another source MAC is refused before
    # the policer (it costs no tokens), nothing is switched.
    tr = trace(topo("demo"), "web1/eth0", "web2/eth0", src_mac="de:ad:be:ef:00:01")
    assert tr.delivered == [] and not tr.reached
    assert [(d.where, d.reason) for d in tr.drops] == [("web1/eth0", "mac-forging")]
    assert tr.drops[0].text == ("MAC forging deny: source de:ad:be:ef:00:01 is not the "
                                "vNIC's 52:54:00:00:01:01: refused at ingress (tx_drops)")
    assert len(tr.steps) == 2  # ingress, drop


def test_policer_tokens_left(topo):
    # backup: 10 Mbit/s, burst 32 KB. At 0 s the bucket is full: 32 * 1024 = 32,768 bytes;
    # a 64-byte frame costs 64 + 14 = 78 bytes: 32,768 - 78 = 32,690 left.
    tr = trace(topo("demo"), "backup1/eth0", "web1/eth0")
    (ingress,) = kinds(tr, "ingress")
    assert ingress.endswith("policer 10 Mbit/s, burst 32 KB: 78 bytes taken, 32,690 bytes "
                            "of tokens left")
    # A 40,000-byte frame needs 40,014 bytes of tokens, more than the burst: policed.
    tr = trace(topo("demo"), "backup1/eth0", "web1/eth0", size=40000, ip=True)
    assert [(d.where, d.reason) for d in tr.drops] == [("backup1/eth0", "policed")]
    assert "needs 40,014 bytes of tokens, 32,768 left" in tr.drops[0].text
    # Under its own flow (5,000 pps = 5 frames a tick of 1,414 bytes; refill 10 Mbit/s =
    # 1,250 bytes a tick): ticks 0-4 take 5 frames each, 32,768 + 4 * 1,250 - 25 * 1,414 =
    # 2,418 left after tick 4; tick 5: 3,668 -> 2 frames -> 840 left; from then on each
    # tick leaves (L + 1,250) mod 1,414, so after tick 499: (840 + 494 * 1,250) mod 1,414
    # = 618,340 mod 1,414 = 422. The traced frame enters at tick 500, before that tick's
    # own frames: 422 + 1,250 = 1,672, minus 1,414 for a 1,400-byte frame = 258 left.
    tr = trace(topo("demo"), "backup1/eth0", "web1/eth0", size=1400, ip=True, at=0.5)
    (ingress,) = kinds(tr, "ingress")
    assert ingress.endswith("1,414 bytes taken, 258 bytes of tokens left")
    # 1,673 bytes would need 1,687 bytes of tokens: policed with 1,672 in the bucket
    tr = trace(topo("demo"), "backup1/eth0", "web1/eth0", size=1673, ip=True, at=0.5)
    assert [d.reason for d in tr.drops] == ["policed"]
    assert "needs 1,687 bytes of tokens, 1,672 left" in tr.drops[0].text


# ------------------------------------------------------------------ aging
def test_aged_out_entry(topo):
    t = topo(THREE)
    # c's one frame at tick 0 teaches vem1 "c behind 10.0.1.13" at tick 0. With 1 s aging
    # the entry is valid while now - 0 < 1000 ticks: a hit at 0.999 s (age 0.999 s) ...
    tr = trace(t, "a/eth0", "c/eth0", at=0.999)
    assert tr.delivered == ["c/eth0"] and tr.drops == []
    assert "hit, VTEP vem3/t0 10.0.1.13, age 0.999 s" in kinds(tr, "lookup")[0]
    assert kinds(tr, "flood") == []
    # ... and a miss at 1 s: the frame is flooded as unknown unicast (and vem2's copy is
    # unreachable), still reaching c through vem3's designated VTEP.
    tr = trace(t, "a/eth0", "c/eth0", at=1.0)
    assert kinds(tr, "lookup")[0] == (
        "L2 lookup 52:54:00:00:00:0c in bridge domain blue (segment 6000): miss: the entry "
        "(VTEP vem3/t0 10.0.1.13) aged out, last seen 1 s ago, MAC aging 1 s: unknown "
        "unicast, flooded")
    assert tr.delivered == ["c/eth0"] and tr.reached
    assert [d.reason for d in tr.drops] == ["unreachable-vtep"]


# ------------------------------------------------------------------ shut-off
def test_shut_off_member(topo):
    t = topo(THREE)
    # d is shut off: it sends nothing ...
    tr = trace(t, "d/eth0", "a/eth0")
    assert [(d.where, d.reason) for d in tr.drops] == [("d/eth0", "vm-not-running")]
    assert tr.delivered == [] and not tr.reached
    # ... its VEM is no member of blue (no running VM there): a's flood sends copies to
    # vem2 and vem3 only, and a frame to d reaches nobody.
    tr = trace(t, "a/eth0", "d/eth0")
    copies = [s.text for s in tr.steps if s.text.startswith("unicast-only copy")]
    assert [c.split(":")[0] for c in copies] == ["unicast-only copy for member vem2",
                                                 "unicast-only copy for member vem3"]
    assert tr.delivered == ["c/eth0"] and not tr.reached


def test_multicast_flood_names_the_group_and_its_members(topo):
    # demo tenant-a: multicast 239.1.1.1; app1, app2, app3 run on vem1, vem2, vem3, so all
    # three joined; one copy leaves vem1 and reaches vem2 and vem3.
    tr = trace(topo("demo"), "app1/eth0", "broadcast")
    assert ("one copy from VTEP vem1/vtep0 10.0.1.11 to group 239.1.1.1, joined by vem1, "
            "vem2, vem3 (copies reach vem2, vem3)") in kinds(tr, "flood")
    assert tr.delivered == ["app2/eth0", "app3/eth0"] and tr.drops == [] and tr.reached
    # vem2 and vem3 learn app1 behind vem1's VTEP on decapsulation
    learned = [s.where for s in tr.steps if s.kind == "learn"
               and "on VTEP vem1/vtep0 10.0.1.11" in s.text]
    assert learned == ["vem2", "vem3"]


def test_no_multicast_underlay(topo):
    t = topo("demo")
    t.underlay.multicast = False
    tr = trace(t, "app1/eth0", "broadcast")
    assert [(d.where, d.reason) for d in tr.drops] == [("vem1", "no-multicast")]
    assert tr.delivered == []


def test_unknown_names_are_clear_errors(topo):
    demo = topo("demo")
    with pytest.raises(TraceError, match=r"^nope/eth0: no such vNIC"):
        trace(demo, "nope/eth0", "web1/eth0")
    with pytest.raises(TraceError, match=r"^web1/eth9: no such vNIC"):
        trace(demo, "web1/eth0", "web1/eth9")
    with pytest.raises(TraceError, match="not a vNIC"):
        trace(demo, "web1/eth0", "somewhere")
