"""Clusters, fabric interconnects, hosts, VMs and their vNICs."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import ClassVar

from pydantic import Field, field_validator, model_validator

from .base import Model
from .overlay import Vtep
from .types import Ip, Mac, Mtu, Name
from .vmfex import AttachMode, Vic

DEFAULT_CLUSTER = "default"
_OS_RE = re.compile(r"rhel-([0-9]+)\.([0-9]+)")  # fullmatch: ASCII, nothing after


class Cluster(Model):
    """A UCS cluster: the scope of port profiles and the boundary of live migration."""

    name: Name


class FabricInterconnect(Model):
    """A fabric interconnect: does all VM-FEX switching, between VIFs included."""

    name: Name
    position: tuple[float, float] | None = None


class Switching(StrEnum):
    """Who switches a host's VM traffic.

    `plain` is a KVM host on neither fabric: its VMs sit on the hypervisor's own Linux
    bridge or libvirt networks (libvirt's `test:///default`, a workstation running
    virt-manager). Fabric Console monitors it (inventory, counters) but the VM-FEX and VEM
    rules do not apply to it, and its VMs are not on the emulated fabric: a simulation
    connects their VIFs to no switch, so what they send is counted as refused at ingress
    (tx_drops) and nothing reaches them (the fabric cannot see a host's own bridge).
    """

    VMFEX = "vmfex"  # the VIC and the fabric interconnect; no switching in the hypervisor
    VEM = "vem"  # a Nexus 1000V VEM in the hypervisor
    PLAIN = "plain"  # the hypervisor's own bridge / libvirt networks: not on the fabric

    @property
    def on_fabric(self) -> bool:
        """Does the fabric (the FI or a VEM) switch this host's VMs?"""
        return self is not Switching.PLAIN


class Host(Model):
    """A KVM hypervisor: a VM-FEX host with a VIC adapter, a VEM host with VTEPs, or a
    plain host (its own bridge, see Switching.PLAIN)."""

    write_always: ClassVar[frozenset[str]] = frozenset({"cluster", "switching"})

    name: Name
    cluster: Name = DEFAULT_CLUSTER
    os: str | None = Field(default=None, max_length=32)
    switching: Switching = Switching.VMFEX
    fabric_interconnect: Name | None = None
    vic: Vic | None = None
    uplink_mtu: Mtu | None = None
    vteps: list[Vtep] = Field(default_factory=list)
    designated_vteps: dict[Name, Name] = Field(
        default_factory=dict,
        description="bridge domain -> VTEP name: overrides the designated VTEP choice",
    )
    qemu_pci_slots: int = Field(default=32, ge=1, le=256)
    position: tuple[float, float] | None = None

    @field_validator("os")
    @classmethod
    def _os_form(cls, value: str | None) -> str | None:
        if value is not None and not _OS_RE.fullmatch(value):
            raise ValueError("os is written rhel-MAJOR.MINOR, e.g. rhel-6.4")
        return value

    @property
    def os_release(self) -> tuple[int, int] | None:
        """(major, minor) of the RHEL release, or None when not stated."""
        if self.os is None:
            return None
        m = _OS_RE.fullmatch(self.os)
        assert m is not None
        return int(m.group(1)), int(m.group(2))


class Vnic(Model):
    """A VM's virtual NIC. It names a port profile, or an OpenStack network with a policy
    profile (whose dynamic port profile is derived)."""

    write_always: ClassVar[frozenset[str]] = frozenset({"attach"})

    name: Name
    mac: Mac
    port_profile: Name | None = None
    network: Name | None = None
    policy_profile: Name | None = None
    attach: AttachMode = AttachMode.VETH
    pf: Name | None = None
    mtu: Mtu = 1500
    ip: Ip | None = None

    @model_validator(mode="after")
    def _one_way_to_a_profile(self) -> Vnic:
        openstack = self.network is not None or self.policy_profile is not None
        if self.port_profile is not None and openstack:
            raise ValueError("a vNIC names a port_profile, or a network and a policy_profile, "
                             "not both")
        if openstack and (self.network is None or self.policy_profile is None):
            raise ValueError("a vNIC on an OpenStack network needs both network and "
                             "policy_profile")
        if self.port_profile is None and not openstack:
            raise ValueError("a vNIC needs a port_profile, or a network and a policy_profile")
        if self.pf is not None and not self.attach.uses_vf \
                and self.attach is not AttachMode.MACVTAP_PRIVATE:
            raise ValueError(f"pf is for macvtap and hostdev vNICs, not {self.attach.value}")
        return self


class VmState(StrEnum):
    RUNNING = "running"
    SHUT_OFF = "shut-off"


class Vm(Model):
    """A virtual machine on a host."""

    name: Name
    host: Name
    state: VmState = VmState.RUNNING
    nics: list[Vnic] = Field(default_factory=list)
    position: tuple[float, float] | None = None
