"""The domain model: pure Python, no Qt, no libvirt, no engine.

Names follow the reference documents: PortProfile, BridgeDomain, Vtep, Vem (a host with
`switching: vem`), Vif (a VM's vNIC as the fabric sees it), FloodMode.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_names

if TYPE_CHECKING:
    from .base import Model, Owner
    from .fabric import Ucs, Underlay
    from .inventory import (
        DEFAULT_CLUSTER,
        Cluster,
        FabricInterconnect,
        Host,
        Switching,
        Vm,
        VmState,
        Vnic,
    )
    from .openstack import Network, NetworkType, PolicyProfile, Subnet, Tenant
    from .overlay import (
        MAX_VTEPS_PER_VEM,
        SEGMENT_ID_MAX,
        SEGMENT_ID_MIN,
        VXLAN_OVERHEAD,
        BridgeDomain,
        FloodMode,
        Vsm,
        Vtep,
    )
    from .topology import FORMAT, Topology, TopologyIndex, VifRef
    from .traffic import BROADCAST, TrafficFlow
    from .vmfex import (
        SRIOV_VIC_MODELS,
        AttachMode,
        HostIo,
        MacForging,
        Pf,
        PortProfile,
        Qos,
        Vic,
        vic_family,
    )

__all__ = [
    "BROADCAST",
    "DEFAULT_CLUSTER",
    "FORMAT",
    "MAX_VTEPS_PER_VEM",
    "SEGMENT_ID_MAX",
    "SEGMENT_ID_MIN",
    "SRIOV_VIC_MODELS",
    "VXLAN_OVERHEAD",
    "AttachMode",
    "BridgeDomain",
    "Cluster",
    "FabricInterconnect",
    "FloodMode",
    "Host",
    "HostIo",
    "MacForging",
    "Model",
    "Network",
    "NetworkType",
    "Owner",
    "Pf",
    "PolicyProfile",
    "PortProfile",
    "Qos",
    "Subnet",
    "Switching",
    "Tenant",
    "Topology",
    "TopologyIndex",
    "TrafficFlow",
    "Ucs",
    "Underlay",
    "Vic",
    "VifRef",
    "Vm",
    "VmState",
    "Vnic",
    "Vsm",
    "Vtep",
    "vic_family",
]

# Each name is imported from its module when first used, not with the package: a program
# that needs one small module (the GUI's first window: findings, heap) does not load every
# pydantic model, psygnal and pydantic itself (~0.1 s) because it is in the package.
_MODULE_OF = {
    "Model": "base",
    "Owner": "base",
    "Ucs": "fabric",
    "Underlay": "fabric",
    "DEFAULT_CLUSTER": "inventory",
    "Cluster": "inventory",
    "FabricInterconnect": "inventory",
    "Host": "inventory",
    "Switching": "inventory",
    "Vm": "inventory",
    "VmState": "inventory",
    "Vnic": "inventory",
    "Network": "openstack",
    "NetworkType": "openstack",
    "PolicyProfile": "openstack",
    "Subnet": "openstack",
    "Tenant": "openstack",
    "MAX_VTEPS_PER_VEM": "overlay",
    "SEGMENT_ID_MAX": "overlay",
    "SEGMENT_ID_MIN": "overlay",
    "VXLAN_OVERHEAD": "overlay",
    "BridgeDomain": "overlay",
    "FloodMode": "overlay",
    "Vsm": "overlay",
    "Vtep": "overlay",
    "FORMAT": "topology",
    "Topology": "topology",
    "TopologyIndex": "topology",
    "VifRef": "topology",
    "BROADCAST": "traffic",
    "TrafficFlow": "traffic",
    "SRIOV_VIC_MODELS": "vmfex",
    "AttachMode": "vmfex",
    "HostIo": "vmfex",
    "MacForging": "vmfex",
    "Pf": "vmfex",
    "PortProfile": "vmfex",
    "Qos": "vmfex",
    "Vic": "vmfex",
    "vic_family": "vmfex",
}


__getattr__, __dir__ = lazy_names(__name__, _MODULE_OF, __all__)
