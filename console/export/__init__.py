"""Configuration export: a topology rendered as the text an administrator would enter.

Each format is a module exposing
    render(topology) -> dict[str, str]            file name -> text, in a stable order
    render_object(topology, path) -> str          one object's configuration, for previews
                                                  (path as files name it: 'port_profiles[0]')
Format modules are imported only when asked for, so a format that is not written yet (or
whose optional dependencies are missing) never breaks the others. This package imports the
domain model only.
"""

from __future__ import annotations

import importlib
from types import ModuleType

FORMATS: dict[str, str] = {
    "nxos": "console.export.nxos",
    "ucsm": "console.export.ucsm",
    "libvirt": "console.export.libvirt",
}


class FormatUnavailable(LookupError):
    """The format is unknown, or its module is not available (yet)."""


def load_format(name: str) -> ModuleType:
    """The module of an export format; FormatUnavailable when it cannot be used."""
    module_name = FORMATS.get(name)
    if module_name is None:
        raise FormatUnavailable(
            f"unknown export format {name!r}; choose one of {', '.join(sorted(FORMATS))}"
        )
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # the format exists but a module it needs is missing
            raise FormatUnavailable(
                f"export format {name!r} is not available: it needs {exc.name}"
            ) from None
        raise FormatUnavailable(f"export format {name!r} is not available yet") from None


__all__ = ["FORMATS", "FormatUnavailable", "load_format"]
