"""Live state on the canvas: the fabric working, from a connection's rate history.

- links carry traffic in green, wider with the rate (LinkLayer styles "live1".."live3"):
  a vNIC's link to its port profile or network by that VIF's packets/s, a VM's link to its
  host by its vNICs' sum, a VM-FEX host's uplink to its FI by its VMs' sum;
- a VM's vNIC rows end with their packets/s (small print, zoomed in);
- badges above a node: a VM's VIF drops, a VEM's MTU drops (red), a bridge domain's flood
  frames and the copies they cost on the underlay (amber).

The source is anything with `.history` (views.history.StatsHistory) and a `.sampled` Qt
signal: apply() runs once per sample and changes only what a person would see change (a
node's text, once rates are rounded for display; a link's rate class), so a sample that
moves nothing redraws nothing. A stale sample (history.live False: the connection dropped)
clears the live state rather than showing old rates as current.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import shiboken6

from .items import NodeLive
from .links import KIND_IDS, LinkItem

if TYPE_CHECKING:
    from .scene import TopologyScene

DROP = "#c0392b"
FLOOD = "#b7700b"
LEVELS = (1.0, 100.0, 1000.0)  # packets/s from which a link is drawn live1, live2, live3


def rate_text(value: float) -> str:
    """A rate as a person reads it at a glance: 950, 2.0k, 12k, 1.2M."""
    if value < 999.5:
        return f"{value:.0f}"
    if value < 9950:
        return f"{value / 1000:.1f}k"
    if value < 999_500:
        return f"{value / 1000:.0f}k"
    return f"{value / 1e6:.1f}M"


def level(pps: float) -> int:
    """The rate class of a link: 0 idle, then one per LEVELS threshold reached."""
    if pps < LEVELS[0]:
        return 0
    return 1 if pps < LEVELS[1] else 2 if pps < LEVELS[2] else 3


def _nothing(kind: str, name: str, metric: str) -> float:
    return 0.0


Key = tuple[str, int | str]  # (node id, vNIC index) or (node id, link kind)


def link_key(link: LinkItem) -> Key:
    return (link.src.id, link.nic if link.nic is not None else link.kind)


class LiveState:
    """Applies a live source's latest rates to one scene (see the module doc)."""

    def __init__(self, scene: TopologyScene, source: Any):
        self.scene = scene
        self.source = source
        self.levels: dict[Key, int] = {}  # rate class of each busy link's key
        self._vifs: dict[str, tuple[object, str, list[str]]] = {}  # vm id -> (obj, host, keys)
        source.sampled.connect(self.apply)

    def detach(self) -> None:
        """Offline: every node and link back to how the model alone draws it."""
        with contextlib.suppress(RuntimeError, TypeError):  # gone with its source
            self.source.sampled.disconnect(self.apply)
        for node in self.scene.nodes.values():
            node.set_live(None)
        layer = self.scene.link_layer
        for link in self.scene.links():
            layer.set_style(link, KIND_IDS[link.kind])
        self.levels.clear()

    # ------------------------------------------------------------------ apply
    def apply(self) -> None:
        """The latest sample onto the scene: only what changed is redrawn (a node whose
        text changed, a link whose rate class changed). ~7 us a VIF: most of it is the
        history's lookups."""
        scene = self.scene
        if not shiboken6.isValid(scene):
            return
        history = self.source.history
        # A stale sample (the connection dropped) shows nothing live rather than old rates.
        latest = history.latest if getattr(history, "live", True) else _nothing
        nodes = scene.nodes
        levels: dict[Key, int] = {}
        uplink: dict[str, float] = {}
        vifs = self._vifs
        for nid in scene.ids_of("vm"):
            node = nodes[nid]
            known = vifs.get(nid)
            if known is None or known[0] is not node.obj:
                vm = node.obj
                known = vifs[nid] = (vm, vm.host, [f"{vm.name}/{n.name}" for n in vm.nics])
            _, host, keys = known
            rows: list[str] = []
            drops = total = 0.0
            for i, key in enumerate(keys):
                pps = latest("vif", key, "rx_pps") + latest("vif", key, "tx_pps")
                drops += latest("vif", key, "drops_ps")
                total += pps
                if pps >= LEVELS[0]:
                    levels[(nid, i)] = level(pps)
                rows.append(f"{rate_text(pps)} pkt/s" if pps >= 0.5 else "")
            if total >= LEVELS[0]:
                levels[(nid, "placement")] = level(total)
                uplink[host] = uplink.get(host, 0.0) + total
            badges = ((f"drops {rate_text(drops)}/s", DROP),) if drops >= 0.5 else ()
            node.set_live(NodeLive(tuple(rows), badges) if badges or any(rows) else None)
        for nid in scene.ids_of("host"):
            node = nodes[nid]
            busy = uplink.get(node.name, 0.0)
            if busy >= LEVELS[0]:
                levels[(nid, "uplink")] = level(busy)
            mtu = latest("vem", node.name, "mtu_drops_ps") if node.style == "vem" else 0.0
            node.set_live(NodeLive(badges=((f"MTU drops {rate_text(mtu)}/s", DROP),))
                          if mtu >= 0.5 else None)
        for nid in scene.ids_of("bd"):
            node = nodes[nid]
            floods = latest("bd", node.name, "flood_fps")
            copies = (latest("bd", node.name, "mcast_copies_ps")
                      + latest("bd", node.name, "ucast_copies_ps"))
            # per second, as the flood rate (short: it must be read over a zoomed-out node)
            text = f"flood {rate_text(floods)}/s → {rate_text(copies)} copies"
            node.set_live(NodeLive(badges=((text, FLOOD),))
                          if floods >= 0.5 or copies >= 0.5 else None)
        old, self.levels = self.levels, levels
        changed = {k[0] for k, v in levels.items() if old.get(k) != v}
        changed.update(k[0] for k in old if k not in levels)
        for nid in changed:
            changed_node = nodes.get(nid)
            if changed_node is not None:
                self.linked([x for x in changed_node.links if x.src is changed_node])
        for gone in vifs.keys() - scene.ids_of("vm"):
            del vifs[gone]

    def relinked(self) -> None:
        """The model changed (debounced): rows and links may be new."""
        self.apply()

    def linked(self, links: list[LinkItem]) -> None:
        """Style new links (or those of a node whose rates changed) by their rate class."""
        layer = self.scene.link_layer
        levels = self.levels
        for link in links:
            n = levels.get(link_key(link), 0)
            layer.set_style(link, KIND_IDS[f"live{n}"] if n else KIND_IDS[link.kind])
