"""Nexus 1000V VXLAN objects: bridge domains, VTEPs and the VSM settings.

Source: the Cisco Nexus 1000V for KVM VXLAN Configuration Guide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from .base import Model, Owner
from .types import Ip, IpInterface, Name, SegmentId

VXLAN_OVERHEAD = 50
"""Bytes VXLAN encapsulation adds (outer Ethernet, IP, UDP and VXLAN headers)."""

MAX_VTEPS_PER_VEM = 4
SEGMENT_ID_MIN = 4096
SEGMENT_ID_MAX = 16_000_000


class FloodMode(StrEnum):
    """How a bridge domain carries broadcast, multicast and unknown unicast."""

    MULTICAST = "multicast"
    UNICAST_ONLY = "unicast-only"


class BridgeDomain(Model):
    """A VXLAN segment: a 24-bit segment id and its flood mode."""

    write_always: ClassVar[frozenset[str]] = frozenset({"mode"})

    name: Name
    segment_id: SegmentId
    mode: FloodMode = FloodMode.MULTICAST
    group: Ip | None = None
    owner: Owner = Owner.CONSOLE
    position: tuple[float, float] | None = None


class Vtep(Model):
    """A VXLAN tunnel endpoint of a VEM: IPv4 address with prefix, and optionally the
    gateway of `transport ip address external`."""

    name: Name
    ip: IpInterface
    gateway: Ip | None = None


class Vsm(Model):
    """Virtual Supervisor Module settings that apply to every VEM."""

    segmentation: bool = True  # `feature segmentation`
    mac_aging_s: int = Field(default=300, ge=1, le=1_000_000)
