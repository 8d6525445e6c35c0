"""OpenStack-style objects of Nexus 1000V for KVM: tenants, network segments, subnets
(IP pools) and policy profiles. Source: the Cisco Nexus 1000V
for KVM VXLAN Configuration Guide."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from .base import Model, Owner
from .types import Ip, IpNetwork, Name, VlanId
from .vmfex import MacForging, Qos


class NetworkType(StrEnum):
    """Network segment types. Network profiles exist automatically, one per type."""

    VLAN = "vlan"
    VLAN_TRUNK = "vlan-trunk"
    VXLAN = "vxlan"


class Tenant(Model):
    name: Name
    owner: Owner = Owner.CONSOLE


class Network(Model):
    """A network segment: a VLAN, a VLAN trunk, or a VXLAN (a bridge domain)."""

    name: Name
    tenant: Name | None = None
    type: NetworkType
    vlan: VlanId | None = None
    vlans: list[VlanId] = Field(default_factory=list)
    bridge_domain: Name | None = None
    owner: Owner = Owner.CONSOLE

    @model_validator(mode="after")
    def _fields_match_type(self) -> Network:
        wanted = {
            NetworkType.VLAN: "vlan",
            NetworkType.VLAN_TRUNK: "vlans",
            NetworkType.VXLAN: "bridge_domain",
        }[self.type]
        given = {
            "vlan": self.vlan is not None,
            "vlans": bool(self.vlans),
            "bridge_domain": self.bridge_domain is not None,
        }
        if not given[wanted]:
            raise ValueError(f"a {self.type.value} network needs '{wanted}'")
        extra = [k for k, v in given.items() if v and k != wanted]
        if extra:
            raise ValueError(f"a {self.type.value} network takes '{wanted}', not {extra}")
        return self


class Subnet(Model):
    """An IP address pool of a network."""

    name: Name
    network: Name
    cidr: IpNetwork
    gateway: Ip | None = None
    pool: tuple[Ip, Ip] | None = None
    owner: Owner = Owner.CONSOLE

    @model_validator(mode="after")
    def _addresses_inside(self) -> Subnet:
        if self.gateway is not None and self.gateway not in self.cidr:
            raise ValueError(f"gateway {self.gateway} is outside {self.cidr}")
        if self.pool is not None:
            lo, hi = self.pool
            for address in (lo, hi):
                if address not in self.cidr:
                    raise ValueError(f"pool address {address} is outside {self.cidr}")
            if lo > hi:
                raise ValueError(f"pool starts at {lo}, after its end {hi}")
        return self


class PolicyProfile(Model):
    """OpenStack's name for a VSM port profile: port policy, including security."""

    name: Name
    mac_forging: MacForging = MacForging.DENY
    qos: Qos | None = None
    owner: Owner = Owner.CONSOLE
