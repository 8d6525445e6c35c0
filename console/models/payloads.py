"""What crosses the layers besides the topology itself: the rows of a VSM table (the
engine and the backends fill them, the views show them) and what an event of a backend
carries (backends.base.BackendEvent.data).

    L2Entry(mac, vem, vtep_ip, age_s, local)     Backend.l2_table(), Fabric.l2_table()
    VtepInfo(vem, vtep, ip, designated, member)  vtep_roles(), Fabric.vteps()
    EventData                                    BackendEvent.data, by key
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from .changes import Change
from .derived import Derived
from .inventory import Switching
from .topology import Topology


@dataclass(frozen=True)
class L2Entry:
    """One entry of a VEM's L2 table in a bridge domain. Local entries (a VM on this VEM)
    have no VTEP; remote ones name the VTEP learned on decapsulation."""

    mac: str
    vem: str
    vtep_ip: str | None
    age_s: float
    local: bool


@dataclass(frozen=True)
class VtepInfo:
    """A VTEP as a bridge domain sees it: is it its VEM's designated VTEP for the
    segment, and is that VEM a member (at least one running VM in the segment)?
    `ip` is the address alone; `cidr` with its prefix and `gateway` ("" for none) as
    the VEM's `transport ip address` line gives them."""

    vem: str
    vtep: str
    ip: str
    designated: bool
    member: bool
    cidr: str = ""
    gateway: str = ""


def vtep_roles(topo: Topology, bridge_domain: str,
               derived: Derived | None = None) -> list[VtepInfo]:
    """Every VTEP of every VEM, host by host, with its role in this bridge domain (none
    designated when there is no such bridge domain)."""
    d = derived if derived is not None else Derived(topo)
    bd = d.index.bridge_domains.get(bridge_domain)
    members = set(d.segment_members.get(bridge_domain, []))
    out = []
    for host in topo.hosts:
        if host.switching is not Switching.VEM:
            continue
        chosen = d.designated_vtep(host, bd) if bd is not None else None
        for v in host.vteps:
            out.append(VtepInfo(host.name, v.name, str(v.ip.ip),
                                v is chosen,
                                host.name in members, str(v.ip),
                                str(v.gateway) if v.gateway else ""))
    return out


class EventData(TypedDict, total=False):
    """What a backend event carries, by key: each key means one thing, with one type, on
    every backend. Which keys an event has goes by its kind:

    - STATE: `state` (a ConnectionState value); the emulated clock adds `speed`.
    - PROGRESS: `percent`, and `step` (what it is doing) or `dest` (a migration's host).
    - CONFIG and LIFECYCLE after Backend.apply (Backend.announce): `change`, the change
      carried out, with its result's `message` and `steps`.
    - LIFECYCLE from libvirt's domain events: `host`, `event` and `detail` (libvirt's
      VIR_DOMAIN_EVENT_* codes); CONFIG from a device event: `host` and `device`.
    - LOG after a failed reconnect attempt: `retry_in_s`.
    """

    state: str
    speed: float
    percent: float
    step: str
    dest: str
    change: Change
    message: str
    steps: list[str]
    host: str | None
    event: int
    detail: int
    device: str
    retry_in_s: float
