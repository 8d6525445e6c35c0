"""The evented base model every topology object derives from.

psygnal's EventedModel (the model napari uses) gives validated pydantic fields that emit
one signal per field, only when the value really changed, so views and backends follow
edits without polling and without a hand-written event system.
"""

from __future__ import annotations

from enum import StrEnum

from psygnal import EventedModel
from pydantic import ConfigDict


class Model(EventedModel):
    """Base of every topology object: strict keys, validated assignment, change events."""

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
