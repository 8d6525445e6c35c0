"""What the canvas gestures mean for the model: a palette drop makes a new object, a
connection between two items makes a reference. Pure logic producing undo commands, so
the tests and the scene share it."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from typing import TypeVar

from PySide6.QtGui import QUndoCommand

from console.models import (
    AttachMode,
    BridgeDomain,
    FabricInterconnect,
    Host,
    Pf,
    PortProfile,
    Switching,
    Topology,
    Vic,
    Vm,
    Vnic,
    Vtep,
)
from console.models.overlay import SEGMENT_ID_MIN
from console.views.undo import (
    COLLECTIONS,
    AddObject,
    CanvasObject,
    Macro,
    ReplaceObject,
    find,
)

PALETTE = [
    ("fi", "Fabric interconnect"),
    ("host", "VM-FEX host (VIC)"),
    ("vem", "VEM host (VXLAN)"),
    ("vm", "Virtual machine"),
    ("pp", "Port profile"),
    ("bd", "Bridge domain"),
]
MIME_KIND = "application/x-fabric-console-kind"


class GestureRefused(ValueError):
    """A drop or connection that means nothing for the model; the message says why."""


def unique_name(existing: set[str], base: str) -> str:
    i = 1
    while f"{base}{i}" in existing:
        i += 1
    return f"{base}{i}"


def _names(topo: Topology, collection: str) -> set[str]:
    return {x.name for x in getattr(topo, collection)}


def next_mac(topo: Topology) -> str:
    used = {n.mac for vm in topo.vms for n in vm.nics}
    i = 1
    while True:
        mac = f"52:54:00:{(i >> 16) & 0xff:02x}:{(i >> 8) & 0xff:02x}:{i & 0xff:02x}"
        if mac not in used:
            return mac
        i += 1


def _next_vtep_ip(topo: Topology) -> IPv4Interface:
    used = {v.ip.ip for h in topo.hosts for v in h.vteps}
    for last in range(11, 250):
        ip = IPv4Interface(f"10.0.1.{last}/24")
        if ip.ip not in used:
            return ip
    return IPv4Interface("10.0.2.11/24")


def new_object(topo: Topology, kind: str, pos: tuple[float, float],
               host: str | None = None) -> tuple[str, CanvasObject]:
    """(collection, object) for a palette kind dropped at `pos`."""
    if kind == "fi":
        return "fabric_interconnects", FabricInterconnect(
            name=unique_name(_names(topo, "fabric_interconnects"), "fi-"), position=pos)
    if kind in ("host", "vem"):
        name = unique_name(_names(topo, "hosts"), "kvm")
        if kind == "vem":
            return "hosts", Host(name=name, switching=Switching.VEM, os="rhel-6.4",
                                 uplink_mtu=topo.underlay.mtu, position=pos,
                                 vteps=[Vtep(name="vtep0", ip=_next_vtep_ip(topo),
                                             gateway=IPv4Address("10.0.1.1"))])
        fi = topo.fabric_interconnects[0].name if topo.fabric_interconnects else None
        return "hosts", Host(name=name, os="rhel-6.4", fabric_interconnect=fi, position=pos,
                             vic=Vic(model="VIC-1280", pfs=[Pf(name="eth2", vfs=32)]))
    if kind == "vm":
        if host is None:
            if not topo.hosts:
                raise GestureRefused("a VM runs on a host: add a host first, then drop the "
                                     "VM on it")
            host = topo.hosts[0].name
        return "vms", Vm(name=unique_name(_names(topo, "vms"), "vm"), host=host, position=pos)
    if kind == "bd":
        used = {bd.segment_id for bd in topo.bridge_domains}
        seg = max(used | {SEGMENT_ID_MIN + 903}) + 1  # 5000, 5001, ...
        return "bridge_domains", BridgeDomain(
            name=unique_name(_names(topo, "bridge_domains"), "bd"), segment_id=seg,
            group=IPv4Address(f"239.1.{(seg >> 8) & 0xff}.{seg & 0xff}"), position=pos)
    if kind == "pp":
        clusters = [c.name for c in topo.clusters] or ["default"]
        return "port_profiles", PortProfile(
            name=unique_name(_names(topo, "port_profiles"), "profile"), clients=clusters[:1],
            vlans=[100], position=pos)
    raise GestureRefused(f"unknown palette kind {kind!r}")


def add_command(topo: Topology, kind: str, pos: tuple[float, float],
                host: str | None = None) -> QUndoCommand:
    collection, obj = new_object(topo, kind, pos, host)
    return AddObject(topo, collection, obj, text=f"Add {obj.name}")


_Object = TypeVar("_Object", Vm, Host, PortProfile)


def _get(topo: Topology, kind: str, name: str, cls: type[_Object]) -> _Object:
    found = find(topo, COLLECTIONS[kind], name)
    if found is None or not isinstance(found[1], cls):
        raise GestureRefused(f"{name} is gone")
    return found[1]


def _nic_for(topo: Topology, vm: Vm, **ref) -> Vnic:
    host = next((h for h in topo.hosts if h.name == vm.host), None)
    names = {n.name for n in vm.nics}
    name = next(f"eth{i}" for i in range(len(names) + 1) if f"eth{i}" not in names)
    attach, pf = AttachMode.VETH, None
    if host is not None and host.switching is Switching.VMFEX:
        attach = AttachMode.MACVTAP_PASSTHROUGH
        pf = host.vic.pfs[0].name if host.vic and host.vic.pfs else None
    return Vnic(name=name, mac=next_mac(topo), attach=attach, pf=pf, **ref)


def connect_command(topo: Topology, src: tuple[str, str, int | None],
                    dst: tuple[str, str, int | None]) -> QUndoCommand:
    """The edit meant by dragging from `src` to `dst`, each (kind, name, nic index).

    VM -> host places the VM; VM or vNIC -> port profile attaches (a new vNIC from a VM, a
    profile change from a vNIC); VM -> bridge domain attaches through a port profile of
    that domain; port profile -> bridge domain makes it a VXLAN profile; host -> FI
    uplinks the host. Either direction works.
    """
    (sk, sn, snic), (dk, dn, _) = src, dst
    order = ["vm", "pp", "host", "bd", "fi"]
    if order.index(dk) < order.index(sk):
        (sk, sn, snic), (dk, dn) = (dk, dn, dst[2]), (sk, sn)
    pair = (sk, dk)
    if pair == ("vm", "host"):
        vm = _get(topo, "vm", sn, Vm)
        return ReplaceObject(topo, "vms", sn, vm.model_copy(update={"host": dn}),
                             f"Place {sn} on {dn}")
    if pair == ("vm", "pp"):
        vm = _get(topo, "vm", sn, Vm)
        nics = list(vm.nics)
        if snic is not None:
            old = nics[snic]
            nics[snic] = Vnic.model_validate({**old.model_dump(), "port_profile": dn,
                                              "network": None, "policy_profile": None})
            text = f"Attach {sn}/{old.name} to {dn}"
        else:
            nics.append(_nic_for(topo, vm, port_profile=dn))
            text = f"Attach {sn}/{nics[-1].name} to {dn}"
        return ReplaceObject(topo, "vms", sn, vm.model_copy(update={"nics": nics}), text)
    if pair == ("vm", "bd"):
        profile = next((p for p in topo.port_profiles if p.bridge_domain == dn), None)
        macro = Macro(f"Attach {sn} to bridge domain {dn}")
        children: list[QUndoCommand] = []
        if profile is None:
            clusters = [c.name for c in topo.clusters] or ["default"]
            name = dn if dn not in _names(topo, "port_profiles") else \
                unique_name(_names(topo, "port_profiles"), f"{dn}-")
            profile = PortProfile(name=name, clients=clusters[:1], bridge_domain=dn)
            children.append(AddObject(topo, "port_profiles", profile))
        inner = connect_command(topo, ("vm", sn, snic), ("pp", profile.name, None))
        children.append(inner)  # both edits are one undo step
        return macro.adopt(children)
    if pair == ("pp", "bd"):
        pp = _get(topo, "pp", sn, PortProfile)
        new = PortProfile.model_validate({**pp.model_dump(), "bridge_domain": dn,
                                          "vlans": [], "native_vlan": None})
        return ReplaceObject(topo, "port_profiles", sn, new, f"{sn} carries bridge domain {dn}")
    if pair == ("host", "fi"):
        host = _get(topo, "host", sn, Host)
        return ReplaceObject(topo, "hosts", sn,
                             host.model_copy(update={"fabric_interconnect": dn}),
                             f"Uplink {sn} to {dn}")
    raise GestureRefused(f"connecting a {sk} to a {dk} means nothing: connect a VM to a host "
                         "or a port profile, a port profile to a bridge domain, a host to a "
                         "fabric interconnect")
