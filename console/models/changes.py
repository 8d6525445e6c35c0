"""Changes an administrator applies to a fabric, and what a backend reports back.

Every backend takes the same change objects: the emulated fabric applies them to the
engine, libvirt turns them into XML and API calls, the kernel lab into netlink. Each
carries the new state of the object (not a diff), so applying it twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Finding
from .inventory import Vm, Vnic
from .overlay import BridgeDomain, Vsm, Vtep
from .vmfex import PortProfile


@dataclass(frozen=True)
class PortProfileEdit:
    """A port profile's new settings; every VIF that uses it follows at once."""

    profile: PortProfile
    old_name: str | None = None  # set when the edit renames the profile


@dataclass(frozen=True)
class PortProfileRemove:
    name: str


@dataclass(frozen=True)
class NicAttach:
    vm: str
    nic: Vnic


@dataclass(frozen=True)
class NicDetach:
    vm: str
    nic: str


@dataclass(frozen=True)
class NicUpdate:
    """A vNIC's new settings (port profile, attach mode, PF, MTU...), by name."""

    vm: str
    nic: Vnic


@dataclass(frozen=True)
class VmDefine:
    """A VM added (or redefined) with its vNICs."""

    vm: Vm


@dataclass(frozen=True)
class VmRemove:
    name: str


@dataclass(frozen=True)
class VtepEdit:
    """A VEM's complete VTEP list and designated-VTEP overrides."""

    host: str
    vteps: tuple[Vtep, ...]
    designated_vteps: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BridgeDomainEdit:
    bridge_domain: BridgeDomain
    old_name: str | None = None


@dataclass(frozen=True)
class BridgeDomainRemove:
    name: str


@dataclass(frozen=True)
class VsmEdit:
    """VSM settings, e.g. `no feature segmentation` (segmentation=False)."""

    vsm: Vsm


@dataclass(frozen=True)
class Migrate:
    vm: str
    dest_host: str


Change = (PortProfileEdit | PortProfileRemove | NicAttach | NicDetach | NicUpdate | VmDefine
          | VmRemove | VtepEdit | BridgeDomainEdit | BridgeDomainRemove | VsmEdit | Migrate)


@dataclass
class ChangeResult:
    """What happened: applied or refused, with the reason and the findings behind it."""

    change: Change
    applied: bool
    message: str
    findings: list[Finding] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)  # what the backend did, in order
