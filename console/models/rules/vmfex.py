"""VM-FEX rules: clusters, VIC adapters, OS releases, driver topologies and their limits.

Source: the Cisco UCS Manager VM-FEX for KVM CLI Configuration Guide.
"""

from __future__ import annotations

from ..inventory import DEFAULT_CLUSTER, Switching
from ..vmfex import SRIOV_VIC_MODELS, AttachMode, vic_family
from .registry import (
    ERROR,
    N1KV_DOC,
    README_DOC,
    VMFEX_DOC,
    WARNING,
    Context,
    Yield,
    rule,
)

OS_MIN = (6, 1)
OS_MIN_SRIOV = (6, 3)
MACVTAP_PRIVATE_LAST = (2, 0)  # refused from UCS Manager 2.1
VNICS_DEFAULT = 128  # "supports ... up to 128 virtual network interface cards"


@rule("vmfex.default-cluster", ERROR, "A VM-FEX VM is placed only in the cluster named default",
      f"{VMFEX_DOC}, section Cisco UCS Manager Components: "
      "'you can specify only the default cluster for a VM on the KVM host'")
def default_cluster(ctx: Context) -> Yield:
    for i, vm in enumerate(ctx.topo.vms):
        host = ctx.index.hosts.get(vm.host)
        if host is None or host.switching is not Switching.VMFEX:
            continue
        if host.cluster != DEFAULT_CLUSTER:
            yield (f"vms[{i}].host",
                   f"VM {vm.name} is on host {host.name} in cluster {host.cluster}; VM-FEX "
                   f"places VMs only in the cluster named {DEFAULT_CLUSTER}")


@rule("vmfex.profile-client", ERROR,
      "A vNIC uses a port profile only if the profile is applied to its host's cluster",
      f"{VMFEX_DOC}, section Port Profile Client: "
      "'The port profile client is a cluster to which a port profile is applied'")
def profile_client(ctx: Context) -> Yield:
    for at in ctx.fabric_nics:
        if at.host is None or not at.nic.attach.is_vmfex:
            continue
        profile = ctx.derived.profile_of(at.nic)
        if profile is None or at.host.cluster in profile.clients:
            continue
        clients = ", ".join(profile.clients) or "no cluster"
        yield (f"{at.path}.port_profile",
               f"{at.label} uses port profile {profile.name}, which is applied to {clients}, "
               f"not to cluster {at.host.cluster} of host {at.host.name}; add "
               f"{at.host.cluster} to the profile's clients")


@rule("vmfex.vic-missing", ERROR, "A VM-FEX host needs a Cisco VIC adapter",
      f"{VMFEX_DOC}, section KVM Components: "
      "'The hypervisor must have a Cisco VIC adapter installed'")
def vic_missing(ctx: Context) -> Yield:
    for i, host in ctx.vmfex_hosts():
        if host.vic is None:
            yield (f"hosts[{i}]",
                   f"VM-FEX host {host.name} has no VIC adapter (vic); VM-FEX needs a Cisco VIC "
                   "to carry its VMs' vNICs to the fabric interconnect")


@rule("vmfex.vic-sriov", ERROR, "SR-IOV attach modes need an SR-IOV-capable VIC",
      f"{VMFEX_DOC}, section Single Root I/O Virtualization: "
      "'The following Cisco Virtual Interface Cards support SR-IOV with VM-FEX: "
      "M81KR, P81E, 1280, 1240, 1225'")
def vic_sriov(ctx: Context) -> Yield:
    capable = ", ".join(SRIOV_VIC_MODELS)
    for at in ctx.fabric_nics:
        host = at.host
        if host is None or host.vic is None or not at.nic.attach.uses_vf:
            continue
        if vic_family(host.vic.model) is None:
            yield (f"{at.path}.attach",
                   f"{at.label} uses {at.nic.attach.value}, which needs SR-IOV, but the VIC "
                   f"{host.vic.model} of host {host.name} is not SR-IOV capable "
                   f"(SR-IOV VICs: {capable})")


@rule("vmfex.os-release", ERROR, "A VM-FEX hypervisor runs RHEL 6.1 or later",
      f"{VMFEX_DOC}, section KVM Components: "
      "'The earliest supported release for VM-FEX is RHEL 6.1'")
def os_release(ctx: Context) -> Yield:
    for i, host in ctx.vmfex_hosts():
        if host.os_release is not None and host.os_release < OS_MIN:
            yield (f"hosts[{i}].os",
                   f"host {host.name} runs {host.os}; VM-FEX needs RHEL 6.1 or later")


@rule("vmfex.os-sriov", ERROR, "SR-IOV driver topologies need RHEL 6.3 or later",
      f"{VMFEX_DOC}, section KVM Components: "
      "'some features (such as SR-IOV) require a later version'")
def os_sriov(ctx: Context) -> Yield:
    for i, host in ctx.vmfex_hosts():
        release = host.os_release
        if release is None or release >= OS_MIN_SRIOV or release < OS_MIN:
            continue
        users = [at for at in ctx.nics_by_host.get(host.name, []) if at.nic.attach.uses_vf]
        if users:
            yield (f"hosts[{i}].os",
                   f"host {host.name} runs {host.os} but {users[0].label} uses "
                   f"{users[0].nic.attach.value} (SR-IOV), which needs RHEL 6.3 or later")


def vnic_limit_of(model: str) -> int:
    """vNICs a VIC supports: 12xx series 256, M81KR class (and unknown models) 128."""
    family = vic_family(model)
    return SRIOV_VIC_MODELS[family] if family else VNICS_DEFAULT


@rule("vmfex.vnic-limit", ERROR, "A VIC carries at most 128 vNICs (M81KR class) or 256 (12xx)",
      f"{VMFEX_DOC}, section Virtualization with a Virtual Interface Card Adapter: "
      "'The VIC adapter supports ... up to 128 virtual network interface cards'")
def vnic_limit(ctx: Context) -> Yield:
    for i, host in ctx.vmfex_hosts():
        if host.vic is None:
            continue
        limit = vnic_limit_of(host.vic.model)
        count = sum(1 for at in ctx.nics_by_host.get(host.name, []) if at.nic.attach.is_vmfex)
        if count > limit:
            yield (f"hosts[{i}].vic",
                   f"host {host.name} has {count} VM-FEX vNICs but its VIC {host.vic.model} "
                   f"supports at most {limit}")


@rule("vmfex.macvtap-private-release", ERROR,
      "MacVTap Direct (private) is refused from UCS Manager release 2.1",
      f"{VMFEX_DOC}, section MacVTap Direct (Private): "
      "'Beginning with Cisco UCS Release 2.1, the MacVTap Direct (Private) "
      "topology is no longer supported'")
def macvtap_private_release(ctx: Context) -> Yield:
    ucs = ctx.topo.ucs
    if ucs.release_tuple <= MACVTAP_PRIVATE_LAST:
        return
    for at in ctx.fabric_nics:
        if at.nic.attach is AttachMode.MACVTAP_PRIVATE:
            yield (f"{at.path}.attach",
                   f"{at.label} uses macvtap-private (MacVTap Direct), which UCS Manager "
                   f"{ucs.release} no longer supports (refused from 2.1); use "
                   "macvtap-passthrough or hostdev")


@rule("vmfex.macvtap-private-ports", ERROR,
      "MacVTap Direct (private) VMs are limited to the number of VIC ports",
      f"{VMFEX_DOC}, section MacVTap Direct (Private): "
      "'The number of supported VMs is limited to the number of VIC adapter ports'")
def macvtap_private_ports(ctx: Context) -> Yield:
    for _, host in ctx.vmfex_hosts():
        if host.vic is None:
            continue
        seen: list[str] = []
        for at in ctx.nics_by_host.get(host.name, []):
            if at.nic.attach is not AttachMode.MACVTAP_PRIVATE or at.vm.name in seen:
                continue
            seen.append(at.vm.name)
            if len(seen) > host.vic.ports:
                yield (f"{at.path}.attach",
                       f"VM {at.vm.name} is macvtap-private VM number {len(seen)} on host "
                       f"{host.name}, whose VIC {host.vic.model} has {host.vic.ports} ports; "
                       "MacVTap Direct carries one VM per VIC port")


def _vf_overflow(ctx: Context, netlink: bool) -> Yield:
    for pool in ctx.derived.vf_pools.values():
        host = ctx.index.hosts.get(pool.host)
        if host is not None and not host.switching.on_fabric:
            continue  # a plain host's SR-IOV is libvirt's own, not the VIC's (PLAIN)
        for n, vif in enumerate(pool.holders):
            if n < pool.usable:
                continue
            by_netlink = pool.netlink_limit < pool.vfs and n < pool.vfs
            if by_netlink != netlink:
                continue
            path = ctx.vif_path.get(vif, "vms")
            vm, _, nic = vif.partition("/")
            label = f"vNIC {nic} of VM {vm}"
            if netlink:
                yield (f"{path}.pf",
                       f"{label} needs VF {n + 1} of PF {pool.pf} on host {pool.host}; the "
                       f"PF has {pool.vfs} VFs but the host netlink limit allows "
                       f"{pool.netlink_limit} per PF (ucs.netlink_vf_limit)")
            else:
                yield (f"{path}.pf",
                       f"{label} needs VF {n + 1} of PF {pool.pf} on host {pool.host}, "
                       f"which has only {pool.usable} usable VFs; move it to another PF or host")


@rule("vmfex.vf-limit", ERROR, "VF vNICs on a PF are limited by the PF's VFs",
      f"{VMFEX_DOC}, section SR-IOV with MacVTap (Emulation Mode): "
      "'The maximum number of supported VMs is determined by the number of VFs "
      "provided by the VIC adapter'")
def vf_limit(ctx: Context) -> Yield:
    yield from _vf_overflow(ctx, netlink=False)


@rule("vmfex.netlink-limit", ERROR, "VFs per PF are limited by the host netlink limit",
      f"{VMFEX_DOC}, section SR-IOV with MacVTap (Emulation Mode): "
      "'The number of VFs that you can assign to a PF might be further limited "
      "by the host Netlink protocol implementation (typically between 22 and 32 VFs per PF)'")
def netlink_limit(ctx: Context) -> Yield:
    yield from _vf_overflow(ctx, netlink=True)


@rule("vmfex.no-vf-pool", ERROR, "An SR-IOV vNIC needs a PF with VFs on its host",
      f"{VMFEX_DOC}, section SR-IOV with MacVTap (Emulation Mode): "
      "'connects each VM's VirtIO interface to a VF on an SR-IOV-capable VIC'")
def no_vf_pool(ctx: Context) -> Yield:
    pools = ctx.derived.vf_pools
    hosts_with_pf = {h for h, _ in pools}
    for at in ctx.fabric_nics:
        if not at.nic.attach.uses_vf or at.host is None or at.host.vic is None:
            continue
        if at.nic.pf is None and at.host.name not in hosts_with_pf:
            yield (f"{at.path}.attach",
                   f"{at.label} uses {at.nic.attach.value} but host {at.host.name} has no "
                   "SR-IOV PF (vic.pfs) to take a VF from")


@rule("vmfex.hostdev-no-migration", WARNING, "A hostdev (SR-IOV passthrough) VM cannot migrate",
      f"{VMFEX_DOC}, section SR-IOV Passthrough (Hostdev Mode): "
      "'SR-IOV Passthrough (Hostdev Mode) ... Live migration is not supported'")
def hostdev_no_migration(ctx: Context) -> Yield:
    # every host's: QEMU migrates no assigned PCI device, a plain host's VF included
    for at in ctx.nics:
        if not at.nic.attach.live_migration:
            yield (f"{at.path}.attach",
                   f"VM {at.vm.name} cannot live-migrate: its vNIC {at.nic.name} is hostdev "
                   "(SR-IOV passthrough); use macvtap-passthrough where migration matters")


@rule("vmfex.qemu-pci-limit", ERROR, "QEMU's PCI layer limits the PCI devices of one VM",
      f"{VMFEX_DOC}, section Driver Topologies: "
      "'the configuration of the QEMU PCI layer might limit the number of PCI "
      "devices that the host can assign to a VM'")
def qemu_pci_limit(ctx: Context) -> Yield:
    for i, vm in enumerate(ctx.topo.vms):
        host = ctx.index.hosts.get(vm.host)
        if host is not None and len(vm.nics) > host.qemu_pci_slots:
            yield (f"vms[{i}].nics",
                   f"VM {vm.name} has {len(vm.nics)} vNICs but QEMU on host {host.name} "
                   f"assigns at most {host.qemu_pci_slots} PCI devices to one VM "
                   "(qemu_pci_slots)")


@rule("host.attach-mode", ERROR,
      "veth vNICs only on VEM hosts; VM-FEX attach modes only on VM-FEX hosts",
      f"{VMFEX_DOC}, section Overview of VM-FEX for KVM: "
      "'With VM-FEX for KVM, the RHEV hypervisor performs no switching'; "
      f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: "
      "'Each VM on the host is connected to the VEM "
      "through virtual Ethernet (vEth) ports'")
def attach_mode(ctx: Context) -> Yield:
    for at in ctx.fabric_nics:
        host = at.host
        if host is None:
            continue  # a plain host's vNICs attach as libvirt lets them (Switching.PLAIN)
        if at.nic.attach is AttachMode.VETH and host.switching is not Switching.VEM:
            yield (f"{at.path}.attach",
                   f"{at.label} is a veth port but host {host.name} runs no VEM (switching: "
                   f"{host.switching.value}); use a VM-FEX attach mode or move the VM")
        elif at.nic.attach.is_vmfex and host.switching is not Switching.VMFEX:
            yield (f"{at.path}.attach",
                   f"{at.label} uses {at.nic.attach.value}, a VM-FEX mode, but host "
                   f"{host.name} is a VEM host with no VIC; use veth")


@rule("host.plain-off-fabric", WARNING,
      "A plain host's VMs are not on the fabric: no VXLAN segment, no simulated traffic",
      f"{README_DOC}, section Topology files: '`plain` (the hypervisor's own Linux bridge "
      "or libvirt networks: monitored, but off the fabric'; "
      f"{N1KV_DOC}, section Cisco Nexus 1000V for KVM and OpenStack: 'Each VM on the "
      "host is connected to the VEM through virtual Ethernet (vEth) ports'")
def plain_off_fabric(ctx: Context) -> Yield:
    # A plain host (Switching.PLAIN) switches on its own bridge, which neither the FI nor a
    # VEM sees: a VXLAN profile puts its VM in no segment, and a simulated flow from or to
    # it goes nowhere. Said once, as a warning: the file still loads and simulates.
    for at in ctx.nics:
        if at.host is None or at.host.switching is not Switching.PLAIN:
            continue
        if ctx.is_vxlan(at.nic):
            profile = ctx.derived.profile_of(at.nic)
            assert profile is not None
            yield (f"{at.path}.port_profile",
                   f"{at.label} uses port profile {profile.name} (bridge domain "
                   f"{profile.bridge_domain}) but host {at.host.name} is a plain host with no "
                   "VEM, so the VM is not in the segment; make the host switching: vem")
    plain = {h.name for _, h in ctx.plain_hosts()}
    if not plain:
        return
    vifs = ctx.index.vifs
    for i, flow in enumerate(ctx.topo.traffic):
        for end, field in ((flow.source, "from"), (flow.to, "to")):
            ref = vifs.get(end)
            if ref is not None and ref.vm.host in plain:
                yield (f"traffic[{i}].{field}",
                       f"traffic flow {i + 1} {'starts' if field == 'from' else 'ends'} at "
                       f"vNIC {end} on plain host {ref.vm.host}, which is not on the fabric: "
                       "the simulation carries none of its frames")
                break


@rule("vmfex.vxlan-profile", ERROR, "VM-FEX vNICs switch in VLANs; VXLAN needs a VEM",
      f"{VMFEX_DOC}, section Overview of VM-FEX for KVM: "
      "'All switching is performed by the external fabric interconnect'")
def vxlan_profile(ctx: Context) -> Yield:
    for at in ctx.fabric_nics:
        if at.nic.attach.is_vmfex and ctx.is_vxlan(at.nic):
            profile = ctx.derived.profile_of(at.nic)
            assert profile is not None
            yield (f"{at.path}.attach",
                   f"{at.label} uses {at.nic.attach.value} with port profile {profile.name}, "
                   f"which puts it in bridge domain {profile.bridge_domain}; VXLAN segments "
                   "need a VEM host and a veth vNIC")


@rule("vmfex.no-fabric-interconnect", ERROR,
      "VM-FEX hosts with VMs need a fabric interconnect to switch their traffic",
      f"{VMFEX_DOC}, section Overview of VM-FEX for KVM: "
      "'All switching is performed by the external fabric interconnect'")
def no_fabric_interconnect(ctx: Context) -> Yield:
    if ctx.topo.fabric_interconnects:
        return
    for i, host in ctx.vmfex_hosts():
        if any(at.nic.attach.is_vmfex for at in ctx.nics_by_host.get(host.name, [])):
            yield (f"hosts[{i}]",
                   f"VM-FEX host {host.name} has VMs but the file defines no fabric "
                   "interconnect to switch their traffic (fabric_interconnects)")


@rule("vmfex.fabric-interconnect-implied", WARNING,
      "With several fabric interconnects, a VM-FEX host names the one it uses",
      f"{VMFEX_DOC}, section Overview of VM-FEX for KVM: "
      "'All switching is performed by the external fabric interconnect'")
def fabric_interconnect_implied(ctx: Context) -> Yield:
    fis = ctx.topo.fabric_interconnects
    if len(fis) < 2:
        return
    for i, host in ctx.vmfex_hosts():
        if host.fabric_interconnect is None:
            yield (f"hosts[{i}].fabric_interconnect",
                   f"VM-FEX host {host.name} names no fabric interconnect; with "
                   f"{len(fis)} defined it is taken to be on the first, {fis[0].name}")
