"""The details pane on libvirt connections (issue #12): the host's own XML beside what
Fabric Console would write, and readable properties for PFs, VFs and a host's VIC."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("libvirt")

DATA = Path(__file__).resolve().parents[1] / "data"
KVM1 = f"test://{DATA / 'kvm1.xml'}"


def _open(window, qtbot, uri: str):
    conn = window.add_connection(uri)
    qtbot.waitUntil(lambda: conn.state in ("connected", "failed"), timeout=20000)
    assert conn.state == "connected", conn.detail
    qtbot.waitUntil(lambda: conn.topology is not None
                    and window.model.connection_node(conn) is not None
                    and any(n.kind == "vm" for n in window.model.connection_node(conn).walk()),
                    timeout=20000)
    return conn


def _node(window, conn, kind: str, key: str):
    root = window.model.connection_node(conn)
    return next(n for n in root.walk() if n.kind == kind and n.key == key)


def _select(window, node) -> None:
    window.mark_user_selection()
    window.select_node(node)


def _props(window) -> dict[str, str]:
    tree = window.details.properties
    return {tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(1)
            for i in range(tree.topLevelItemCount())}


def _live_is_read(details) -> bool:
    return not details.live_box.isHidden() and details.live_config.toPlainText() not in ("",
                                                                                      "reading…")


# ------------------------------------------------------------ defect 2: the real XML
def test_vif_shows_the_domains_real_interface_beside_the_product_xml(window, qtbot):
    conn = _open(window, qtbot, "test:///default")
    details = window.details
    _select(window, _node(window, conn, "vif", "test/testnet0"))
    details.tabs.setCurrentIndex(2)
    assert details.live_title.text() == "libvirt XML (live, from the host)"
    assert details.config_title.text() == "What Fabric Console would write"
    qtbot.waitUntil(lambda: _live_is_read(details), timeout=10000)
    live = ET.fromstring(details.live_config.toPlainText())
    # what the host holds: a NAT network interface, not a bridge on br-vem
    assert live.tag == "interface" and live.get("type") == "network"
    assert live.find("source").get("network") == "default"
    assert "br-vem" not in details.live_config.toPlainText()
    # and beside it what the product would write for this plain host: the same network
    product = details.config.toPlainText()
    assert "<source network=\"default\"" in product.replace("'", '"')
    assert "openvswitch" not in product and "br-vem" not in product
    details.grab().save("/tmp/details-vif.png")


def test_vm_shows_its_live_domain_xml(window, qtbot):
    conn = _open(window, qtbot, "test:///default")
    details = window.details
    _select(window, _node(window, conn, "vm", "test"))
    qtbot.waitUntil(lambda: _live_is_read(details), timeout=10000)
    dom = ET.fromstring(details.live_config.toPlainText())
    assert dom.tag == "domain" and dom.findtext("name") == "test"
    assert dom.find("./devices/disk") is not None  # the whole domain, not our minimal one


def test_the_live_side_says_reading_then_shows_a_failure_as_a_message(window, qtbot):
    conn = _open(window, qtbot, "test:///default")
    details = window.details
    vif = _node(window, conn, "vif", "test/testnet0")
    # the host's connection is gone by the time the pane reads (the state has not caught
    # up yet): the read fails, and the pane says why in words
    libvirt_conn, conn.backend.connection.conn = conn.backend.connection.conn, None
    try:
        _select(window, vif)
        assert details.live_config.toPlainText() == "reading…"  # until the host answers
        qtbot.waitUntil(lambda: _live_is_read(details), timeout=10000)
    finally:
        conn.backend.connection.conn = libvirt_conn
    text = details.live_config.toPlainText()
    assert text == "Cannot read it from the host: test:///default: not connected"


def test_emulated_connection_shows_only_the_product_preview(window, qtbot):
    conn = window.add_connection("emulated:///demo")
    qtbot.waitUntil(lambda: conn.state == "connected" and conn.topology is not None,
                    timeout=20000)
    _select(window, _node(window, conn, "vif", "web1/eth0"))
    details = window.details
    qtbot.waitUntil(lambda: details._live_task is None or details._live_task.done())
    assert details.live_box.isHidden()
    assert "<interface" in details.config.toPlainText()


# -------------------------------------------------------- defect 4: readable properties
def test_vf_pf_and_host_properties_are_readable(window, qtbot):
    conn = _open(window, qtbot, KVM1)
    _select(window, _node(window, conn, "host", "kvm1"))
    props = _props(window)
    assert props["VIC"] == ("VIC-1280: eth2 (8 VFs, PCI 0000:0b:00.0), "
                            "eth3 (4 VFs, PCI 0000:0c:00.0)")

    _select(window, _node(window, conn, "pf", "kvm1/eth2"))
    pf_rows = [window.details.properties.topLevelItem(i).text(0)
               for i in range(window.details.properties.topLevelItemCount())]
    assert [r.lower() for r in pf_rows].count("vfs") == 1, pf_rows
    assert _props(window)["VFs"] == "8"

    vf = _node(window, conn, "vf", "kvm1/eth2/0")
    _select(window, vf)
    props = _props(window)
    assert props["PF"] == "eth2" and props["VF"] == "0"
    assert props["held by"] == vf.state and props["planned PCI address"] == "0000:0b:00.1"
