"""Bring what a live fabric reports into the topology a user is editing, in place.

A connection's topology is one evented model that every view follows. When the fabric
reports a new inventory (a live event, a reconnect), the model must take what changed on
the fabric without losing what the user has drawn but not applied (a VM placed on the
canvas, a position): a three-way merge against the inventory the model last took in.

- A top-level field the fabric did not change is left as the user has it.
- In a list of named objects, only objects the fabric added, removed or changed are
  touched; the rest, and the user's own additions, stay. A changed object keeps the
  user's canvas position: positions belong to the drawing, not to the fabric.
- Every field is set with one assignment, so each collection emits one event.
"""

from __future__ import annotations

from typing import Any

from .base import Model
from .topology import Topology


def _named(items: list[Any]) -> bool:
    return all(isinstance(x, Model) and isinstance(getattr(x, "name", None), str)
               for x in items)


def _with_position(new: Model, old: Model | None) -> Model:
    if old is None or "position" not in type(new).model_fields:
        return new
    position = getattr(old, "position", None)
    if position is None or getattr(new, "position", None) == position:
        return new
    return new.model_copy(update={"position": position})


def _merge_list(ours: list[Any], base: list[Any], theirs: list[Any]) -> list[Any]:
    base_by = {x.name: x for x in base}
    theirs_by = {x.name: x for x in theirs}
    out: list[Any] = []
    for obj in ours:
        if obj.name in base_by and obj.name not in theirs_by:
            continue  # removed on the fabric
        new = theirs_by.get(obj.name)
        if new is not None and new != base_by.get(obj.name):
            out.append(_with_position(new, obj))  # changed (or added) on the fabric
        else:
            out.append(obj)
    have = {x.name for x in out}
    for obj in theirs:  # new on the fabric, in the fabric's order
        if obj.name not in have and obj.name not in base_by:
            out.append(obj)
    return out


def merge_live(ours: Topology, base: Topology | None, theirs: Topology) -> list[str]:
    """Apply to `ours` what changed from `base` (the inventory `ours` last took in) to
    `theirs` (the fabric's new inventory). Returns the names of the fields that changed
    in `ours`. With no base, every field becomes the fabric's (positions still kept)."""
    changed: list[str] = []
    for name in type(ours).model_fields:
        new = getattr(theirs, name)
        old_base = getattr(base, name) if base is not None else None
        if base is not None and old_base == new:
            continue  # the fabric did not change it: the user's value stands
        mine = getattr(ours, name)
        if isinstance(new, list) and isinstance(mine, list) and _named(new) \
                and _named(mine) and (old_base is None or _named(old_base)):
            value = _merge_list(mine, old_base or [], new)
        else:
            value = new
        if value != mine:
            setattr(ours, name, value)
            changed.append(name)
    return changed


def shallow_copy(topo: Topology) -> Topology:
    """A new Topology holding the same field values (objects are shared, not copied):
    edits replace whole fields, so the copy and the original then go their own ways."""
    return type(topo)(**{name: getattr(topo, name) for name in type(topo).model_fields})
