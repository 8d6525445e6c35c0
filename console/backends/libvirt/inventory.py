"""Read one host's inventory through libvirt (blocking: run on the connection's thread).

One Host per connection, named by getHostname(); for libvirt's test driver, whose
hostname is the machine's, by the node file's name (`test:///path/kvm1.xml` -> kvm1,
`test:///default` -> default), so that several test hosts have distinct names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import libvirt

from console.models import Topology

from . import parse
from .stats import Targets


@dataclass
class HostFacts:
    """What one poll of a host's inventory found, and what stats and apply need from it."""

    host: str
    topology: Topology
    targets: Targets  # vm -> {target dev -> vNIC name}
    networks: dict[str, parse.PoolNetwork] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)


def host_name(conn: libvirt.virConnect, uri: str) -> str:
    parts = urlsplit(uri)
    if parts.scheme.split("+", 1)[0] == "test":
        stem = PurePosixPath(parts.path).stem or "default"
        return parse.safe_name(stem, "test")
    try:
        name = conn.getHostname()
    except libvirt.libvirtError:
        name = parts.hostname or "localhost"
    return parse.safe_name(name, "localhost")


def _node_device_xml(conn: libvirt.virConnect) -> list[str]:
    out: list[str] = []
    try:
        devices = conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV
                                      | libvirt.VIR_CONNECT_LIST_NODE_DEVICES_CAP_NET)
    except libvirt.libvirtError:
        return out  # no node device driver on this connection: no VIC to discover
    for dev in devices:
        try:
            out.append(dev.XMLDesc(0))
        except libvirt.libvirtError:
            continue  # a device that vanished between list and read
    return out


def _name_of(obj: libvirt.virDomain | libvirt.virNetwork) -> str:
    return str(obj.name())


def read(conn: libvirt.virConnect, uri: str) -> HostFacts:
    name = host_name(conn, uri)
    nodes = parse.parse_node_devices(_node_device_xml(conn))
    networks: dict[str, parse.PoolNetwork] = {}
    try:
        all_networks = conn.listAllNetworks()
    except libvirt.libvirtError:
        all_networks = []  # a driver without virtual networks: no pools
    # libvirt lists domains and networks in no fixed order (the test driver's hash table
    # changes it on every open): sorted by name, a finding's path (`vms[3].nics[0]`) names
    # the same VM from one read to the next.
    for net in sorted(all_networks, key=_name_of):
        try:
            info = parse.parse_network(net.XMLDesc(0))
        except libvirt.libvirtError:
            continue
        networks[info.name] = info
    domains: list[parse.DomainFacts] = []
    targets: Targets = {}
    running: set[str] = set()
    for dom in sorted(conn.listAllDomains(), key=_name_of):
        try:
            active = bool(dom.isActive())
            facts = parse.parse_domain(dom.XMLDesc(0), name, active, networks, nodes)
        except libvirt.libvirtError:
            continue  # undefined between list and read
        domains.append(facts)
        targets[dom.name()] = {n.target: n.vnic.name for n in facts.nics if n.target}
        if active:
            running.add(dom.name())
    topo = parse.host_topology(name, domains, list(networks.values()), nodes)
    return HostFacts(name, topo, targets, networks, running)
