"""The evented base model every topology object derives from.

Every object is a validated pydantic model whose fields emit one psygnal signal each,
only when the value really changed, so views and backends follow edits without polling
and without a hand-written event system: `obj.events.<field>.connect(slot)`,
`obj.events.connect(slot)` (any field, with an EmitterInfo) and `obj.events.all`.

This was psygnal's EventedModel. It gave every object a SignalGroup and private
attributes, and its __init__ ran in Python, so pydantic-core called back into Python for
every object of a file: 10 KB and 100 µs per VM, most of the load time of a large file.
Here an object has no private attributes and no __init__ of its own, so a file validates
entirely in pydantic-core; the SignalGroup is built the first time anyone asks for
`events` (a view watches a few hundred of a file's 250,000 objects), and an object nobody
watches assigns without looking for listeners.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, get_args

from psygnal import Signal, SignalGroup
from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Base of every topology object: strict keys, validated assignment, change events."""

    # One slot for the SignalGroup, set when first asked for (None until then: an
    # object made by model_construct or copied has no group, and nothing listening).
    __slots__ = ("_signal_group",)

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        use_enum_values=False,
    )

    write_always: ClassVar[frozenset[str]] = frozenset()
    """Fields a saved file writes even at their default (the reader needs to see them)."""

    @property
    def events(self) -> SignalGroup:
        """The object's signals, one per field, built on first use."""
        group: SignalGroup | None = getattr(self, "_signal_group", None)
        if group is None:
            group = _group_class(type(self))(self)
            object.__setattr__(self, "_signal_group", group)
        return group

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.__pydantic_fields_set__:
            # The set may be shared with objects loaded alike (share_fields_sets):
            # pydantic adds the name to it in place, so this object takes its own first.
            object.__setattr__(self, "__pydantic_fields_set__",
                               set(self.__pydantic_fields_set__))
        group: SignalGroup | None = getattr(self, "_signal_group", None)
        if group is None or name not in type(self).__pydantic_fields__:
            super().__setattr__(name, value)  # nobody listens: validate and set
            return
        old = self.__dict__.get(name)
        super().__setattr__(name, value)
        new = self.__dict__[name]  # the validated value
        if not _same(new, old):
            getattr(group, name).emit(new)

    def __eq__(self, other: object) -> bool:
        # EventedModel's equality, kept: field by field with another model, by value
        # against plain data (`model == {...}`).
        if not isinstance(other, Model):
            return bool(self.model_dump() == other)
        return all(hasattr(other, name) and _same(getattr(self, name), getattr(other, name))
                   for name in type(self).__pydantic_fields__)

    __hash__ = None  # type: ignore[assignment]  # mutable: not hashable, as before


FieldsSets = dict[tuple[type["Model"], frozenset[str]], set[str]]
"""The one set of each (class, keys given) share_fields_sets has met so far."""


def share_fields_sets(roots: Iterable[Model], shared: FieldsSets | None = None,
                      skip: frozenset[str] = frozenset()) -> None:
    """Let the objects under `roots` that were made from the same keys share one set of
    those keys (pydantic's `model_fields_set`), instead of a set each: a vNIC's is 728
    bytes, a third of a loaded 100,000-VM file's objects. Each object still answers its
    own `model_fields_set`; an assignment gives it its own copy first (Model.__setattr__),
    so what pydantic adds to the set never shows on the others. `shared` carries the sets
    from one call to the next (a file loaded in chunks); fields named in `skip` are not
    walked into below the roots themselves.

    Level by level and class by class, with the per-object work in map() (C): a Python
    loop per object cost 0.4 s at 100,000 VMs, a seventh of the load."""
    if shared is None:
        shared = {}
    level: list[Model] = list(roots)
    first = True
    while level:
        classes = set(map(type, level))
        by_class: dict[type[Model], list[Model]] = {}
        if len(classes) == 1:
            by_class[classes.pop()] = level  # a list's items: the usual case
        else:
            for obj in level:
                by_class.setdefault(type(obj), []).append(obj)
        below: list[Model] = []
        for cls, objs in by_class.items():
            _share_within(cls, objs, shared)
            for name in _nested_fields(cls):
                if first and name in skip:
                    continue
                values = list(map(operator.attrgetter(name), objs))
                if set(map(type, values)) == {list}:
                    below += itertools.chain.from_iterable(values)
                    continue
                for value in values:
                    if type(value) is list:
                        below += value
                    elif isinstance(value, Model):
                        below.append(value)
                    elif isinstance(value, dict):
                        below += [v for v in value.values() if isinstance(v, Model)]
        level = below
        first = False


_FIELDS_SET = "__pydantic_fields_set__"
_fields_set_of = operator.attrgetter(_FIELDS_SET)


def _share_within(cls: type[Model], objs: list[Model], shared: FieldsSets) -> None:
    """share_fields_sets for objects of one class: most were made from the same keys as
    the first, and are handed its set at once; the others one by one."""
    owns = list(map(_fields_set_of, objs))
    one = shared.setdefault((cls, frozenset(owns[0])), owns[0])
    alike = list(map(one.__eq__, owns))
    if all(alike):
        list(map(object.__setattr__, objs, itertools.repeat(_FIELDS_SET, len(objs)),
                 itertools.repeat(one, len(objs))))
        return
    for obj, own, same in zip(objs, owns, alike, strict=True):
        mine = one if same else shared.setdefault((cls, frozenset(own)), own)
        if mine is not own:
            object.__setattr__(obj, _FIELDS_SET, mine)


@functools.cache
def _nested_fields(cls: type[Model]) -> tuple[str, ...]:
    """The fields of a model class that hold models: one, an optional one, or a list."""
    return tuple(name for name, info in cls.__pydantic_fields__.items()
                 if _holds_model(info.annotation))


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Model):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # a type whose == is not a truth value
        return False


@functools.cache
def _group_class(cls: type[Model]) -> type[SignalGroup]:
    """The SignalGroup class of a model class: one Signal per field, made once."""
    signals = {name: Signal(object) for name in cls.__pydantic_fields__}
    return type(f"{cls.__name__}Events", (SignalGroup,), signals)


class Owner(StrEnum):
    """Who owns an object. OpenStack-owned objects are read-only in the console: edits made
    on the VSM directly are lost at the next OpenStack synchronization."""

    CONSOLE = "console"
    OPENSTACK = "openstack"
