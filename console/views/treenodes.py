"""The connection tree's rows (Node) and how one connection's inventory becomes them.

A host's rows (its VMs and their VIFs, its SR-IOV PFs and VFs) and a VEM's VTEPs are
built when someone opens that host or VEM, not with the rest: at 100,000 VIFs they are
nine rows in ten, and the tree is built again for every edit, undo and live event. Until
then the host row carries a `loader` that builds them, the VIF ids its sparkline sums
(which need no rows) and the file paths its rows will have (`owns`), so a finding or a
selection by path knows which row to open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from console.models.findings import Finding, Severity

if TYPE_CHECKING:  # the window is built before any of these is needed (or imported)
    import numpy as np

    from console.models.inventory import Host, Vm

    from .connection import Connection

VIF_TRAFFIC = ("rx_pps", "tx_pps")

LAZY_KINDS = frozenset({"vm", "vif", "pf", "vf", "vtep"})
"""Rows built when their host (or VEM) row is opened."""


@dataclass(eq=False, slots=True)
class Node:
    kind: str  # connection group cluster host vm vif pf vf vem vtep bd profile
    name: str
    key: str = ""  # the object's id: "vm/nic", a VM, host, bridge domain or profile name
    path: str = ""  # where the topology file has it: "vms[2].nics[0]"
    conn: Connection | None = None
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    tooltip: str = ""
    # traffic sparkline: (history kind, object names, metrics)
    spark: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None
    findings: list[Finding] = field(default_factory=list)
    state: str = ""  # shown in the Status column ("shut off")
    spark_cache: tuple[int, np.ndarray] | None = field(default=None, repr=False)
    spark_rows: np.ndarray | None = field(default=None, repr=False)
    # Where this node last was among its parent's children: Qt asks a row's row for every
    # parent() and index, and a search through 10,000 sibling VEMs each time made the
    # tree's merge quadratic (100,000 VIFs: 10 s). Checked before it is trusted.
    row_hint: int = field(default=0, repr=False, compare=False)
    # Children not built yet: what builds them, and the file paths they will have.
    loader: Callable[[], list[Node]] | None = field(default=None, repr=False)
    owns: tuple[str, ...] = field(default=(), repr=False)

    def add(self, child: Node) -> Node:
        """Append a child. Its parent is set when the tree takes it (ConnectionTreeModel
        ._merge): a freshly built tree has no links back up, so the rows a rebuild
        does not keep are freed at once, without the cyclic garbage collector."""
        self.children.append(child)
        return child

    def row(self) -> int:
        if self.parent is None:
            return 0
        siblings = self.parent.children
        hint = self.row_hint
        if hint < len(siblings) and siblings[hint] is self:
            return hint
        for i, child in enumerate(siblings):
            child.row_hint = i  # one pass tells every sibling where it is
        if self.row_hint < len(siblings) and siblings[self.row_hint] is self:
            return self.row_hint
        return -1  # detached (its connection was closed)

    def walk(self):
        """This node and every row built below it (not those still to be built)."""
        yield self
        for child in self.children:
            yield from child.walk()

    def build_children(self) -> list[Node]:
        """Build the children still to be built (no signals: the model's job), and
        return them; [] when there were none to build."""
        loader = self.loader
        if loader is None:
            return []
        self.loader, self.owns = None, ()
        self.children = loader()
        return self.children

    @property
    def worst(self) -> str | None:
        if not self.findings:
            return None
        return ("error" if any(f.severity is Severity.ERROR for f in self.findings)
                else "warning")


def build_connection_children(root: Node, conn: Connection) -> None:
    """The inventory of one connection as nodes under its connection node (a host's and a
    VEM's rows as loaders, see the module docstring)."""
    from console.models.inventory import Switching

    topo, derived = conn.topology, conn.derived
    if topo is None or derived is None:
        return
    vms_of_host: dict[str, list[tuple[int, Vm]]] = {}
    for i, vm in enumerate(topo.vms):
        vms_of_host.setdefault(vm.host, []).append((i, vm))
    vifs_of_vm = {vm.name: tuple(f"{vm.name}/{nic.name}" for nic in vm.nics)
                  for vm in topo.vms}
    clusters: dict[str, Node] = {}
    for i, cl in enumerate(topo.clusters):
        clusters.setdefault(cl.name, Node("cluster", cl.name, cl.name, f"clusters[{i}]"))
    host_nodes: dict[str, Node] = {}
    for i, host in enumerate(topo.hosts):
        cluster = clusters.setdefault(host.cluster, Node("cluster", host.cluster, host.cluster))
        hn = Node("host", host.name, host.name, f"hosts[{i}]",
                  tooltip=f"{host.name}: {host.switching.value} host"
                          f"{', ' + host.os if host.os else ''}")
        host_nodes[host.name] = hn
        cluster.add(hn)
    for name in vms_of_host:
        if name not in host_nodes:  # a VM on an unknown host: still listed, its finding says why
            hn = host_nodes[name] = Node("host", name, name)
            clusters.setdefault("?", Node("cluster", "(no cluster)")).add(hn)
    positions = {host.name: i for i, host in enumerate(topo.hosts)}
    for name, hn in host_nodes.items():
        vms = vms_of_host.get(name, [])
        at = positions.get(name)
        known = topo.hosts[at] if at is not None else None
        hn.spark = ("vif", tuple(v for _, vm in vms for v in vifs_of_vm[vm.name]), VIF_TRAFFIC)
        pools = known is not None and known.vic is not None
        if vms or pools:
            hn.loader = _Loader(_host_rows, at, known, vms, vifs_of_vm, derived)
            hn.owns = tuple(f"vms[{j}]" for j, _ in vms) + (
                (f"hosts[{at}].vic",) if pools else ())
    for cn in clusters.values():
        root.add(cn)
        cn.spark = ("vif", tuple(v for h in cn.children for v in (h.spark[1] if h.spark
                                                                   else ())), VIF_TRAFFIC)
    root.spark = ("vif", tuple(v for ids in vifs_of_vm.values() for v in ids), VIF_TRAFFIC)

    vems = root.add(Node("group", "VEMs", "vems"))
    for i, host in enumerate(topo.hosts):
        if host.switching is not Switching.VEM:
            continue
        en = vems.add(Node("vem", host.name, host.name, f"hosts[{i}]",
                           tooltip=f"VEM on {host.name}",
                           spark=("vem", (host.name,), ("encap_ps", "decap_ps"))))
        if host.vteps:
            en.loader = _Loader(_vtep_rows, i, host)
            en.owns = (f"hosts[{i}].vteps",)
    bds = root.add(Node("group", "Bridge domains", "bridge_domains"))
    for i, bd in enumerate(topo.bridge_domains):
        bds.add(Node("bd", bd.name, bd.name, f"bridge_domains[{i}]",
                     tooltip=f"segment {bd.segment_id}, {bd.mode.value}",
                     spark=("bd", (bd.name,), ("flood_fps",))))
    profiles = root.add(Node("group", "Port profiles", "port_profiles"))
    named = {p.name: i for i, p in enumerate(topo.port_profiles)}
    for name, profile in derived.all_profiles.items():
        users = tuple(v.id for v in derived.vifs_using(name))
        path = f"port_profiles[{named[name]}]" if name in named else ""
        profiles.add(Node("profile", name, name, path,
                          tooltip=profile.description or f"port profile {name}",
                          spark=("vif", users, VIF_TRAFFIC)))


class _Loader:
    """A row builder with its arguments (a plain object, not a closure: slots, and its
    arguments are visible when debugging)."""

    __slots__ = ("args", "build")

    def __init__(self, build: Callable[..., list[Node]], *args: Any) -> None:
        self.build, self.args = build, args

    def __call__(self) -> list[Node]:
        return self.build(*self.args)


def _host_rows(i: int | None, host: Host | None, vms: list[tuple[int, Vm]],
               vifs_of_vm: dict[str, tuple[str, ...]], derived: Any) -> list[Node]:
    """A host's rows: its SR-IOV PFs (with the VFs in use), then its VMs with their VIFs."""
    from console.models.inventory import VmState

    out: list[Node] = []
    if host is not None and i is not None:
        out += _vf_pools(i, host, derived)
    for j, vm in vms:
        off = " (shut off)" if vm.state is VmState.SHUT_OFF else ""
        ids = vifs_of_vm[vm.name]
        vn = Node("vm", vm.name, vm.name, f"vms[{j}]", tooltip=f"{vm.name} on {vm.host}{off}",
                  state=off.strip(" ()"), spark=("vif", ids, VIF_TRAFFIC))
        for k, (nic, vid) in enumerate(zip(vm.nics, ids, strict=True)):
            vn.add(Node("vif", nic.name, vid, f"vms[{j}].nics[{k}]",
                        tooltip=f"VIF {vid}, {nic.mac} ({nic.attach.value})",
                        spark=("vif", (vid,), VIF_TRAFFIC)))
        out.append(vn)
    return out


def _vtep_rows(i: int, host: Host) -> list[Node]:
    return [Node("vtep", f"{vtep.name}  {vtep.ip}", f"{host.name}/{vtep.name}",
                 f"hosts[{i}].vteps[{j}]") for j, vtep in enumerate(host.vteps)]


def _vf_pools(i: int, host: Host, derived: Any) -> list[Node]:
    """A VM-FEX host's SR-IOV PFs, each with its VFs in use (VF n -> the VIF holding it)."""
    out: list[Node] = []
    if host.vic is None:
        return out
    for k, pf in enumerate(host.vic.pfs):
        pool = derived.vf_pools.get((host.name, pf.name))
        if pool is None:
            continue
        used = min(len(pool.holders), pool.usable)
        limit = f" (netlink limit {pool.netlink_limit})" if pool.vfs > pool.netlink_limit else ""
        # The usage goes in the Status column, where the Name column cannot cut it off.
        pn = Node("pf", f"PF {pf.name}", f"{host.name}/{pf.name}",
                  f"hosts[{i}].vic.pfs[{k}]", state=f"{used}/{pool.usable} VFs",
                  tooltip=f"{pf.name} of {host.vic.model}: {pool.vfs} VFs{limit}, "
                          f"{pool.free} free")
        for n, vif in enumerate(pool.holders):
            label = f"VF {n}" if n < pool.usable else "(no VF)"
            pn.add(Node("vf", label, f"{host.name}/{pf.name}/{n}",
                        state=vif, tooltip=f"{label} of {pf.name}: {vif}"))
        out.append(pn)
    return out
