"""The evented base model every topology object derives from.

psygnal's EventedModel (the model napari uses) gives validated pydantic fields that emit
one signal per field, only when the value really changed, so views and backends follow
edits without polling and without a hand-written event system.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import Any

from psygnal import EventedModel
from pydantic import BaseModel, ConfigDict
from pydantic._internal import _fields as _pydantic_fields


def _cache_factory_signature_checks() -> None:
    """Make pydantic remember whether a default factory takes the validated data.

    pydantic (2.13) runs inspect.signature on every private attribute's default factory for
    every new instance; EventedModel has several private attributes, so that was 60% of the
    time to load a 10,000-VM topology. The answer depends only on the factory, so cache it.
    (pydantic 2.14 keeps the answer per private attribute itself; the cache then costs
    nothing.) pyproject.toml caps pydantic at the releases checked, and
    tests/quality/test_pydantic_patch.py fails when a release moves this function.
    """
    original = getattr(_pydantic_fields, "takes_validated_data_argument", None)
    if original is None or hasattr(original, "cache_info"):
        return
    # A private function replaced by a cached wrapper with the same behaviour.
    _pydantic_fields.takes_validated_data_argument = functools.cache(original)  # type: ignore[assignment]


_cache_factory_signature_checks()


class _LazySignalGroup:
    """The instance's SignalGroup, built the first time anyone asks for it.

    EventedModel builds a SignalGroup (one SignalInstance per field) in every __init__; a
    10,000-VM file makes 25,000 objects of which the console watches a few hundred, and that
    eager construction was most of the load time. psygnal reads `self._events` everywhere,
    so providing it lazily keeps its behaviour unchanged.
    """

    def __get__(self, obj: Model | None, owner: type) -> Any:
        if obj is None:
            return self
        private = obj.__pydantic_private__
        assert private is not None  # pydantic sets it in __init__ (the model has privates)
        group = private.get("_lazy_events")
        if group is None:
            group = owner.__signal_group__(obj)  # type: ignore[attr-defined]
            private["_lazy_events"] = group
        return group

    def __set__(self, obj: Model, value: Any) -> None:
        private = obj.__pydantic_private__
        assert private is not None
        private["_lazy_events"] = value


class Model(EventedModel):
    """Base of every topology object: strict keys, validated assignment, change events."""

    def __init__(self, **data: Any) -> None:
        # EventedModel.__init__ would build the SignalGroup now; _LazySignalGroup defers it.
        BaseModel.__init__(self, **data)

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        populate_by_name=True,
        use_enum_values=False,
    )


class Owner(StrEnum):
    """Who owns an object. OpenStack-owned objects are read-only in the console: edits made
    on the VSM directly are lost at the next OpenStack synchronization."""

    CONSOLE = "console"
    OPENSTACK = "openstack"


# Installed after class creation: psygnal's metaclass treats `_events` specially.
Model._events = _LazySignalGroup()  # type: ignore[assignment]
