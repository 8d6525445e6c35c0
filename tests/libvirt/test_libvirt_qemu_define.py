"""Every XML `export --format libvirt` writes, defined on libvirt's real QEMU driver (a
private daemon, qemu_support.QemuDaemon), which checks more than the test driver: e.g. it
refuses <mtu> on a type='direct' interface. Each reads back with the same interfaces and
profile ids. Defined only, not started: starting needs the VIC's PFs and VFs."""

from __future__ import annotations

import re

import libvirt
import pytest
from defusedxml import ElementTree as SafeET
from qemu_support import qemu_daemon, qemu_skip_reason
from test_libvirt_xml import DESIGN, PLAN, interfaces

from console.export import libvirt as lx
from console.models import topofile

pytestmark = pytest.mark.skipif(qemu_skip_reason() is not None,
                                reason=qemu_skip_reason() or "")


@pytest.fixture(scope="module")
def conn():
    with qemu_daemon("fcqdef") as daemon:
        c = daemon.open()
        try:
            yield c
        finally:
            c.close()


def _domain_types(conn: libvirt.virConnect) -> set[str]:
    caps = SafeET.fromstring(conn.getCapabilities())
    return {d.get("type") for d in caps.findall("guest/arch/domain")}


@pytest.mark.parametrize("path", [DESIGN, PLAN], ids=["design", "kvm1-plan"])
def test_every_written_xml_is_defined_by_qemu_and_reads_back(conn, path):
    topo = topofile.load(path)
    files = lx.render(topo)
    kvm = "kvm" in _domain_types(conn)
    for name, text in files.items():
        if name.startswith("network-"):
            net = conn.networkDefineXML(text)
            try:
                back = SafeET.fromstring(net.XMLDesc(0))
                assert back.find("forward").attrib == SafeET.fromstring(text).find(
                    "forward").attrib
            finally:
                net.undefine()
            continue
        if not kvm:  # no /dev/kvm here: the same domain, emulated
            text = re.sub(r"<domain type=\"kvm\"", '<domain type="qemu"', text, count=1)
        dom = conn.defineXML(text)
        try:
            assert interfaces(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)) == \
                interfaces(text), name
        finally:
            dom.undefine()
