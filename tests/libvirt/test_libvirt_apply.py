"""Applying changes to a libvirt host: the same guard as the emulated fabric refuses, a
port profile change rewrites the interface XML, new VMs and pool networks get defined."""

from __future__ import annotations

import libvirt
from defusedxml import ElementTree as SafeET

from console.backends.base import BackendError, EventKind
from console.backends.libvirt import steps
from console.models import AttachMode, Vnic
from console.models import topofile as tf
from console.models.changes import NicAttach, NicDetach, NicUpdate, VmDefine, VtepEdit
from console.models.rules.guards import guard


def profile_ids(b, vm: str, flags: int = libvirt.VIR_DOMAIN_XML_INACTIVE) -> dict[str, str]:
    dom = b.connection.conn.lookupByName(vm)
    out = {}
    for iface in SafeET.fromstring(dom.XMLDesc(flags)).findall("./devices/interface"):
        params = iface.find("virtualport/parameters")
        out[iface.find("alias").get("name")] = params.get("profileid") if params is not None \
            else None
    return out


def test_port_profile_change_updates_the_interface_xml(backend, run):
    b = backend("kvm1")
    topo = run(b.inventory())
    nic = next(vm for vm in topo.vms if vm.name == "web2").nics[1]  # eth1, profile mgmt
    dom = b.connection.conn.lookupByName("web2")
    dom.destroy()  # inactive: the change goes to the config (VIR_DOMAIN_AFFECT_CONFIG)
    result = run(b.apply(NicUpdate("web2", nic.model_copy(update={"port_profile": "db"}))))
    assert result.applied, result.message
    assert profile_ids(b, "web2") == {"ua-eth0": "web", "ua-eth1": "db"}
    after = run(b.inventory())
    assert next(v for v in after.vms if v.name == "web2").nics[1].port_profile == "db"


def test_change_on_a_running_domain_says_what_took_effect(backend, run):
    b = backend("kvm1")
    nic = next(vm for vm in run(b.inventory()).vms if vm.name == "web1").nics[0]
    result = run(b.apply(NicUpdate("web1", nic.model_copy(update={"port_profile": "db"}))))
    assert result.applied
    # the test driver has no virDomainUpdateDeviceFlags: the definition is updated and
    # the step says so instead of claiming a live change
    assert any("takes effect when the domain restarts" in s for s in result.steps)
    assert profile_ids(b, "web1")["ua-eth0"] == "db"
    assert profile_ids(b, "web1", 0)["ua-eth0"] == "web"  # the running device: unchanged


def test_refusals_are_the_guards(backend, run):
    b = backend("kvm1")
    topo = run(b.inventory())
    nic = next(vm for vm in topo.vms if vm.name == "web1").nics[0]
    change = NicUpdate("web1", nic.model_copy(update={"port_profile": "no-such-profile"}))
    expected = guard(topo, change)
    assert expected, "the guard should refuse a dangling port profile"
    result = run(b.apply(change))
    assert not result.applied
    assert [f.rule for f in result.findings] == [f.rule for f in expected]
    assert profile_ids(b, "web1")["ua-eth0"] == "web"  # nothing was changed


def test_a_refused_or_failed_change_leaves_the_host_as_it_was(backend, run, monkeypatch):
    b = backend("kvm1")
    b.connection.conn.lookupByName("web2").destroy()  # inactive: changes show at once
    before = tf.dumps(run(b.inventory()))
    nic = next(vm for vm in run(b.inventory()).vms if vm.name == "web2").nics[1]
    refused = run(b.apply(NicUpdate("web2", nic.model_copy(update={"port_profile": "nope"}))))
    assert not refused.applied and [f.rule for f in refused.findings] == ["ref.port-profile"]
    assert tf.dumps(run(b.inventory())) == before
    planned = steps.plan

    def first_step_fails(*args):
        todo = planned(*args)

        def refuse(_conn):
            raise BackendError("the host refused")

        return [steps.Step(todo[0].description, refuse), *todo[1:]]

    change = NicUpdate("web2", nic.model_copy(update={"port_profile": "db"}))
    monkeypatch.setattr(steps, "plan", first_step_fails)
    failed = run(b.apply(change))
    assert not failed.applied and "the host refused" in failed.message
    assert "Applied: nothing" in failed.message
    assert tf.dumps(run(b.inventory())) == before
    monkeypatch.undo()
    events = b.events()
    result = run(b.apply(change))
    assert result.applied and tf.dumps(run(b.inventory())) != before
    event = run(events.__anext__())
    while "change" not in event.data:  # libvirt's own domain events come too
        event = run(events.__anext__())
    assert (event.kind, event.subject, event.detail) == (EventKind.CONFIG, "web2",
                                                          "Edit vNIC web2/eth1")
    assert event.data == {"change": change, "message": "applied", "steps": result.steps}
    run(events.aclose())


def test_attach_detach_and_define(backend, run):
    b = backend("kvm1")
    dom = b.connection.conn.lookupByName("web2")
    dom.destroy()
    new = Vnic(name="eth5", mac="52:54:00:00:01:55", port_profile="web",
               attach=AttachMode.MACVTAP_PASSTHROUGH, pf="eth2")
    assert run(b.apply(NicAttach("web2", new))).applied
    assert profile_ids(b, "web2")["ua-eth5"] == "web"
    assert run(b.apply(NicDetach("web2", "eth5"))).applied
    assert "ua-eth5" not in profile_ids(b, "web2")

    vm = next(v for v in run(b.inventory()).vms if v.name == "web1")
    clone = vm.model_copy(update={"name": "web9", "nics": [
        vm.nics[0].model_copy(update={"mac": "52:54:00:00:01:99"})]})
    result = run(b.apply(VmDefine(clone)))
    assert result.applied, result.message
    assert profile_ids(b, "web9") == {"ua-eth0": "web"}


def test_overlay_changes_are_not_for_libvirt(backend, run):
    b = backend("kvm1")
    result = run(b.apply(VtepEdit("kvm1", ())))
    assert not result.applied


def test_failure_part_way_reports_what_was_and_was_not_applied(backend, run):
    from console.backends.libvirt import steps

    b = backend("kvm1")

    def boom(_conn):
        raise libvirt.libvirtError("disk full")

    planned = [steps.Step("first", lambda _c: "ok"), steps.Step("second", boom),
               steps.Step("third", lambda _c: "ok")]
    result = run(b.run_steps(VmDefine(run(b.inventory()).vms[0]), planned))
    assert not result.applied
    assert "Applied: first [ok]" in result.message and "Not applied: second, third" \
        in result.message
    assert result.steps == ["done: first [ok]", "FAILED: second: disk full",
                            "not done: third"]


def test_renaming_a_port_profile_moves_every_interface_and_portgroup(backend, run):
    from console.models.changes import PortProfileEdit

    b = backend("kvm1")
    for vm in ("web1", "web2", "app1"):
        b.connection.conn.lookupByName(vm).destroy()
    # stopped, so that its definition shows (the test driver cannot show an inactive
    # definition of a running network)
    b.connection.conn.networkLookupByName("vmfex-kvm1-eth2").destroy()
    topo = run(b.inventory())
    web = next(p for p in topo.port_profiles if p.name == "web")
    result = run(b.apply(PortProfileEdit(web.model_copy(update={"name": "web-v2"}), "web")))
    assert result.applied, result.message
    assert profile_ids(b, "web1") == {"ua-eth0": "web-v2"}
    assert profile_ids(b, "web2")["ua-eth0"] == "web-v2"
    assert profile_ids(b, "app1") == {"ua-eth0": "web-v2"}
    text = run(b.xml_of("web1", "eth0", inactive=True))
    assert "portgroup=\"web-v2\"" in text or "portgroup='web-v2'" in text
    net = b.connection.conn.networkLookupByName("vmfex-kvm1-eth2").XMLDesc(0)
    assert "name='web-v2'" in net


def test_xml_of_shows_the_hosts_own_interface_xml(backend, run):
    b = backend("kvm1")
    text = run(b.xml_of("db1", "eth0"))
    assert text.startswith("<interface type=\"hostdev\"")
    assert "profileid=\"db\"" in text and "function=\"0x1\"" in text
