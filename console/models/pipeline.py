"""The change pipeline: how every fabric takes a live change.

    planned = plan_change(topology, change)   # judged by the rules, applied to a copy
    if planned.after is None:
        return planned.refused()              # the refusals, as a ChangeResult
    ... carry the change out (recompile, netlink, libvirt calls) ...
    topology = planned.after                  # only once that succeeded

`plan_change` never edits the topology it is given: the change goes to a copy that shares
every object the change does not edit (rules.apply.applied_copy). A backend whose own
steps fail keeps the topology it had, unchanged; the emulated fabric, the kernel lab and
the libvirt backend all go this way, and the editors judge a change with it (rules.guard).
"""

from __future__ import annotations

from dataclasses import dataclass

from .changes import Change, ChangeResult
from .findings import Finding
from .topology import Topology


@dataclass(frozen=True)
class PlannedChange:
    """A change judged and applied to a copy. `after` is the topology a backend carries
    out and then takes as its own, or None when `refusals` say why the change may not
    go in; `before` is the topology it was planned on (never edited)."""

    change: Change
    before: Topology
    after: Topology | None
    refusals: list[Finding]

    def refused(self) -> ChangeResult:
        """The result a backend returns for a refused change: every reason, in order."""
        return ChangeResult(self.change, False, "; ".join(f.message for f in self.refusals),
                            findings=list(self.refusals))


def plan_change(topology: Topology, change: Change) -> PlannedChange:
    """Judge `change` on `topology` with the rules and apply it to a copy: refused when it
    names objects that do not exist, edits what OpenStack owns, turns segmentation off
    under ports that use it, migrates where a VM cannot go, or would add an error finding
    the topology did not have (rules.guards says which). `topology` is not edited."""
    # Here, not at the top: the rules package imports this module (guards.guard).
    from .rules.apply import applied_copy
    from .rules.guards import new_errors, prechecks

    refusals = prechecks(topology, change)
    if refusals:
        return PlannedChange(change, topology, None, refusals)
    after = applied_copy(topology, change)
    refusals = new_errors(topology, after)
    return PlannedChange(change, topology, None if refusals else after, refusals)
