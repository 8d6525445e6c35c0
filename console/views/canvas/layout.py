"""Where objects go when the file gives no position: layers from top to bottom (fabric
interconnects, hosts, VMs, port profiles, bridge domains), ordered inside a layer by
networkx's multipartite layout so related objects line up."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import networkx as nx
from PySide6.QtCore import QPointF

from console.models import Topology
from console.views.undo import COLLECTIONS

from .items import HEAD_H, NIC_H

if TYPE_CHECKING:
    from .items import NodeItem
    from .scene import TopologyScene

LAYER = {"fi": 0, "host": 1, "vm": 2, "pp": 3, "bd": 4}
ROW_H = 190.0
COL_W = 200.0


def layered_positions(topo: Topology) -> dict[tuple[str, str], tuple[float, float]]:
    """(collection, name) -> position for every canvas object, laid out in layers."""
    g = nx.Graph()
    for kind, collection in (("fi", "fabric_interconnects"), ("host", "hosts"), ("vm", "vms"),
                             ("pp", "port_profiles"), ("bd", "bridge_domains")):
        for obj in getattr(topo, collection):
            g.add_node((collection, obj.name), layer=LAYER[kind])

    def edge(a, b):
        if a in g and b in g:
            g.add_edge(a, b)
    for host in topo.hosts:
        if host.fabric_interconnect:
            edge(("hosts", host.name), ("fabric_interconnects", host.fabric_interconnect))
    for vm in topo.vms:
        edge(("vms", vm.name), ("hosts", vm.host))
        for nic in vm.nics:
            if nic.port_profile:
                edge(("vms", vm.name), ("port_profiles", nic.port_profile))
    for pp in topo.port_profiles:
        if pp.bridge_domain:
            edge(("port_profiles", pp.name), ("bridge_domains", pp.bridge_domain))
    if not g:
        return {}
    # Order inside each layer by the barycentre of the neighbours in the layer above.
    layers: dict[int, list] = {}
    for node, data in g.nodes(data=True):
        layers.setdefault(data["layer"], []).append(node)
    nics = {vm.name: len(vm.nics) for vm in topo.vms}
    x_of: dict = {}
    out: dict[tuple[str, str], tuple[float, float]] = {}
    # Wide layers wrap into several rows so a big fabric stays near-square on screen.
    wrap = max(12, int(math.sqrt(g.number_of_nodes()) * 1.5))
    y = 0.0
    for depth in sorted(layers):
        nodes = layers[depth]
        order = {n: i for i, n in enumerate(nodes)}

        def key(n, order=order):
            ups = [x_of[m] for m in g.neighbors(n) if m in x_of]
            return sum(ups) / len(ups) if ups else order[n] + 1e6
        nodes.sort(key=key)
        per_row = min(len(nodes), wrap)
        width = (per_row - 1) * COL_W
        row_h = max(_height(nics, n) for n in nodes) + 50.0
        for i, node in enumerate(nodes):
            x = (i % per_row) * COL_W - width / 2
            x_of[node] = x
            out[node] = (round(x, 1), round(y + (i // per_row) * row_h, 1))
        rows = (len(nodes) + per_row - 1) // per_row
        y += max(ROW_H, rows * row_h + 60.0)
    return out


def _height(nics: dict[str, int], node: tuple[str, str]) -> float:
    collection, name = node
    return HEAD_H + NIC_H * nics.get(name, 0) if collection == "vms" else HEAD_H


def place_unpositioned(scene: TopologyScene, nodes: list[NodeItem]) -> None:
    """Put items without a model position in their layer's row, after what is there.

    The view position is not written to the model (opening a file must not make it
    dirty); the Auto-layout action writes positions as one undo step."""
    if len(nodes) == len(scene.nodes):
        positions = layered_positions(scene.doc.topology)
        for node in nodes:
            pos = positions.get((COLLECTIONS[node.kind], node.name))
            if pos is not None:
                node.set_pos_silently(QPointF(*pos))
        return
    row_end: dict[int, float] = {}
    for node in nodes:
        layer = LAYER[node.kind]
        if layer not in row_end:
            row_end[layer] = max((n.pos().x() for n in scene.nodes.values()
                                  if LAYER[n.kind] == layer and n not in nodes),
                                 default=-COL_W) + COL_W
        node.set_pos_silently(QPointF(row_end[layer], layer * ROW_H))
        row_end[layer] += COL_W
