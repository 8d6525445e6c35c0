"""The topology: the root object a file holds and every view and backend shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal

from pydantic import Field, field_validator

from .base import Model
from .fabric import Ucs, Underlay
from .inventory import Cluster, FabricInterconnect, Host, Vm, Vnic
from .openstack import Network, PolicyProfile, Subnet, Tenant
from .overlay import BridgeDomain, Vsm
from .traffic import TrafficFlow
from .types import Text
from .vmfex import PortProfile

FORMAT: Final = "fabric-console/1"


class Topology(Model):
    """Everything a `fabric-console/1` file describes."""

    write_always: ClassVar[frozenset[str]] = frozenset({"format", "name"})

    format: Literal["fabric-console/1"] = FORMAT
    name: Text = Field(default="untitled", min_length=1, max_length=128)
    ucs: Ucs = Field(default_factory=Ucs)
    underlay: Underlay = Field(default_factory=Underlay)
    vsm: Vsm = Field(default_factory=Vsm)
    clusters: list[Cluster] = Field(default_factory=list)
    fabric_interconnects: list[FabricInterconnect] = Field(default_factory=list)
    bridge_domains: list[BridgeDomain] = Field(default_factory=list)
    port_profiles: list[PortProfile] = Field(default_factory=list)
    tenants: list[Tenant] = Field(default_factory=list)
    networks: list[Network] = Field(default_factory=list)
    subnets: list[Subnet] = Field(default_factory=list)
    policy_profiles: list[PolicyProfile] = Field(default_factory=list)
    hosts: list[Host] = Field(default_factory=list)
    vms: list[Vm] = Field(default_factory=list)
    traffic: list[TrafficFlow] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _visible_name(cls, name: str) -> str:
        # Runs after Text has dropped control characters: a name of only those would
        # otherwise load as '' and then refuse to load once saved.
        if not name:
            raise ValueError("the topology's name has no visible characters")
        return name

    def index(self) -> TopologyIndex:
        """A snapshot of name lookups. Build one per piece of work (a validation run, an
        engine compile); it does not follow later edits."""
        return TopologyIndex.build(self)

    # Structural edits replace the list, so the field's event fires once per edit.
    def add(self, collection: str, item: Model) -> None:
        """Append `item` to the named list (e.g. 'vms') and emit that list's event."""
        setattr(self, collection, [*getattr(self, collection), item])

    def remove(self, collection: str, item: Model) -> None:
        """Remove `item` (by identity) from the named list and emit that list's event."""
        setattr(self, collection, [x for x in getattr(self, collection) if x is not item])


@dataclass(frozen=True)
class VifRef:
    """A VIF: one vNIC of one VM, written vm/nic."""

    vm: Vm
    nic: Vnic

    @property
    def id(self) -> str:
        return f"{self.vm.name}/{self.nic.name}"


@dataclass
class TopologyIndex:
    """Name -> object maps for one topology (first definition wins on duplicates)."""

    clusters: dict[str, Cluster]
    fabric_interconnects: dict[str, FabricInterconnect]
    bridge_domains: dict[str, BridgeDomain]
    port_profiles: dict[str, PortProfile]
    tenants: dict[str, Tenant]
    networks: dict[str, Network]
    subnets: dict[str, Subnet]
    policy_profiles: dict[str, PolicyProfile]
    hosts: dict[str, Host]
    vms: dict[str, Vm]
    vifs: dict[str, VifRef]

    @classmethod
    def build(cls, topo: Topology) -> TopologyIndex:
        def by_name(items: Sequence[Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for item in items:
                out.setdefault(item.name, item)
            return out

        vifs: dict[str, VifRef] = {}
        for vm in topo.vms:
            for nic in vm.nics:
                vifs.setdefault(f"{vm.name}/{nic.name}", VifRef(vm, nic))
        return cls(
            clusters=by_name(topo.clusters),
            fabric_interconnects=by_name(topo.fabric_interconnects),
            bridge_domains=by_name(topo.bridge_domains),
            port_profiles=by_name(topo.port_profiles),
            tenants=by_name(topo.tenants),
            networks=by_name(topo.networks),
            subnets=by_name(topo.subnets),
            policy_profiles=by_name(topo.policy_profiles),
            hosts=by_name(topo.hosts),
            vms=by_name(topo.vms),
            vifs=vifs,
        )
