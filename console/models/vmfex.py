"""VM-FEX objects: port profiles, their QoS, VIC adapters and SR-IOV physical functions.

Source: the Cisco UCS Manager VM-FEX for KVM CLI Configuration Guide.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field, model_validator

from .base import Model, Owner
from .types import Name, RateMbps, Text, VlanId


class AttachMode(StrEnum):
    """How a vNIC reaches the network: the three VM-FEX driver topologies, or a VEM vEth."""

    MACVTAP_PRIVATE = "macvtap-private"  # MacVTap Direct (private): one VIC port per VM
    MACVTAP_PASSTHROUGH = "macvtap-passthrough"  # SR-IOV with MacVTap (emulation mode)
    HOSTDEV = "hostdev"  # SR-IOV passthrough: enic in the guest on a VF
    VETH = "veth"  # Nexus 1000V VEM virtual Ethernet port

    @property
    def uses_vf(self) -> bool:
        return self in (AttachMode.MACVTAP_PASSTHROUGH, AttachMode.HOSTDEV)

    @property
    def is_vmfex(self) -> bool:
        return self is not AttachMode.VETH

    @property
    def live_migration(self) -> bool:
        return self is not AttachMode.HOSTDEV


class HostIo(StrEnum):
    """Host network IO performance of a port profile."""

    NONE = "none"
    HIGH_PERFORMANCE = "high-performance"


class MacForging(StrEnum):
    """Network control policy: may a VM send frames from a MAC that is not its own?"""

    ALLOW = "allow"
    DENY = "deny"


class Qos(Model):
    """Ingress policing of a VIF: a token bucket at rate_mbps."""

    write_always: ClassVar[frozenset[str]] = frozenset({"rate_mbps"})

    rate_mbps: RateMbps
    burst_kb: int = Field(default=64, ge=1, le=1_048_576)


class PortProfile(Model):
    """A port profile: the network settings of every VIF that uses it.

    Applied to clusters (its port profile clients). VM-FEX fields come from UCS Manager;
    `bridge_domain` makes it a Nexus 1000V VXLAN (vethernet) port profile.
    """

    name: Name
    clients: list[Name] = Field(default_factory=list)
    vlans: list[VlanId] = Field(default_factory=list)
    native_vlan: VlanId | None = None
    max_ports: int | None = Field(default=None, ge=1, le=4096)
    host_io: HostIo = HostIo.NONE
    qos: Qos | None = None
    mac_forging: MacForging = MacForging.ALLOW
    bridge_domain: Name | None = None
    owner: Owner = Owner.CONSOLE
    description: Text = Field(default="", max_length=256)
    position: tuple[float, float] | None = None  # where the topology canvas draws it

    @model_validator(mode="after")
    def _native_in_vlans(self) -> PortProfile:
        if self.native_vlan is not None and self.vlans and self.native_vlan not in self.vlans:
            raise ValueError(f"native_vlan {self.native_vlan} is not one of vlans {self.vlans}")
        return self

    @property
    def access_vlan(self) -> int | None:
        """The VLAN an untagged frame from a VIF is switched in."""
        if self.native_vlan is not None:
            return self.native_vlan
        return self.vlans[0] if self.vlans else None


class Pf(Model):
    """An SR-IOV physical function of a VIC adapter and how many VFs it offers."""

    name: Name
    vfs: int = Field(default=0, ge=0, le=256)
    # pydantic runs `pattern` with the Rust regex crate, where `$` is the end of the text
    # (no newline before it), and [0-9a-f] is ASCII: this one is exact as written.
    pci: str | None = Field(default=None, pattern=r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


class Vic(Model):
    """A Cisco Virtual Interface Card adapter in a VM-FEX host."""

    model: Text = Field(min_length=1, max_length=32)
    ports: int = Field(default=2, ge=1, le=8, description="physical uplink ports")
    pfs: list[Pf] = Field(default_factory=list)


# SR-IOV-capable VIC models (reference: "The following Cisco Virtual Interface Cards support
# SR-IOV with VM-FEX") and the vNICs each supports (M81KR class 128, 12xx series 256).
SRIOV_VIC_MODELS: dict[str, int] = {
    "M81KR": 128,
    "P81E": 128,
    "VIC-1280": 256,
    "VIC-1240": 256,
    "VIC-1225": 256,
}


def vic_family(model: str) -> str | None:
    """The canonical VIC model name for a spelling such as 'VIC 1280' or 'UCS-M81KR'."""
    key = model.upper().replace(" ", "-").removeprefix("UCS-").removeprefix("CISCO-")
    if key in SRIOV_VIC_MODELS:
        return key
    if key.isdigit() and f"VIC-{key}" in SRIOV_VIC_MODELS:
        return f"VIC-{key}"
    return None
