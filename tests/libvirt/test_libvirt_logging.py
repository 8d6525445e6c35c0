"""What reaches a host is logged (issue #15, item 4): every define, update, attach,
detach and undefine on logger `console.backends.libvirt`, at INFO, with the URI and the
unified diff of the definition it replaces; and the failures the backend turns into
results are logged with the URI. Through the real backend on libvirt's test driver
(tests/data/kvm1.xml)."""

from __future__ import annotations

import logging

import libvirt
import pytest
from libvirt_nodes import node_uri

from console.backends import BackendError
from console.backends.libvirt import LibvirtBackend
from console.backends.libvirt.connection import Connection
from console.models import AttachMode, Vnic
from console.models.changes import NicAttach, NicDetach, NicUpdate, PortProfileEdit, VmDefine

LOGGER = "console.backends.libvirt"


@pytest.fixture
def sent(caplog):
    """The messages logged about what was sent to a host."""
    caplog.set_level(logging.INFO, logger=LOGGER)

    def messages() -> list[str]:
        out = [r.getMessage() for r in caplog.records
               if r.name == LOGGER and r.levelno == logging.INFO]
        caplog.clear()
        return out

    return messages


def _one(messages: list[str], start: str) -> str:
    found = [m for m in messages if m.startswith(start)]
    assert len(found) == 1, (start, messages)
    return found[0]


def test_update_logs_the_diff_of_the_definition(backend, run, sent):
    b = backend("kvm1")
    nic = next(vm for vm in run(b.inventory()).vms if vm.name == "web2").nics[1]
    b.connection.conn.lookupByName("web2").destroy()  # inactive: config only
    sent()
    assert run(b.apply(NicUpdate("web2", nic.model_copy(update={"port_profile": "db"})))) \
        .applied
    message = _one(sent(), f"{node_uri('kvm1')}: update interface on domain web2 (config)")
    lines = message.splitlines()
    assert lines[1:3] == ["--- web2 (on the host)", "+++ web2 (sent)"]
    assert '-        <parameters profileid="mgmt" />' in lines
    assert '+        <parameters profileid="db" />' in lines
    # only the changed lines and their context: never the whole domain
    assert sum(1 for line in lines if line.startswith(("-", "+"))) < 10


def test_attach_detach_and_define_are_logged(backend, run, sent):
    uri = node_uri("kvm1")
    b = backend("kvm1")
    b.connection.conn.lookupByName("web2").destroy()
    new = Vnic(name="eth5", mac="52:54:00:00:01:55", port_profile="web",
               attach=AttachMode.MACVTAP_PASSTHROUGH, pf="eth2")
    sent()
    assert run(b.apply(NicAttach("web2", new))).applied
    attach = _one(sent(), f"{uri}: attach interface on domain web2 (config)")
    assert '+      <mac address="52:54:00:00:01:55" />' in attach.splitlines()

    assert run(b.apply(NicDetach("web2", "eth5"))).applied
    detach = _one(sent(), f"{uri}: detach interface on domain web2 (config)")
    assert '-      <mac address="52:54:00:00:01:55" />' in detach.splitlines()
    assert not any(line.startswith("+ ") for line in detach.splitlines())

    vm = next(v for v in run(b.inventory()).vms if v.name == "web1")
    clone = vm.model_copy(update={"name": "web9", "nics": [
        vm.nics[0].model_copy(update={"mac": "52:54:00:00:01:99"})]})
    assert run(b.apply(VmDefine(clone))).applied
    define = _one(sent(), f"{uri}: define domain web9")
    lines = define.splitlines()
    assert lines[1:3] == ["--- /dev/null", "+++ web9 (sent)"]
    assert "+  <name>web9</name>" in lines


def test_network_redefine_is_logged(backend, run, sent):
    b = backend("kvm1")
    for vm in ("web1", "web2", "app1"):
        b.connection.conn.lookupByName(vm).destroy()
    b.connection.conn.networkLookupByName("vmfex-kvm1-eth2").destroy()
    web = next(p for p in run(b.inventory()).port_profiles if p.name == "web")
    sent()
    result = run(b.apply(PortProfileEdit(web.model_copy(update={"name": "web-v2"}), "web")))
    assert result.applied, result.message
    messages = sent()
    network = _one(messages, f"{node_uri('kvm1')}: redefine network vmfex-kvm1-eth2")
    assert any(line.startswith("+") and "web-v2" in line for line in network.splitlines())
    assert "-  <uuid>" not in network  # the same network, redefined in place
    web1 = _one(messages, f"{node_uri('kvm1')}: update interface on domain web1 (config)")
    assert '+        <parameters profileid="web-v2" />' in web1.splitlines()


def test_failures_turned_into_results_are_logged_with_the_uri(backend, run, caplog):
    from console.backends.libvirt import steps

    caplog.set_level(logging.INFO, logger=LOGGER)
    b = backend("kvm1")

    def boom(_conn):
        raise libvirt.libvirtError("disk full")

    result = run(b.run_steps(VmDefine(run(b.inventory()).vms[0]),
                             [steps.Step("define domain x", boom)]))
    assert not result.applied
    assert f"{node_uri('kvm1')}: step 'define domain x' failed: disk full" in caplog.messages


def test_a_failing_credential_dialog_is_logged_not_swallowed(run, caplog):
    async def broken(uri, requests):
        raise RuntimeError("the dialog broke")

    conn = Connection("qemu+ssh://kvm1/system", broken)
    creds = [[libvirt.VIR_CRED_AUTHNAME, "Username", "", "", None]]

    async def ask():
        import asyncio

        conn._loop = asyncio.get_running_loop()
        return await conn.run(conn._credentials, creds, None)

    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert run(ask()) == -1
    conn.shutdown()
    record = next(r for r in caplog.records if "asking for credentials failed" in r.message)
    assert record.levelno == logging.ERROR and "qemu+ssh://kvm1/system" in record.message
    assert record.exc_info is not None and "the dialog broke" in str(record.exc_info[1])


def test_a_connection_that_cannot_be_opened_is_logged(run, caplog):
    b = LibvirtBackend("test:///no/such/node.xml")
    with caplog.at_level(logging.INFO, logger=LOGGER):
        with pytest.raises(BackendError):
            run(b.connect())
    run(b.close())
    assert any("test:///no/such/node.xml" in m and "cannot connect" in m
               for m in caplog.messages)
