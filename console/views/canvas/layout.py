"""Where objects go when the file gives no position, in bands read from top to bottom:

- fabric interconnects, each above the hosts it serves;
- hosts in a row, each with its VMs in columns right under it (a host and its VMs are a
  group; on a large fabric the groups wrap into shelves, so the whole stays about as wide
  as a screen is, not a ribbon);
- port profiles, each under the VMs that use it;
- bridge domains, each under the profiles and networks that carry it.

Saved positions are respected: the scene places only the objects without one, and an
object added later (a live event, an undo of a delete) goes next to its relatives.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF

from console.models import Host, Switching, Topology, Vm
from console.views.undo import COLLECTIONS

from .items import HEAD_H, NIC_H

if TYPE_CHECKING:
    from .items import NodeItem
    from .scene import TopologyScene

LAYER = {"fi": 0, "host": 1, "vm": 2, "pp": 3, "bd": 4}
ROW_H = 190.0  # band to band, for objects placed where their band is empty
COL_W = 200.0  # a node (168 wide) and the gap to the next
GAP_Y = 36.0  # between stacked VMs: room for a VM's live badges above it
BAND_GAP = 110.0  # between bands: room for the links to fan out
MIN_PER_COL = 4  # VMs a host's column holds before a second column starts
MIN_SHELF_W = 12 * COL_W  # groups wrap into shelves only past this width...
ASPECT = 1.6  # ...and then to about this width:height

Pos = tuple[float, float]
Key = tuple[str, str]  # (collection, name)


def _vm_height(vm) -> float:
    return HEAD_H + NIC_H * len(vm.nics)


def _host_height(host) -> float:
    return HEAD_H + (NIC_H * len(host.vteps) if host.switching is Switching.VEM else 0.0)


def _spread(wanted: list[tuple[float, Key]], y: float, width: float,
            heights: dict[Key, float]) -> tuple[dict[Key, Pos], float]:
    """Place nodes along a row near their wanted x (in that order, COL_W apart at least),
    the row recentred on the wanted positions; rows wrap past `width`. Returns the
    positions and the y below the band."""
    out: dict[Key, Pos] = {}
    if not wanted:
        return out, y
    wanted.sort(key=lambda w: w[0])
    per_row = max(1, int(width // COL_W) + 1)
    bottom = y
    for start in range(0, len(wanted), per_row):
        row = wanted[start:start + per_row]
        if len(wanted) > per_row:
            # Several rows: each a full row from the left edge, in the wanted order (rows
            # recentred one by one made a staircase).
            xs = [i * COL_W for i in range(len(row))]
            shift = 0.0
        else:
            xs = []
            for x, _ in row:
                xs.append(x if not xs else max(x, xs[-1] + COL_W))
            shift = sum(w[0] for w in row) / len(row) - sum(xs) / len(xs)
            shift = max(shift, -xs[0])  # not left of the fabric's left edge
        row_h = max(heights.get(k, HEAD_H) for _, k in row)
        for (_, key), x in zip(row, xs):
            out[key] = (round(x + shift, 1), round(y, 1))
        y += row_h + BAND_GAP / 2
        bottom = y
    return out, bottom - BAND_GAP / 2


def layered_positions(topo: Topology) -> dict[Key, Pos]:
    """(collection, name) -> position for every canvas object, laid out in bands."""
    out: dict[Key, Pos] = {}
    hosts = list(topo.hosts)
    vms_of: dict[str, list[Vm]] = {h.name: [] for h in hosts}
    orphans: list[Vm] = []
    for vm in topo.vms:
        vms_of.get(vm.host, orphans).append(vm)
    # Hosts grouped under their fabric interconnect (FIs in file order), then the others.
    fi_order = {fi.name: i for i, fi in enumerate(topo.fabric_interconnects)}
    hosts.sort(key=lambda h: fi_order.get(h.fabric_interconnect or "", len(fi_order)))

    # Each group: a host and its VMs in columns of `per_col`.
    groups: list[tuple[Host | None, list[Vm]]] = [(h, vms_of[h.name]) for h in hosts]
    if orphans:
        groups.append((None, orphans))
    most = max((len(v) for _, v in groups), default=0)
    vm_h = max((_vm_height(vm) for vm in topo.vms), default=HEAD_H) + GAP_Y
    per_col = max(MIN_PER_COL, math.ceil(math.sqrt(most * COL_W / vm_h)))
    widths = [max(1, math.ceil(len(v) / per_col)) * COL_W for _, v in groups]
    heights = [min(len(v), per_col) * vm_h for _, v in groups]
    area = sum(w * (h + BAND_GAP) for w, h in zip(widths, heights))
    shelf_w = max(MIN_SHELF_W, math.sqrt(area * ASPECT))

    # VMs start one row down in every group (not right under each host: hosts differ in
    # height, and VM rows that line up read as one band).
    host_h = max((_host_height(h) for h in hosts), default=HEAD_H) + GAP_Y
    y = HEAD_H + BAND_GAP  # the FIs' band is above
    x = 0.0
    shelf_bottom = y
    host_xs: dict[str, float] = {}
    vm_xs: dict[str, float] = {}
    for (host, vms), width in zip(groups, widths):
        if x > 0 and x + width > shelf_w:
            x, y = 0.0, shelf_bottom + BAND_GAP
        top = y + host_h
        if host is not None:
            out[("hosts", host.name)] = (round(x, 1), round(y, 1))
            host_xs[host.name] = x
        column_y = top
        for i, vm in enumerate(vms):
            if i and i % per_col == 0:
                column_y = top
            cx = x + (i // per_col) * COL_W
            out[("vms", vm.name)] = (round(cx, 1), round(column_y, 1))
            vm_xs[vm.name] = cx
            column_y += _vm_height(vm) + GAP_Y
            shelf_bottom = max(shelf_bottom, column_y - GAP_Y)
        shelf_bottom = max(shelf_bottom, top)
        x += width
    width = max(x, COL_W) if y == HEAD_H + BAND_GAP else shelf_w

    # FIs above the hosts they serve.
    served: dict[str, list[float]] = {}
    for h in topo.hosts:
        if h.fabric_interconnect and h.name in host_xs:
            served.setdefault(h.fabric_interconnect, []).append(host_xs[h.name])
    wanted = [(_mean(served.get(fi.name), width / 2 + i), ("fabric_interconnects", fi.name))
              for i, fi in enumerate(topo.fabric_interconnects)]
    fis, _ = _spread(wanted, 0.0, width, {})
    out.update(fis)

    # Port profiles under the VMs that use them, bridge domains under what carries them.
    users: dict[str, list[float]] = {}
    carriers: dict[str, list[float]] = {}
    networks = {n.name: n.bridge_domain for n in topo.networks}
    for vm in topo.vms:
        for nic in vm.nics:
            if nic.port_profile:
                users.setdefault(nic.port_profile, []).append(vm_xs.get(vm.name, 0.0))
            elif nic.network and (carrier := networks.get(nic.network)):
                carriers.setdefault(carrier, []).append(vm_xs.get(vm.name, 0.0))
    y = shelf_bottom + BAND_GAP
    wanted = [(_mean(users.get(pp.name), width + i * COL_W), ("port_profiles", pp.name))
              for i, pp in enumerate(topo.port_profiles)]
    pps, y = _spread(wanted, y, width, {})
    out.update(pps)
    for pp in topo.port_profiles:
        if pp.bridge_domain:
            carriers.setdefault(pp.bridge_domain, []).append(pps[("port_profiles", pp.name)][0])
    wanted = [(_mean(carriers.get(bd.name), width + i * COL_W), ("bridge_domains", bd.name))
              for i, bd in enumerate(topo.bridge_domains)]
    bds, _ = _spread(wanted, y + BAND_GAP, width, {})
    out.update(bds)
    return out


def _mean(values: list[float] | None, default: float) -> float:
    return sum(values) / len(values) if values else default


def place_unpositioned(scene: TopologyScene, nodes: list[NodeItem]) -> None:
    """Give items without a model position a place: the layered layout when most have
    none (a file opened; the few saved positions stay where they are), else next to their
    relatives (a VM under its host, a host or profile at the end of its band).

    The view position is not written to the model (opening a file must not make it
    dirty); the Auto-layout action writes positions as one undo step."""
    if len(nodes) * 2 > len(scene.nodes):
        positions = layered_positions(scene.doc.topology)
        for node in nodes:
            pos = positions.get((COLLECTIONS[node.kind], node.name))
            if pos is not None:
                node.set_pos_silently(QPointF(*pos))
        return
    pending = set(nodes)
    placer = _Placer(scene, [n for n in scene.nodes.values() if n not in pending])
    for node in sorted(nodes, key=lambda n: LAYER[n.kind]):
        node.set_pos_silently(placer.place(node))


class _Placer:
    """Places new nodes next to their relatives; what it looks up (the end of each band,
    the bottom of each host's VM column) is found once per call, not once per node: a
    live event can bring hundreds of VMs at once."""

    def __init__(self, scene: TopologyScene, placed: list[NodeItem]):
        self.scene = scene
        self.last: dict[str, NodeItem] = {}  # kind -> its rightmost node
        self.vms = [n for n in placed if n.kind == "vm"]
        self.bottoms: dict[str, float] = {}  # host id -> bottom of its VM column
        for node in placed:
            last = self.last.get(node.kind)
            if last is None or node.x() > last.x():
                self.last[node.kind] = node

    def place(self, node: NodeItem) -> QPointF:
        if node.kind == "vm":
            host = self.scene.nodes.get(f"host:{node.obj.host}")
            if host is not None and host.scene() is self.scene:
                # Under the host, below whatever already hangs in its column.
                bottom = self.bottoms.get(host.id)
                if bottom is None:
                    bottom = max((n.block_rect().bottom() for n in self.vms
                                  if abs(n.x() - host.x()) < COL_W / 2 and n.y() > host.y()),
                                 default=host.block_rect().bottom())
                pos = QPointF(host.x(), bottom + GAP_Y)
                self.bottoms[host.id] = pos.y() + node.block_rect().height()
                return pos
        last = self.last.get(node.kind)
        pos = (QPointF(last.x() + COL_W, last.y()) if last is not None
               else QPointF(0.0, LAYER[node.kind] * ROW_H))
        self.last[node.kind] = node  # the caller puts it at `pos` before the next place()
        return pos
