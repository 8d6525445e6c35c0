"""The domain model: pure Python, no Qt, no libvirt, no engine.

Names follow the reference documents: PortProfile, BridgeDomain, Vtep, Vem (a host with
`switching: vem`), Vif (a VM's vNIC as the fabric sees it), FloodMode.
"""

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
