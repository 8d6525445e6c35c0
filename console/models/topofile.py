"""Reading and writing `fabric-console/1` topology files.

The file is product surface: users write it by hand. Loading never raises anything but
TopologyFileError, whose problems name the path (`vms[2].nics[0].pf`) and the rule.
Saving is atomic (temporary file, fsync, rename) and keeps the previous version as FILE.bak.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .base import Model
from .topology import FORMAT, Topology

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 5_000_000  # after expanding YAML aliases: refuses "billion laughs" files
MAX_DEPTH = 64
_NESTING_PRECHECK = 4096  # below this bound libyaml's recursion is safe

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a key written twice in one mapping: YAML would keep the
    last one silently, and a second `vms:` section would drop the first one's VMs."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) \
                        or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key '{_short(key_node.value)}' is written twice in one "
                        "mapping (the first would be lost)", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)

_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be read: where, and what rule it breaks."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class TopologyFileError(Exception):
    """A topology file that cannot be read, with every problem found."""

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(self.__str__())

    def __str__(self) -> str:
        lines = [f"{self.source}: {p}" for p in self.problems]
        return "\n".join(lines) if lines else f"{self.source}: cannot be read"


def format_path(loc: Iterable[Any]) -> str:
    """('vms', 2, 'nics', 0, 'pf') -> 'vms[2].nics[0].pf'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load(path: str | os.PathLike[str]) -> Topology:
    """Read a topology file. Raises TopologyFileError (only) when it cannot be used."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise TopologyFileError(source, [Problem("", f"cannot open: {exc.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise TopologyFileError(
            source, [Problem("", f"larger than {MAX_FILE_BYTES // 2**20} MiB; not a topology")]
        )
    return loads(data, source=source)


def loads(data: bytes | str, source: str = "<text>") -> Topology:
    """Read a topology from YAML text or bytes."""
    raw = parse_yaml(data, source)
    return from_data(raw, source)


def parse_yaml(data: bytes | str, source: str = "<text>") -> Any:
    """YAML text -> plain data, refusing what is not a sane hand-written file."""
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise TopologyFileError(source, [Problem("", "binary data, not a YAML text file")])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TopologyFileError(
                source, [Problem("", f"not UTF-8 text (byte {exc.start})")]
            ) from None
    _check_nesting(data, source)
    try:
        raw = yaml.load(data, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise TopologyFileError(
            source, [Problem("", f"not valid YAML: {where}{exc.problem or exc}")]
        ) from None
    except yaml.reader.ReaderError as exc:
        raise TopologyFileError(
            source, [Problem("", f"not valid YAML: character {exc.character!r} at byte "
                                 f"{exc.position} is not allowed")]
        ) from None
    except (yaml.YAMLError, RecursionError, MemoryError, ValueError, OverflowError) as exc:
        raise TopologyFileError(source, [Problem("", f"not valid YAML: {type(exc).__name__}")]) \
            from None
    _check_shape(raw, source)
    return raw


_BRACKETS = re.compile(r"[\[\]{}]")


def _check_nesting(text: str, source: str) -> None:
    """Refuse absurd nesting before libyaml composes it: its C composer recurses once per
    level and overflows the C stack (a segmentation fault, not a RecursionError) on about
    100,000 nested brackets.

    A cheap bound first (flow-bracket depth plus twice the longest line, since block
    nesting needs indentation or a compact `- ` per level); only when that bound is high
    are the parser's events counted, which needs no recursion.
    """
    depth = bound = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        bound = max(bound, depth)
    longest = max((len(line) for line in text.splitlines()), default=0)
    if bound + 2 * longest <= _NESTING_PRECHECK:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise TopologyFileError(source, [Problem("", f"nested deeper than "
                                                                 f"{MAX_DEPTH}")])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return  # yaml.load reports the syntax error with its line and column


def _check_shape(raw: Any, source: str) -> None:
    """Refuse alias bombs, cycles and absurd nesting before validation expands them.

    Aliases make the parsed data a graph; its expanded size is counted with memoisation,
    so a file of a few lines that would expand to billions of nodes is refused at once.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    # Iterative post-order walk: (node, depth, children-done)
    stack: list[tuple[Any, int, bool]] = [(raw, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        if done:
            on_path.discard(key)
            children = node.values() if isinstance(node, dict) else node
            total = 1 + len(node)
            for child in children:
                total += sizes.get(id(child), 0) if isinstance(child, (dict, list)) else 0
            sizes[key] = total
            if total > MAX_NODES:
                raise TopologyFileError(
                    source, [Problem("", "expands to too many values (YAML aliases?)")]
                )
            continue
        if key in on_path:
            raise TopologyFileError(source, [Problem("", "a YAML alias refers to itself")])
        if key in sizes:
            continue
        if depth > MAX_DEPTH:
            raise TopologyFileError(source, [Problem("", f"nested deeper than {MAX_DEPTH}")])
        on_path.add(key)
        stack.append((node, depth, True))
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, False))


def from_data(raw: Any, source: str = "<data>") -> Topology:
    """Validate parsed data into a Topology."""
    if raw is None:
        raise TopologyFileError(source, [Problem("", "empty file; expected a topology")])
    if not isinstance(raw, dict):
        raise TopologyFileError(
            source,
            [Problem("", f"expected a mapping with 'format: {FORMAT}', got {_kind(raw)}")],
        )
    fmt = raw.get("format")
    if fmt is None:
        raise TopologyFileError(source, [Problem("format", f"missing; expected '{FORMAT}'")])
    if fmt != FORMAT:
        raise TopologyFileError(
            source, [Problem("format", f"'{_short(fmt)}' is not a format this version reads "
                                       f"(expected '{FORMAT}')")]
        )
    try:
        return Topology.model_validate(raw)
    except ValidationError as exc:
        raise TopologyFileError(source, _problems(exc)) from None
    except (RecursionError, TypeError, ValueError) as exc:  # pragma: no cover - defensive
        raise TopologyFileError(source, [Problem("", f"cannot be read: {exc}")]) from None


def _problems(exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        kind = err["type"]
        # pydantic puts union/tagged branches and function names in loc: drop them
        loc = [p for p in loc
               if not (isinstance(p, str) and ("[" in p or p.startswith("function")))]
        if kind == "extra_forbidden":
            key = loc[-1] if loc else "?"
            where = format_path(loc[:-1])
            msg = f"unknown key '{_short(key)}'"
            allowed = _allowed_keys(loc[:-1])
            if allowed:
                msg += f" (expected one of: {', '.join(allowed)})"
            out.append(Problem(where, msg))
            continue
        if kind == "missing":
            out.append(Problem(format_path(loc), "required, missing"))
            continue
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        if kind not in ("model_type", "dict_type", "list_type") and _is_scalar(got):
            msg += f" (got {_short(got)!r})" if isinstance(got, str) else f" (got {got})"
        elif kind in ("model_type", "dict_type", "list_type"):
            msg += f" (got {_kind(got)})"
        out.append(Problem(format_path(loc), msg))
    return out


def _allowed_keys(loc: list[Any]) -> list[str]:
    """The keys the model at `loc` accepts (for 'unknown key' messages)."""
    model: Any = Topology
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    fields = getattr(model, "model_fields", {})
    return [f.alias or name for name, f in fields.items()]


def _model_of(annotation: Any) -> Any:
    from typing import get_args

    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", int: "a number",
            float: "a number", bool: "true/false"}.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------- writing

class _Flow(dict):
    """A mapping written on one line, as the hand-written examples do."""


class _FlowList(list):
    pass


class _Dumper_(_Dumper):  # type: ignore[misc,valid-type]
    pass


_Dumper_.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)
_Dumper_.add_representer(
    _FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)

_FLOW_WIDTH = 96


def to_data(topo: Topology) -> dict[str, Any]:
    """The topology as plain data: defaults left out, so files stay as short as written,
    except the fields a reader needs to see (a model's `write_always`)."""
    return _prune(topo, topo.model_dump(mode="json", by_alias=True))


def _prune(model: Model, data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    always = getattr(type(model), "write_always", frozenset())
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        value = getattr(model, name)
        if (name not in always and not field.is_required()
                and value == field.get_default(call_default_factory=True)):
            continue
        item = data[key]
        if isinstance(value, Model):
            item = _prune(value, item)
        elif isinstance(value, list) and value and isinstance(value[0], Model):
            item = [_prune(v, d) for v, d in zip(value, item, strict=True)]
        elif isinstance(item, float) and item.is_integer():
            item = int(item)
        out[key] = item
    return out


def dumps(topo: Topology) -> str:
    """The topology as YAML text in the style of the hand-written examples."""
    return dumps_data(to_data(topo))


def dumps_data(data: dict[str, Any]) -> str:
    """dumps() of to_data()'s plain dict: it touches no model object, so a GUI can take
    the data on its own thread (the fast part) and write YAML in a worker thread."""
    styled: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            styled[key] = [_style_item(v) for v in value]
        elif isinstance(value, dict):
            styled[key] = _Flow(_style_leaf(value))
        else:
            styled[key] = value
    return yaml.dump(styled, Dumper=_Dumper_, sort_keys=False, width=100, allow_unicode=True,
                     default_flow_style=False)


def _style_leaf(value: Any) -> Any:
    if isinstance(value, dict):
        return _Flow({k: _style_leaf(v) for k, v in value.items()})
    if isinstance(value, list):
        return _FlowList(_style_leaf(v) for v in value)
    return value


def _flow_len(value: Any) -> int:
    """About how wide `value` is written on one line (quotes ignored): cheap enough to ask
    for every item of a 10,000-VM file, unlike a trial yaml.dump."""
    if isinstance(value, dict):
        return 2 + sum(len(str(k)) + 4 + _flow_len(v) for k, v in value.items())
    if isinstance(value, list):
        return 2 + sum(2 + _flow_len(v) for v in value)
    return len(str(value))


def _style_item(item: Any) -> Any:
    """One line per list item when it fits; otherwise a block with one-line values."""
    if not isinstance(item, dict):
        return _style_leaf(item)
    if _flow_len(item) <= _FLOW_WIDTH:
        return _style_leaf(item)
    out: dict[str, Any] = {}
    for k, v in item.items():
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and k == "nics":
            out[k] = [_style_item(x) for x in v]
        else:
            out[k] = _style_leaf(v)
    return out


def save(topo: Topology, path: str | os.PathLike[str]) -> None:
    """Write atomically: a temporary file in the same folder, fsync, rename over the target.

    The previous version, when there is one, is kept as PATH.bak. Nothing is left half
    written: on any failure the original file is untouched and the temporary file removed.
    """
    write_atomic(dumps(topo), path)


def write_atomic(text: str, path: str | os.PathLike[str]) -> None:
    """save()'s writing: `text` replaces the file at `path` atomically, keeping PATH.bak."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            # Copy, not move: the target must exist at every instant for other readers.
            backup = target.with_name(target.name + ".bak")
            shutil.copy2(target, tmp + ".bak")
            os.replace(tmp + ".bak", backup)
        os.replace(tmp, target)
    except BaseException:
        for leftover in (tmp, tmp + ".bak"):
            with contextlib.suppress(OSError):
                os.unlink(leftover)
        raise
