"""Configuration export: a topology rendered as the text an administrator would enter.

FORMATS is the one list of export formats: the `export` command, `compare`, the editors'
preview and the details pane all take theirs from it. Each format module exposes
    render(topology) -> dict[str, str]            file name -> text, in a stable order
    render_object(topology, path, derived=None) -> str
                                                  one object's configuration, for previews
                                                  (path as files name it: 'port_profiles[0]')
This package imports the domain model only (import contract `export-pure`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from console.models.derived import Derived
from console.models.topology import Topology

from . import libvirt, nxos, ucsm


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name (`--format`), how views label it, its renderers, the
    kinds of object it can show one of (`objects`: paths with the indices left out, as
    `object_shape` gives them), and whether it configures the switches (the VSM or the
    fabric interconnects) rather than the hypervisors."""

    name: str
    label: str
    render: Callable[[Topology], dict[str, str]]
    render_object: Callable[[Topology, str, Derived | None], str]
    objects: frozenset[str]
    switch: bool

    def shows(self, path: str) -> bool:
        """Can render_object show the object at `path` ('vms[2].nics[0]')?"""
        return object_shape(path) in self.objects


_SWITCH_OBJECTS = frozenset({"port_profiles[]", "dynamic_profiles[]", "bridge_domains[]",
                             "hosts[]"})

FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("nxos", "Nexus 1000V (NX-OS)", nxos.render, nxos.render_object,
                 _SWITCH_OBJECTS, switch=True),
    ExportFormat("ucsm", "UCS Manager CLI", ucsm.render, ucsm.render_object,
                 _SWITCH_OBJECTS, switch=True),
    # libvirt has no dynamic (OpenStack) port profiles: those live on the VSM only.
    ExportFormat("libvirt", "libvirt XML", libvirt.render, libvirt.render_object,
                 frozenset({"vms[]", "vms[].nics[]", "hosts[]", "port_profiles[]"}),
                 switch=False),
)}
"""Every export format, in the order views list them."""

_INDEX = re.compile(r"\[\d+\]")


def object_shape(path: str) -> str:
    """A path without its indices: 'vms[2].nics[0]' -> 'vms[].nics[]'."""
    return _INDEX.sub("[]", path)


class FormatUnavailable(LookupError):
    """No export format has this name."""


def load_format(name: str) -> ExportFormat:
    """The export format of this name; FormatUnavailable (naming the choices) if none."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise FormatUnavailable(
            f"unknown export format {name!r}; choose one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


__all__ = ["FORMATS", "ExportFormat", "FormatUnavailable", "load_format", "object_shape"]
