"""What the model says about each canvas item beyond its own fields: findings of the rules
(for the badges) and a VEM's designated VTEPs (for its VTEP rows)."""

from __future__ import annotations

import re

from console.models import BridgeDomain, Host, Topology
from console.models.derived import Derived
from console.models.findings import Finding
from console.models.rules import check
from console.views.undo import KIND_OF

from .items import item_id

_PATH_RE = re.compile(r"^([a-z_]+)\[(\d+)\]")


class FindingsIndex:
    """item id -> findings, rebuilt from one rules run."""

    def __init__(self) -> None:
        self.by_item: dict[str, list[Finding]] = {}
        self.all: list[Finding] = []

    def update(self, topo: Topology) -> None:
        findings = list(check(topo))
        self.all = findings
        self.by_item = {}
        for finding in findings:
            nid = self.item_of(topo, finding.path)
            if nid is not None:
                self.by_item.setdefault(nid, []).append(finding)

    @staticmethod
    def item_of(topo: Topology, path: str) -> str | None:
        """'hosts[1].vteps[4]' -> 'host:kvm2' (the canvas item the finding is about)."""
        m = _PATH_RE.match(path)
        if m is None or m.group(1) not in KIND_OF:
            return None
        items = getattr(topo, m.group(1))
        i = int(m.group(2))
        if i >= len(items):
            return None
        return item_id(KIND_OF[m.group(1)], items[i].name)

    def for_item(self, nid: str) -> list[Finding]:
        return self.by_item.get(nid, [])


def designated_vteps(derived: Derived, bds: dict[str, BridgeDomain],
                     host: Host) -> dict[str, tuple[str, ...]]:
    """VTEP name -> the bridge domains it is the designated VTEP of, for the segments the
    VEM has running VMs in (where floods reach it)."""
    notes: dict[str, list[str]] = {}
    for name in derived.segments_on(host.name):
        bd = bds.get(name)
        vtep = derived.designated_vtep(host, bd) if bd is not None else None
        if vtep is not None:
            notes.setdefault(vtep.name, []).append(name)
    return {k: tuple(v) for k, v in notes.items()}
