"""Live changes (console.models.changes) as undo commands, and how an editor applies one.

A change is judged by `rules.guard` and applied by `rules.applied_copy`: the change
pipeline every backend goes through (console.models.pipeline). The command applies it to
a copy and then swaps the fields the change touches into the document's topology, so each
collection emits one event and undo restores the exact previous state. How a change is
described (its undo text) is the change's own `describe()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from console.models import Topology
from console.models.base import Model
from console.models.changes import Change, ChangeResult
from console.models.findings import Finding
from console.models.rules.apply import TOUCHES, applied_copy
from console.models.rules.guards import guard
from console.models.rules.inverse import inverse_of

# Refusals that hold even while planning offline: the rest of guard()'s findings (a change
# that would add an error finding) are shown, and the model edit still goes in, because a
# planner may draw a misconfiguration on purpose; a live backend judges them itself.
HARD_RULES = frozenset({"openstack.read-only", "vxlan.segmentation-in-use",
                        "vmfex.live-migration", "change.unknown-object"})


def _copy(value: Any) -> Any:
    if isinstance(value, Model):
        return value.model_copy(deep=True)
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class ChangeCommand(QUndoCommand):
    """One live change as an undo step."""

    def __init__(self, topo: Topology, change: Change, text: str = "",
                 parent: QUndoCommand | None = None, live: Any = None,
                 on_live: Callable[[ChangeResult], None] | None = None):
        """`live`: the backend the change has already gone to. Undo then sends it the
        inverse change, and redo the change again, so the fabric follows the history;
        `on_live` hears how each of those went."""
        super().__init__(text or change.describe(), parent)
        self.topo, self.change = topo, change
        self.fields = TOUCHES[type(change)]
        self.before = {f: _copy(getattr(topo, f)) for f in self.fields}
        scratch = applied_copy(topo, change)  # ValueError when it names a missing object
        self.after = {f: getattr(scratch, f) for f in self.fields}
        self.live, self.on_live = live, on_live
        self.inverse = inverse_of(topo, change) if live is not None else None
        self._pushed = False  # QUndoStack.push() runs redo() once: that one is not resent
        self.tasks: list[asyncio.Future] = []

    def _set(self, state: dict[str, Any]) -> None:
        for f in self.fields:
            if getattr(self.topo, f) != state[f]:
                setattr(self.topo, f, _copy(state[f]))

    def redo(self) -> None:
        self._set(self.after)
        if self._pushed:
            self._send_live(self.change)
        self._pushed = True

    def undo(self) -> None:
        self._set(self.before)
        self._send_live(self.inverse)

    def _send_live(self, change: Change | None) -> None:
        if self.live is None:
            return
        if change is None:
            self._report(ChangeResult(self.change, False, f"{self.change.describe()}: undone "
                                      "here only; the fabric keeps it (no single change "
                                      "reverses it there)"))
            return
        self.tasks.append(asyncio.ensure_future(self._send(change)))

    async def _send(self, change: Change) -> None:
        try:
            result = await self.live.apply(change)
        except Exception as exc:  # a dropped connection must not kill the GUI
            result = ChangeResult(change, False, f"The backend failed: {exc}")
        self._report(result)

    def _report(self, result: ChangeResult) -> None:
        if self.on_live is not None:
            self.on_live(result)


def refusals(topo: Topology, change: Change) -> tuple[list[Finding], list[Finding]]:
    """(hard refusals, other new error findings) of a change on this topology."""
    findings = guard(topo, change)
    hard = [f for f in findings if f.rule in HARD_RULES]
    soft = [f for f in findings if f.rule not in HARD_RULES]
    return hard, soft
