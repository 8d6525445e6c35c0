"""guard(): which live changes are refused and why; apply_to_model(): how every backend
updates its model."""

from __future__ import annotations

import pytest
from rulekit import APP1, KVM1, VEM1, WEB1, base, topo

from console.models import BridgeDomain, PortProfile, Vm, Vnic, Vsm, Vtep
from console.models.changes import (
    BridgeDomainEdit,
    BridgeDomainRemove,
    Migrate,
    NicAttach,
    NicDetach,
    NicUpdate,
    PortProfileEdit,
    PortProfileRemove,
    VmDefine,
    VmRemove,
    VsmEdit,
    VtepEdit,
)
from console.models.rules import apply_to_model, check, guard
from console.models.topofile import dumps

READ_ONLY = "owned by OpenStack; edits made here are lost at the next OpenStack synchronization"


def two_vmfex_hosts(cluster: str = "default"):
    d = base()
    d["bridge_domains"][1]["owner"] = "openstack"
    d["hosts"].append({"name": "kvm2", "os": "rhel-6.4", "switching": "vmfex",
                       "cluster": cluster, "fabric_interconnect": "fi-a",
                       "vic": {"model": "VIC-1240", "pfs": [{"name": "eth2", "vfs": 4}]}})
    return topo(d)


def rules_of(findings):
    return [f.rule for f in findings]


# ------------------------------------------------------------------ OpenStack-owned

def test_editing_an_openstack_bridge_domain_is_refused_with_the_reason():
    t = two_vmfex_hosts()
    bd = t.bridge_domains[1].model_copy(update={"segment_id": 6000})
    refusals = guard(t, BridgeDomainEdit(bd))
    assert rules_of(refusals) == ["openstack.read-only"]
    assert refusals[0].path == "bridge_domains[1]"
    assert refusals[0].message == f"bridge domain bd-u is {READ_ONLY}"
    assert rules_of(guard(t, BridgeDomainRemove("bd-u"))) == ["openstack.read-only"]


def test_a_dynamic_port_profile_and_openstack_ports_are_read_only():
    t = two_vmfex_hosts()
    assert rules_of(guard(t, PortProfileEdit(PortProfile(name="secure_net1")))) == \
        ["openstack.read-only"]
    assert rules_of(guard(t, NicDetach("os1", "eth0"))) == ["openstack.read-only"]
    port = Vnic(name="eth1", mac="02:00:00:00:00:01", network="net1", policy_profile="secure")
    assert rules_of(guard(t, NicAttach("app1", port))) == ["openstack.read-only"]
    # turning a console vNIC into an OpenStack port is creating a port on the VSM
    assert rules_of(guard(t, NicUpdate("app1", port.model_copy(update={"name": "eth0"})))) \
        == ["openstack.read-only"]


def test_an_openstack_owned_port_profile_is_read_only_but_a_console_one_is_not():
    d = base()
    d["port_profiles"][0]["owner"] = "openstack"
    t = topo(d)
    edit = PortProfileEdit(t.port_profiles[0].model_copy(update={"max_ports": 16}))
    assert rules_of(guard(t, edit)) == ["openstack.read-only"]
    assert rules_of(guard(t, PortProfileRemove("web"))) == ["openstack.read-only"]
    t2 = topo(base())
    assert guard(t2, PortProfileEdit(t2.port_profiles[0].model_copy(
        update={"max_ports": 16}))) == []


# ------------------------------------------------------------------- segmentation

def test_disabling_segmentation_is_refused_while_ports_use_vxlan_profiles():
    t = topo(base())
    refusals = guard(t, VsmEdit(Vsm(segmentation=False)))
    assert rules_of(refusals) == ["vxlan.segmentation-in-use"]
    assert "app1/eth0" in refusals[0].message and "os1/eth0" in refusals[0].message


def test_disabling_segmentation_without_vxlan_ports_removes_every_bridge_domain():
    d = base()
    d["vms"] = d["vms"][:1]
    d["traffic"] = []
    change = VsmEdit(Vsm(segmentation=False))
    # OpenStack's VXLAN network would be left naming a removed bridge domain
    (refusal,) = guard(topo(d), change)
    assert refusal.rule == "ref.bridge-domain" and "network net1" in refusal.message
    d["networks"] = d["subnets"] = []
    t = topo(d)
    assert guard(t, change) == []
    apply_to_model(t, change)
    assert t.bridge_domains == [] and t.vsm.segmentation is False
    assert all(p.bridge_domain is None for p in t.port_profiles)


# --------------------------------------------------------------------- migration

def test_migrating_a_hostdev_vm_is_refused():
    t = two_vmfex_hosts()
    t.vms[WEB1].nics[0].attach = "hostdev"
    refusals = guard(t, Migrate("web1", "kvm2"))
    assert rules_of(refusals) == ["vmfex.live-migration"]
    assert "hostdev" in refusals[0].message and refusals[0].path == "vms[0].host"


def test_migrating_across_clusters_is_refused_and_inside_the_cluster_allowed():
    assert "cluster" in guard(two_vmfex_hosts("lab"), Migrate("web1", "kvm2"))[0].message
    t = two_vmfex_hosts()
    assert guard(t, Migrate("web1", "kvm2")) == []
    apply_to_model(t, Migrate("web1", "kvm2"))
    assert t.vms[WEB1].host == "kvm2" and check(t) == []


def test_migrating_onto_a_full_pf_is_refused_by_the_vf_rule():
    t = two_vmfex_hosts()
    for i in range(4):  # fill kvm2's 4 VFs
        apply_to_model(t, VmDefine(Vm(name=f"f{i}", host="kvm2", nics=[Vnic(
            name="eth0", mac=f"02:00:00:00:0f:{i:02x}", port_profile="web",
            attach="macvtap-passthrough", pf="eth2")])))
    assert rules_of(guard(t, Migrate("web1", "kvm2"))) == ["vmfex.vf-limit"]


# ---------------------------------------------------------- would add an error

def test_a_fifth_vtep_is_refused_and_a_fourth_allowed():
    t = topo(base())
    vteps = tuple(Vtep(name=f"v{i}", ip=f"10.0.1.{30 + i}/24") for i in range(5))
    refusals = guard(t, VtepEdit("vem1", vteps))
    assert rules_of(refusals) == ["vxlan.vtep-count"]
    assert refusals[0].path == "hosts[1].vteps[4]"
    assert guard(t, VtepEdit("vem1", vteps[:4])) == []


def test_attaching_a_nic_with_a_mac_in_use_is_refused():
    t = topo(base())
    nic = Vnic(name="eth1", mac="52:54:00:00:02:02", port_profile="vx-m")
    assert rules_of(guard(t, NicAttach("app1", nic))) == ["dup.mac"]
    ok = nic.model_copy(update={"mac": "02:00:00:00:00:42"})
    assert guard(t, NicAttach("app1", ok)) == []


def test_lowering_max_ports_below_the_ports_in_use_is_refused():
    d = base()
    d["vms"][APP1]["nics"][0].update(port_profile="web", attach="macvtap-passthrough")
    d["vms"][APP1]["host"] = "kvm1"
    t = topo(d)
    edit = PortProfileEdit(t.port_profiles[0].model_copy(update={"max_ports": 1}))
    assert rules_of(guard(t, edit)) == ["profile.max-ports"]


def test_removing_a_bridge_domain_in_use_is_refused_and_an_unused_one_allowed():
    t = topo(base())
    assert "ref.bridge-domain" in rules_of(guard(t, BridgeDomainRemove("bd-m")))
    apply_to_model(t, BridgeDomainEdit(BridgeDomain(name="spare", segment_id=7000,
                                                    mode="unicast-only")))
    assert guard(t, BridgeDomainRemove("spare")) == []


def test_changes_naming_missing_objects_are_refused():
    t = topo(base())
    assert rules_of(guard(t, Migrate("nope", "kvm1"))) == ["change.unknown-object"]
    assert rules_of(guard(t, Migrate("web1", "nope"))) == ["change.unknown-object"]
    assert rules_of(guard(t, NicDetach("web1", "eth7"))) == ["change.unknown-object"]
    assert rules_of(guard(t, VtepEdit("nope", ()))) == ["change.unknown-object"]


def test_guard_leaves_the_topology_untouched_and_silent():
    t = two_vmfex_hosts()
    before = dumps(t)
    heard: list[object] = []
    t.events.connect(heard.append)
    for vm in t.vms:
        vm.events.connect(heard.append)
    for h in t.hosts:
        h.events.connect(heard.append)
    changes = [
        Migrate("web1", "kvm2"),
        VtepEdit("vem1", (Vtep(name="a", ip="10.0.1.90/24"),), {"bd-m": "a"}),
        NicAttach("app1", Vnic(name="eth1", mac="02:00:00:00:00:42", port_profile="vx-m")),
        NicDetach("app1", "eth0"),
        PortProfileEdit(PortProfile(name="web2", clients=["default"]), old_name="web"),
        BridgeDomainEdit(BridgeDomain(name="bd-x", segment_id=5000, group="239.1.1.1"),
                         old_name="bd-m"),
        VmRemove("app2"),
    ]
    for change in changes:
        guard(t, change)
    assert heard == [] and dumps(t) == before


# ------------------------------------------------------------------ apply_to_model

def test_apply_replaces_lists_so_their_events_fire_once():
    t = topo(base())
    fired: list[str] = []
    t.events.port_profiles.connect(lambda *_: fired.append("port_profiles"))
    new = t.port_profiles[0].model_copy(update={"max_ports": 4})
    apply_to_model(t, PortProfileEdit(new))
    assert fired == ["port_profiles"] and t.port_profiles[0] is new


def test_apply_renames_follow_every_reference():
    t = topo(base())
    apply_to_model(t, PortProfileEdit(t.port_profiles[0].model_copy(update={"name": "www"}),
                                      old_name="web"))
    assert t.vms[WEB1].nics[0].port_profile == "www"
    t.hosts[VEM1].designated_vteps = {"bd-m": "vtep0"}
    apply_to_model(t, BridgeDomainEdit(t.bridge_domains[0].model_copy(update={"name": "m2"}),
                                       old_name="bd-m"))
    assert t.port_profiles[1].bridge_domain == "m2"
    assert t.hosts[VEM1].designated_vteps == {"m2": "vtep0"}
    assert check(t) == []


def test_apply_migrate_replaces_the_vm_and_leaves_the_old_one_as_it_was():
    t = two_vmfex_hosts()
    vm = t.vms[WEB1]
    heard: list[str] = []
    vm.events.connect(lambda info: heard.append(info.signal.name))
    t.events.vms.connect(lambda *_: heard.append("vms"))
    apply_to_model(t, Migrate("web1", "kvm2"))
    assert t.vms[WEB1].host == "kvm2" and t.vms[WEB1].nics == vm.nics
    assert vm.host == "kvm1" and heard == ["vms"]  # one event: the list's


def test_apply_nic_changes_and_vm_removal_drop_dead_flows():
    t = topo(base())
    apply_to_model(t, NicAttach("app1", Vnic(name="eth1", mac="02:00:00:00:00:42",
                                             port_profile="vx-m")))
    assert [n.name for n in t.vms[APP1].nics] == ["eth0", "eth1"]
    apply_to_model(t, NicUpdate("app1", Vnic(name="eth1", mac="02:00:00:00:00:42",
                                             port_profile="vx-u", mtu=1400)))
    assert t.vms[APP1].nics[1].port_profile == "vx-u" and len(t.vms[APP1].nics) == 2
    apply_to_model(t, NicDetach("app1", "eth0"))
    assert t.traffic == []  # web1 -> app1/eth0 cannot run any more
    apply_to_model(t, VmRemove("web1"))
    assert [vm.name for vm in t.vms] == ["app1", "app2", "os1", "os2"]
    apply_to_model(t, VtepEdit("vem2", (Vtep(name="v9", ip="10.0.1.99/24"),)))
    assert [v.name for v in t.hosts[2].vteps] == ["v9"]
    apply_to_model(t, PortProfileRemove("web"))
    assert [p.name for p in t.port_profiles] == ["vx-m", "vx-u"]


def test_apply_refuses_what_is_not_there():
    t = topo(base())
    with pytest.raises(ValueError, match="no VM named"):
        apply_to_model(t, Migrate("nope", "kvm1"))
    with pytest.raises(ValueError, match="no host named"):
        apply_to_model(t, Migrate("web1", "nope"))
    assert t.hosts[KVM1].name == "kvm1"
