"""Changes an administrator applies to a fabric, and what a backend reports back.

Every backend takes the same change objects: the emulated fabric applies them to the
engine, libvirt turns them into XML and API calls, the kernel lab into netlink. Each
carries the new state of the object (not a diff), so applying it twice is harmless, and
says in a few words what it does (`describe()`: undo menus, `apply` plans, live results)
and which object it is about (`subject`: the VM, host, profile or bridge domain by name,
as a backend's event names it).
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

    def describe(self) -> str:
        return f"Edit port profile {self.profile.name}"

    @property
    def subject(self) -> str:
        return self.profile.name


@dataclass(frozen=True)
class PortProfileRemove:
    name: str

    def describe(self) -> str:
        return f"Delete port profile {self.name}"

    @property
    def subject(self) -> str:
        return self.name


@dataclass(frozen=True)
class NicAttach:
    vm: str
    nic: Vnic

    def describe(self) -> str:
        return f"Attach vNIC {self.vm}/{self.nic.name}"

    @property
    def subject(self) -> str:
        return self.vm


@dataclass(frozen=True)
class NicDetach:
    vm: str
    nic: str

    def describe(self) -> str:
        return f"Detach vNIC {self.vm}/{self.nic}"

    @property
    def subject(self) -> str:
        return self.vm


@dataclass(frozen=True)
class NicUpdate:
    """A vNIC's new settings (port profile, attach mode, PF, MTU...), by name."""

    vm: str
    nic: Vnic

    def describe(self) -> str:
        return f"Edit vNIC {self.vm}/{self.nic.name}"

    @property
    def subject(self) -> str:
        return self.vm


@dataclass(frozen=True)
class VmDefine:
    """A VM added (or redefined) with its vNICs."""

    vm: Vm

    def describe(self) -> str:
        return f"Define VM {self.vm.name} ({len(self.vm.nics)} vNICs)"

    @property
    def subject(self) -> str:
        return self.vm.name


@dataclass(frozen=True)
class VmRemove:
    name: str

    def describe(self) -> str:
        return f"Delete VM {self.name}"

    @property
    def subject(self) -> str:
        return self.name


@dataclass(frozen=True)
class VtepEdit:
    """A VEM's complete VTEP list and designated-VTEP overrides."""

    host: str
    vteps: tuple[Vtep, ...]
    designated_vteps: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"Edit VTEPs of {self.host}"

    @property
    def subject(self) -> str:
        return self.host


@dataclass(frozen=True)
class BridgeDomainEdit:
    bridge_domain: BridgeDomain
    old_name: str | None = None

    def describe(self) -> str:
        return f"Edit bridge domain {self.bridge_domain.name}"

    @property
    def subject(self) -> str:
        return self.bridge_domain.name


@dataclass(frozen=True)
class BridgeDomainRemove:
    name: str

    def describe(self) -> str:
        return f"Delete bridge domain {self.name}"

    @property
    def subject(self) -> str:
        return self.name


@dataclass(frozen=True)
class VsmEdit:
    """VSM settings, e.g. `no feature segmentation` (segmentation=False)."""

    vsm: Vsm

    def describe(self) -> str:
        return "Enable segmentation" if self.vsm.segmentation else "Disable segmentation"

    @property
    def subject(self) -> str:
        return "vsm"


@dataclass(frozen=True)
class Migrate:
    vm: str
    dest_host: str

    def describe(self) -> str:
        return f"Migrate {self.vm} to {self.dest_host}"

    @property
    def subject(self) -> str:
        return self.vm


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
