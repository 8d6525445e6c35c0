"""Live changes on a running fabric: profile edits, attach/detach, migration."""

from __future__ import annotations

from test_engine_vxlan import vems

from console.models.changes import Migrate, NicAttach, NicDetach, PortProfileEdit
from console.models.inventory import Vnic
from console.models.vmfex import MacForging, PortProfile, Qos


def test_profile_edit_applies_at_once_to_every_vif(fabric):
    f = fabric(vems(3, traffic="  - {from: vm0/eth0, to: broadcast, pps: 1000, size: 986}\n"
                               "  - {from: vm1/eth0, to: broadcast, pps: 1000, size: 986}\n"))
    f.run_until(1)
    before = f.sample()
    assert before.vifs["vm0/eth0"].tx_drops == 0
    profile = PortProfile(name="bd", clients=["default"], bridge_domain="bd",
                          qos=Qos(rate_mbps=1, burst_kb=1))
    result = f.apply(PortProfileEdit(profile))
    assert result.applied, result.message
    f.run_until(2)
    after = f.sample()
    for vif in ("vm0/eth0", "vm1/eth0"):
        assert after.vifs[vif].tx_packets - before.vifs[vif].tx_packets == 125
        assert after.vifs[vif].tx_drops == 875
    # counters stay monotonic across the recompile
    assert after.bridge_domains["bd"].flood_frames == 2000 + 250


def test_profile_edit_mac_forging(fabric):
    f = fabric(vems(2, traffic="  - {from: vm0/eth0, to: broadcast, pps: 100, "
                               "src_mac: 'de:ad:be:ef:00:01'}\n"))
    f.run_until(1)
    assert f.sample().vifs["vm0/eth0"].tx_drops == 0
    f.apply(PortProfileEdit(PortProfile(name="bd", clients=["default"], bridge_domain="bd",
                                        mac_forging=MacForging.DENY)))
    f.run_until(2)
    s = f.sample()
    assert s.vifs["vm0/eth0"].tx_packets == 100
    assert s.vifs["vm0/eth0"].tx_drops == 100


def test_attach_and_detach_update_igmp_and_replication(fabric):
    extra = "  - {name: h9, switching: vem, vteps: [{name: v0, ip: 10.0.0.99/24}]}\n"
    extra_vm = "  - {name: late, host: h9}\n"
    f = fabric(vems(2, mode="multicast", hosts_extra=extra, vms_extra=extra_vm,
                    traffic="  - {from: vm0/eth0, to: broadcast, pps: 10}\n"))
    f.run_until(1)
    s = f.sample()
    assert s.bridge_domains["bd"].igmp_joins == 2
    assert s.vems["h9"].decap_packets == 0
    nic = Vnic(name="eth0", mac="52:54:00:00:09:01", port_profile="bd")
    assert f.apply(NicAttach("late", nic)).applied
    f.run_until(2)
    s = f.sample()
    assert s.bridge_domains["bd"].igmp_joins == 3
    assert s.vems["h9"].decap_packets == 10
    assert s.vifs["late/eth0"].rx_packets == 10
    assert f.apply(NicDetach("late", "eth0")).applied
    f.run_until(3)
    s = f.sample()
    assert s.bridge_domains["bd"].igmp_leaves == 1
    assert s.vems["h9"].decap_packets == 10
    assert "late/eth0" not in s.vifs


def test_unicast_only_replication_list_follows_attach(fabric):
    extra = "  - {name: h9, switching: vem, vteps: [{name: v0, ip: 10.0.0.99/24}]}\n"
    f = fabric(vems(2, hosts_extra=extra, vms_extra="  - {name: late, host: h9}\n",
                    traffic="  - {from: vm0/eth0, to: broadcast, pps: 10}\n"))
    f.run_until(1)
    assert f.sample().bridge_domains["bd"].flood_copies == 10
    f.apply(NicAttach("late", Vnic(name="eth0", mac="52:54:00:00:09:01", port_profile="bd")))
    f.run_until(2)
    s = f.sample()
    assert s.bridge_domains["bd"].flood_copies == 10 + 20
    assert s.bridge_domains["bd"].igmp_joins == 0


def test_migration_moves_the_vif_and_the_fabric_relearns(fabric):
    traffic = ("  - {from: vm2/eth0, to: broadcast, count: 1}\n"            # all learn vm2
               "  - {from: vm0/eth0, to: vm2/eth0, count: 1, start_s: 1.5}\n"
               "  - {from: vm2/eth0, to: broadcast, count: 1, start_s: 2.5}\n"
               "  - {from: vm0/eth0, to: vm2/eth0, count: 1, start_s: 3.5}\n")
    extra = "  - {name: h3, switching: vem, vteps: [{name: v0, ip: 10.0.0.4/24}]}\n"
    f = fabric(vems(3, traffic=traffic, hosts_extra=extra))
    f.run_until(1)
    result = f.apply(Migrate("vm2", "h3"))
    assert result.applied, result.message
    f.run_until(2)
    s = f.sample()
    # h0 still sends vm2's frames to h2's VTEP: decapsulated there, delivered to nobody
    assert s.vems["h2"].decap_packets == 1
    assert s.vifs["vm2/eth0"].rx_packets == 0
    f.run_until(4)
    s = f.sample()
    # vm2's broadcast from h3 made h0 re-learn it behind h3's VTEP
    assert s.vems["h3"].decap_packets == 1
    assert s.vifs["vm2/eth0"].rx_packets == 1
    assert [e.vtep_ip for e in f.l2_table("bd") if e.vem == "h0" and
            e.mac == "52:54:00:00:00:02"] == ["10.0.0.4"]
    assert f.topology.vms[2].host == "h3"


def test_hostdev_migration_is_refused(fabric):
    text = """\
format: fabric-console/1
clusters: [{name: default}]
fabric_interconnects: [{name: fi-a}]
port_profiles: [{name: web, clients: [default], vlans: [100]}]
hosts:
  - {name: k1, vic: {model: VIC-1280, pfs: [{name: eth2, vfs: 16}]}}
  - {name: k2, vic: {model: VIC-1280, pfs: [{name: eth2, vfs: 16}]}}
vms:
  - {name: a, host: k1, nics: [{name: eth0, mac: '52:54:00:00:01:01', port_profile: web,
     attach: hostdev, pf: eth2}]}
"""
    f = fabric(text)
    result = f.apply(Migrate("a", "k2"))
    assert not result.applied
    assert "hostdev" in result.message
    assert f.topology.vms[0].host == "k1"
