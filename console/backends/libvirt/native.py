"""The host's own XML of one object, for the details pane (blocking: run on the
connection's thread, see LibvirtBackend.native_config).

What libvirt holds now, not what the product would write: a VM's domain XML
(`virDomain.XMLDesc`), a VIF's `<interface>` element of it, a libvirt network's XML
(`virNetwork.XMLDesc`) for a port profile that is one (`lv-NAME`) or a portgroup of one,
the networks of a host, and a PF's node device XML.
"""

from __future__ import annotations

import libvirt
from defusedxml import ElementTree as SafeET

from console.export import libvirt as lx

from . import parse
from .steps import find_interface


class NotOnHost(LookupError):
    """The object is not on this host (the message says which)."""


def _domain(conn: libvirt.virConnect, vm: str) -> libvirt.virDomain:
    try:
        return conn.lookupByName(vm)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            raise NotOnHost(f"no domain named {vm} on this host") from None
        raise


def domain_xml(conn: libvirt.virConnect, vm: str) -> str:
    return str(_domain(conn, vm).XMLDesc(0))


def interface_xml(conn: libvirt.virConnect, vm: str, nic: str) -> str:
    """The `<interface>` of vNIC `nic` in the domain's live XML. Discovery names a vNIC by
    its user alias, else its target device, else `netN` by position: found the same way."""
    root = SafeET.fromstring(domain_xml(conn, vm))
    devices = root.find("devices")
    ifaces = devices.findall("interface") if devices is not None else []
    iface = find_interface(devices, nic) if devices is not None else None
    if iface is None and nic.startswith("net") and nic[3:].isdigit() \
            and int(nic[3:]) < len(ifaces):
        iface = ifaces[int(nic[3:])]
    if iface is None:
        raise NotOnHost(f"{vm} has no interface {nic} on this host")
    iface.tail = None  # the domain's indentation after it, not part of the element
    return lx.to_text(iface)


def _networks(conn: libvirt.virConnect) -> list[libvirt.virNetwork]:
    try:
        return sorted(conn.listAllNetworks(), key=lambda n: n.name())
    except libvirt.libvirtError:
        return []  # a driver without virtual networks


def profile_xml(conn: libvirt.virConnect, profile: str) -> str | None:
    """The network a port profile stands for: `lv-NAME` is network NAME; a profile id is
    the portgroups (or virtualport) of the networks that carry it. None: no network does
    (a bridge, an openvswitch port, a profile only the topology file defines)."""
    texts: list[str] = []
    for net in _networks(conn):
        try:
            text = net.XMLDesc(0)
        except libvirt.libvirtError:
            continue  # undefined between list and read
        pool = parse.parse_network(text)
        if profile == f"{parse.PSEUDO_PROFILE_PREFIX}{pool.name}" \
                or profile in pool.portgroups.values() or profile == pool.profile:
            texts.append(text)
    return "\n".join(texts) if texts else None


def host_xml(conn: libvirt.virConnect) -> str | None:
    """A host's libvirt networks (its VF pools among them): the live side of the pool
    networks the product would write for it."""
    texts = []
    for net in _networks(conn):
        try:
            texts.append(net.XMLDesc(0))
        except libvirt.libvirtError:
            continue
    return "\n".join(texts) if texts else None


def pf_xml(conn: libvirt.virConnect, pf: str) -> str | None:
    """The node device XML of the PCI function under net device `pf`, with its VFs
    (virt_functions); None without node device access or such a device."""
    try:
        devices = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET)
    except libvirt.libvirtError:
        return None
    for dev in devices:
        try:
            root = SafeET.fromstring(dev.XMLDesc(0))
        except libvirt.libvirtError:
            continue
        if root.findtext("./capability/interface") != pf:
            continue
        parent = root.findtext("parent")
        if not parent:
            return None
        try:
            return str(conn.nodeDeviceLookupByName(parent).XMLDesc(0))
        except libvirt.libvirtError:
            return None
    return None


def native_config(conn: libvirt.virConnect, kind: str, name: str) -> str | None:
    """The host's XML for a tree object (`kind` as the tree names it, `name` its key:
    "vm/nic" for a VIF, "host/pf" for a PF), or None when libvirt has none for it."""
    if kind == "vm":
        return domain_xml(conn, name)
    if kind == "vif" and "/" in name:
        vm, nic = name.split("/", 1)
        return interface_xml(conn, vm, nic)
    if kind == "profile":
        return profile_xml(conn, name)
    if kind == "host":
        return host_xml(conn)
    if kind == "pf" and "/" in name:
        return pf_xml(conn, name.split("/", 1)[1])
    return None


__all__ = ["NotOnHost", "native_config"]
