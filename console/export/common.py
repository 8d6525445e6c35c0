"""Pieces the export formats share: object paths, named sections and policy names.

A format renders a topology as a list of Sections, each the configuration of one object
(or of a group of objects), keyed by the object's path in the file. `render` joins them;
`render_object` returns one. Both go through the same code, so a preview never disagrees
with the export.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from console.models import Qos, Topology

# fullmatch, ASCII digits: `$` matched before a final newline and \d took any script's
_PATH_RE = re.compile(r"([a-z_]+)\[([0-9]+)\]")


@dataclass(frozen=True)
class Section:
    """The lines of one object's configuration; `path` is None for shared blocks."""

    path: str | None
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def parse_path(path: str) -> tuple[str, int]:
    """'port_profiles[2]' -> ('port_profiles', 2); ValueError for any other shape."""
    m = _PATH_RE.fullmatch(path.strip())
    if m is None:
        raise ValueError(f"{path!r} is not an object path such as port_profiles[0]")
    return m.group(1), int(m.group(2))


def check_path(topo: Topology, path: str, collections: Iterable[str]) -> tuple[str, int]:
    """Parse `path` and check it names an object of the topology. `collections` are the
    lists of the topology the format knows (others are ValueError)."""
    collection, i = parse_path(path)
    known = tuple(collections)
    if collection not in known:
        raise ValueError(f"{path}: this format has nothing for {collection}; "
                         f"it exports {', '.join(known)}")
    items = getattr(topo, collection, None)
    if items is None or i >= len(items):
        raise ValueError(f"{path}: no such object (the topology has "
                         f"{len(items or [])} {collection})")
    return collection, i


def section_for(sections: Iterable[Section], path: str) -> str:
    """The text of the section of `path` (the caller checked the path)."""
    for section in sections:
        if section.path == path:
            return section.text
    raise ValueError(f"{path}: nothing to export")


def join_sections(header: Iterable[str], sections: Iterable[Section], sep: str = "!") -> str:
    """Header lines, then each section with a separator line between blocks."""
    out = list(header)
    for section in sections:
        out.append(sep)
        out.extend(section.lines)
    return "\n".join(out) + "\n"


def qos_key(qos: Qos) -> tuple[float, int]:
    return (qos.rate_mbps, qos.burst_kb)


def qos_policy_names(qoses: Iterable[Qos | None], prefix: str) -> dict[tuple[float, int], str]:
    """One policy name per distinct (rate, burst), numbered in order of first use: short
    (UCS Manager policy names stop at 16 characters) and stable for a given file."""
    names: dict[tuple[float, int], str] = {}
    for qos in qoses:
        if qos is not None and qos_key(qos) not in names:
            names[qos_key(qos)] = f"{prefix}{len(names) + 1}"
    return names


def rate_text(rate_mbps: float) -> str:
    """1000.0 -> '1000', 2.5 -> '2.5' (for comments)."""
    return f"{rate_mbps:g}"


def vlan_ranges(vlans: Iterable[int]) -> str:
    """[300, 301, 302, 305] -> '300-302,305' (NX-OS VLAN list syntax), sorted, unique."""
    ids = sorted(set(vlans))
    parts: list[str] = []
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        parts.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(parts)


def one_line(text: str, limit: int) -> str:
    """A free-text field made safe for one CLI line: no line breaks, at most `limit`."""
    return " ".join(text.split())[:limit]


CLI_SYNTAX = ";|?"
"""Characters a device CLI reads as syntax in the middle of a line: `;` separates
commands (NX-OS command chaining), `|` starts a pipe, `?` asks for help when the text is
pasted into a session (the rest of the line is then lost)."""


def cli_text(text: str, limit: int, refused: str = "") -> tuple[str, str]:
    """A free-text field for one CLI line, and what had to go: line breaks and runs of
    spaces become one space, control characters (the model strips them already; a
    renderer may get text from elsewhere) and the characters of CLI_SYNTAX are removed,
    and so are those of `refused` (characters the device refuses in this field, dropped
    without a note as they always were); then cut at `limit`. Returns (text, the removed
    syntax and unprintable characters, each once, in order of first appearance), so the
    export can say what it changed."""
    removed: list[str] = []
    kept: list[str] = []
    for ch in " ".join(text.split()):
        if ch in refused:
            continue
        if ch in CLI_SYNTAX or not ch.isprintable():
            if ch not in removed:
                removed.append(ch)
        else:
            kept.append(ch)
    # what was removed may leave two spaces side by side
    return " ".join("".join(kept).split())[:limit].strip(), "".join(removed)


def removed_note(removed: str, what: str) -> str:
    """The comment that says which characters an export left out of a field, and why."""
    shown = " ".join(repr(ch) for ch in removed)
    return (f"{what}: left out {shown} (read as syntax by the device CLI, or not printable; "
            "the topology keeps them)")
