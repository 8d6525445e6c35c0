"""Undo commands: every edit of the topology, from every editor, as a QUndoCommand.

One QUndoStack (owned by the Document) holds them all, so Edit > Undo walks back through
canvas moves, port-profile edits and VTEP changes alike (GNS3 had no undo at all, #3611;
we start with one stack).

Commands never keep references to live model objects: they hold deep copies and find the
object by collection and name when they run, so an undo after a rename, or after an
unrelated replacement of the object, still lands on the right one. Edits replace whole
objects and whole lists, so each edit fires one psygnal event per collection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

from PySide6.QtGui import QUndoCommand

from console.models import BridgeDomain, FabricInterconnect, Host, PortProfile, Topology, Vm
from console.models.base import Model

# Canvas kinds and the topology collection each lives in.
COLLECTIONS: dict[str, str] = {
    "fi": "fabric_interconnects",
    "host": "hosts",
    "vm": "vms",
    "bd": "bridge_domains",
    "pp": "port_profiles",
}
KIND_OF: dict[str, str] = {v: k for k, v in COLLECTIONS.items()}
# What those collections hold: objects found by their name.
CanvasObject: TypeAlias = FabricInterconnect | Host | Vm | BridgeDomain | PortProfile


def find(topo: Topology, collection: str, name: str) -> tuple[int, CanvasObject] | None:
    """(index, object) of the named object in a collection, or None."""
    for i, obj in enumerate(getattr(topo, collection)):
        if obj.name == name:
            return i, obj
    return None


def _copy(obj: CanvasObject) -> CanvasObject:
    return obj.model_copy(deep=True)


def _replace(topo: Topology, collection: str, name: str, obj: CanvasObject) -> None:
    items = list(getattr(topo, collection))
    for i, x in enumerate(items):
        if x.name == name:
            items[i] = _copy(obj)
            setattr(topo, collection, items)
            return
    raise KeyError(f"{collection}: no object named {name}")


class ReplaceObject(QUndoCommand):
    """An object's new state (a rename included), e.g. a port profile after an edit."""

    def __init__(self, topo: Topology, collection: str, old_name: str, new: CanvasObject,
                 text: str = "", parent: QUndoCommand | None = None):
        super().__init__(text or f"Edit {new.name}", parent)
        found = find(topo, collection, old_name)
        if found is None:
            raise KeyError(f"{collection}: no object named {old_name}")
        self.topo, self.collection = topo, collection
        self.old, self.new = _copy(found[1]), _copy(new)

    def redo(self) -> None:
        _replace(self.topo, self.collection, self.old.name, self.new)

    def undo(self) -> None:
        _replace(self.topo, self.collection, self.new.name, self.old)


class AddObject(QUndoCommand):
    """A new object appended to (or inserted in) a collection."""

    def __init__(self, topo: Topology, collection: str, obj: CanvasObject,
                 index: int | None = None,
                 text: str = "", parent: QUndoCommand | None = None):
        super().__init__(text or f"Add {obj.name}", parent)
        self.topo, self.collection, self.obj = topo, collection, _copy(obj)
        self.index = index

    def redo(self) -> None:
        items = list(getattr(self.topo, self.collection))
        at = len(items) if self.index is None else self.index
        items.insert(at, _copy(self.obj))
        setattr(self.topo, self.collection, items)

    def undo(self) -> None:
        items = getattr(self.topo, self.collection)
        setattr(self.topo, self.collection, [x for x in items if x.name != self.obj.name])


class RemoveObject(QUndoCommand):
    """An object removed from its collection; undo puts it back where it was."""

    def __init__(self, topo: Topology, collection: str, name: str, text: str = "",
                 parent: QUndoCommand | None = None):
        super().__init__(text or f"Delete {name}", parent)
        found = find(topo, collection, name)
        if found is None:
            raise KeyError(f"{collection}: no object named {name}")
        self.topo, self.collection = topo, collection
        self.index, self.obj = found[0], _copy(found[1])

    def redo(self) -> None:
        items = getattr(self.topo, self.collection)
        setattr(self.topo, self.collection, [x for x in items if x.name != self.obj.name])

    def undo(self) -> None:
        items = list(getattr(self.topo, self.collection))
        items.insert(min(self.index, len(items)), _copy(self.obj))
        setattr(self.topo, self.collection, items)


Position = tuple[float, float] | None


class MovePositions(QUndoCommand):
    """Canvas positions of several objects: one command per drag, not per mouse move."""

    def __init__(self, topo: Topology,
                 moves: dict[tuple[str, str], tuple[Position, Position]],
                 text: str = "", parent: QUndoCommand | None = None):
        n = len(moves)
        super().__init__(text or (f"Move {n} items" if n > 1 else "Move item"), parent)
        self.topo, self.moves = topo, dict(moves)

    def _set(self, which: int) -> None:
        by_collection: dict[str, dict[str, Position]] = {}
        for (collection, name), pair in self.moves.items():
            by_collection.setdefault(collection, {})[name] = pair[which]
        for collection, positions in by_collection.items():
            items = [
                x.model_copy(update={"position": positions[x.name]})
                if x.name in positions else x
                for x in getattr(self.topo, collection)
            ]
            setattr(self.topo, collection, items)

    def redo(self) -> None:
        self._set(1)

    def undo(self) -> None:
        self._set(0)


class SetRootField(QUndoCommand):
    """A top-level field of the topology (vsm, ucs, underlay, name)."""

    def __init__(self, topo: Topology, field: str, value: Any, text: str = "",
                 parent: QUndoCommand | None = None):
        super().__init__(text or f"Set {field}", parent)
        self.topo, self.field = topo, field
        self.old, self.new = _dup(getattr(topo, field)), _dup(value)

    def redo(self) -> None:
        setattr(self.topo, self.field, _dup(self.new))

    def undo(self) -> None:
        setattr(self.topo, self.field, _dup(self.old))


def _dup(value: Any) -> Any:
    return value.model_copy(deep=True) if isinstance(value, Model) else value


class Macro(QUndoCommand):
    """Several commands as one undo step: run in order, undone in reverse.

    The children are plain Python-held commands, not Qt children (QUndoCommand(text,
    parent)): with PySide6 6.11 a Qt-parented Python command is freed twice at exit."""

    def __init__(self, text: str):
        super().__init__(text)
        self._children: list[QUndoCommand] = []

    def adopt(self, commands: Iterable[QUndoCommand]) -> Macro:
        self._children.extend(commands)
        return self

    def redo(self) -> None:
        for command in self._children:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self._children):
            command.undo()
