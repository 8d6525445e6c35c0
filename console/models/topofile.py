"""Reading and writing `fabric-console/1` topology files.

The file is product surface: users write it by hand. Loading never raises anything but
TopologyFileError, whose problems name the path (`vms[2].nics[0].pf`) and the rule.
Saving is atomic (temporary file, fsync, rename) and keeps the previous version as FILE.bak.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from . import fastyaml
from .atomicfile import STALE_TEMP_S as STALE_TEMP_S  # `as`: named here too
from .atomicfile import write_atomic as write_atomic
from .base import FieldsSets, Model, share_fields_sets
from .heap import collector_paused, give_back
from .topology import FORMAT, Topology
from .types import error_text

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_VALUES = int(os.environ.get("FABRIC_CONSOLE_MAX_VALUES", "0") or 0) or 2_500_000
"""The work budget of one file: how many values (mappings, lists, list items and scalars)
it may hold once YAML aliases are expanded. Bytes say little about the cost: 7 KB of
aliases expanded to 810,000 vNICs (50 s, 2.9 GB), and 40 MB of `- 0` lines is ten
million values. The 100,000-VM file of benchmarks/scale.py holds 2.2 million (it loads
and validates in about 35 s and 1.1 GB): the budget bounds every file's work near that.
FABRIC_CONSOLE_MAX_VALUES overrides it (for larger fabrics, on a larger machine)."""
MAX_ALIAS_GROWTH = 100_000
"""Values aliases may add beyond what is written: shared vNIC or flow templates stay far
below; a file that is mostly expansion ("billion laughs") is refused long before the
budget, and before its copies are validated one by one."""
MAX_NESTED_ITEMS = 4096
"""Items of a list inside an object (VLAN ids, clients, PFs, VTEPs, vNICs): each is far
smaller in any real fabric (VLAN ids 1 to 4094 fit). Only the top-level lists (VMs,
hosts...) grow with the fabric. A million invalid VLAN ids were a million validation
errors (20 s, 1.5 GB) before this limit."""
MAX_PROBLEMS = 100
"""Load problems reported one by one; the rest are counted ("and 9,900 more like these")."""
MAX_DEPTH = 64
_NESTING_PRECHECK = 4096  # below this bound libyaml's recursion is safe
_EVENT_PASS_FROM = 200_000  # values bound above which the parser's events are counted
_FAST_PATH_BOUND = 3
"""fastyaml (ryaml) builds a file's values before they are counted: it is tried only on a
file whose values bound is within this many budgets (the 100,000-VM file of
benchmarks/scale.py: 2.1 million values, a bound of 5.7 million). A larger file is
counted first, by PyYAML's events, as before."""
# Characters before which YAML can start a value: line starts, `- `, `: `, `? `, flow
# brackets and commas. Each starts at most two values (a mapping and its first key), so
# twice their count bounds what a file holds without running the parser.
_VALUE_STARTS = "\n-:?[{,"

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
    try:
        with collector_paused(freeze=leaves_frozen(len(data))):
            raw = parse_yaml(data, source)
            return from_data(raw, source, consume=True)
    finally:
        raw = None
        give_back()


FREEZE_FROM_BYTES = 1 << 20
"""A file this large (a few thousand VMs and up) leaves its objects frozen out of the
cyclic garbage collector's sight once read (gc.freeze): the first collection after the
load would otherwise walk every one of them (100,000 VMs: 0.23 s, at whatever moment the
next allocation comes), and every full collection after it again. Objects frozen by an
earlier large load are handed back and collected first (heap.collector_paused), so a
topology closed since then is still collected. backends.topofiles.settle_heap keeps to
the same policy for the files below this size."""


def leaves_frozen(size: int) -> bool:
    """Does reading a file of `size` bytes leave the heap settled (FREEZE_FROM_BYTES)?"""
    return size >= FREEZE_FROM_BYTES


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
    if _values_bound(data) <= _FAST_PATH_BOUND * MAX_VALUES:
        fast = fastyaml.parse(data, MAX_VALUES, MAX_DEPTH, MAX_NESTED_ITEMS)
        if fast is not None:
            return fast
    _check_size(data, source)
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


def _over_budget(source: str, what: str) -> TopologyFileError:
    return TopologyFileError(source, [Problem("", (
        f"too many values: {what}; the budget is {MAX_VALUES:,} values (mappings, "
        "lists, list items and scalars), more than a 100,000-VM fabric needs "
        "(FABRIC_CONSOLE_MAX_VALUES raises it)"))])


def _check_size(text: str, source: str) -> None:
    """Refuse, before libyaml builds anything, a file that holds more values than the
    budget, a list inside an object longer than MAX_NESTED_ITEMS, or nesting so deep that
    libyaml's C composer, which recurses once per level, would overflow the C stack (a
    segmentation fault, not a RecursionError, at about 100,000 nested brackets).

    Cheap bounds first, from character counts: values (see _VALUE_STARTS), and depth
    (flow-bracket depth plus twice the longest line, since block nesting needs indentation
    or a compact `- ` per level). Only a file beyond them has its parser events counted,
    which needs no recursion, costs about a fifth of loading, and stops at the first
    value over a limit: 40 MB of `- 0` lines is refused after 2.5 million events, not
    after building ten million objects.
    """
    values_bound = _values_bound(text)
    if values_bound <= _EVENT_PASS_FROM and not _maybe_deep(text):
        return
    try:
        _count_events(text, source)
    except yaml.YAMLError:
        return  # yaml.load reports the syntax error with its line and column


def _values_bound(text: str) -> int:
    """An upper bound on the values `text` holds, from character counts (_VALUE_STARTS)."""
    return 1 + 2 * sum(text.count(c) for c in _VALUE_STARTS)


def _maybe_deep(text: str) -> bool:
    """Could `text` nest deeper than _NESTING_PRECHECK? Asked only of a file with few
    value starts: brackets are value starts, so there are at most 100,000 to walk."""
    depth = bound = 0
    if "[" in text or "{" in text:
        for match in _BRACKETS.finditer(text):
            depth += 1 if match.group() in "[{" else -1
            bound = max(bound, depth)
    # Is any line longer than the depth bound allows? Asked of the regex engine: splitting
    # 40 MB into ten million line strings cost 600 MB. Anchored at line starts, the search
    # is linear: unanchored, it rescanned every line from each of its characters (23 s
    # for 40 MB of 2,000-character lines).
    room = (_NESTING_PRECHECK - bound) // 2
    return room < 0 or re.search(f"(?m)^[^\n]{{{room + 1}}}", text) is not None


def _count_events(text: str, source: str) -> None:
    depth = values = 0
    count = 0  # events so far, to find the path of an offending one again
    # per open collection: [is a mapping, items so far]; items None for top-level lists,
    # whose length only the budget limits (a mapping's keys and values both count)
    items: list[list[Any]] = []
    for event in yaml.parse(text, Loader=_Loader):
        count += 1
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
            items.pop()
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                  yaml.SequenceStartEvent)):
            continue
        values += 1
        if values > MAX_VALUES:
            raise _over_budget(source, f"the file holds more than {MAX_VALUES:,}")
        if items and items[-1][1] is not None:
            top = items[-1]
            top[1] += 1
            if top[1] > (2 * MAX_NESTED_ITEMS if top[0] else MAX_NESTED_ITEMS):
                raise TopologyFileError(source, [Problem(_event_path(text, count), (
                    _too_many_keys(None) if top[0] else
                    f"a list of more than {MAX_NESTED_ITEMS:,} items; a list inside an "
                    f"object holds at most {MAX_NESTED_ITEMS:,}"))])
        if isinstance(event, yaml.MappingStartEvent):
            items.append([True, 0])
        elif isinstance(event, yaml.SequenceStartEvent):
            items.append([False, 0 if depth >= 2 else None])
        else:
            continue
        depth += 1
        if depth > MAX_DEPTH:
            raise TopologyFileError(source, [Problem("", f"nested deeper than {MAX_DEPTH}")])


def _too_many_keys(keys: int | None) -> str:
    """Every mapping of the format has a few dozen keys at most (designated_vteps, one per
    bridge domain, the most): a million unknown keys were a million errors."""
    what = f"{keys:,}" if keys is not None else f"more than {MAX_NESTED_ITEMS:,}"
    return f"a mapping of {what} keys; a mapping holds at most {MAX_NESTED_ITEMS:,}"


def _event_path(text: str, stop: int) -> str:
    """The path (`port_profiles[0].vlans`) of the collection holding the `stop`-th parser
    event: a second pass, made only to word an error."""
    # per open collection: [is_mapping, next event is a key, current key or index]
    open_: list[list[Any]] = []
    for n, event in enumerate(yaml.parse(text, Loader=_Loader), start=1):
        if n == stop:
            break
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            open_.pop()
            _advance(open_)
            continue
        if not isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent, yaml.MappingStartEvent,
                                  yaml.SequenceStartEvent)):
            continue
        top = open_[-1] if open_ else None
        if top is not None and top[0] and top[1]:  # a key
            top[2] = getattr(event, "value", "?")
            top[1] = False
            continue
        if isinstance(event, yaml.MappingStartEvent):
            open_.append([True, True, None])
        elif isinstance(event, yaml.SequenceStartEvent):
            open_.append([False, False, 0])
        else:
            _advance(open_)
    return format_path(entry[2] for entry in open_[:-1])


def _advance(open_: list[list[Any]]) -> None:
    """A value of the innermost collection ended: the next is a key, or the next item."""
    if open_:
        top = open_[-1]
        if top[0]:
            top[1] = True
        else:
            top[2] += 1


def _check_shape(raw: Any, source: str) -> None:
    """Refuse alias bombs, cycles and absurd nesting before validation expands them.

    Aliases make the parsed data a graph; its expanded size is counted with memoisation,
    so a file of a few lines that would expand to billions of nodes is refused at once.
    Sizes count a mapping or list, plus one per key or item: each shared (aliased) one
    once for `written`, once per use for the expanded total.
    """
    written = 0
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
            written += 1 + len(node)
            if total > MAX_VALUES:
                raise _alias_error(source, raw, total)
            continue
        if key in on_path:
            raise TopologyFileError(source, [Problem("", "a YAML alias refers to itself")])
        if key in sizes:
            continue
        if depth > MAX_DEPTH:
            raise TopologyFileError(source, [Problem("", f"nested deeper than {MAX_DEPTH}")])
        if isinstance(node, dict) and len(node) > MAX_NESTED_ITEMS:
            raise TopologyFileError(source, [Problem(_path_to(raw, node),
                                                     _too_many_keys(len(node)))])
        if depth >= 2 and isinstance(node, list) and len(node) > MAX_NESTED_ITEMS:
            raise TopologyFileError(source, [Problem(_path_to(raw, node), (
                f"a list of {len(node):,} items; a list inside an object holds at most "
                f"{MAX_NESTED_ITEMS:,}"))])
        on_path.add(key)
        stack.append((node, depth, True))
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1, False))
    expanded = sizes.get(id(raw), 0)
    if expanded > written + MAX_ALIAS_GROWTH:
        raise _alias_error(source, raw, expanded)


def _path_to(raw: Any, target: Any) -> str:
    """The file path (`port_profiles[0].vlans`) of the first place `target` appears."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(raw, ())]
    seen: set[int] = set()
    while stack:
        node, loc = stack.pop()
        if node is target:
            return format_path(loc)
        if not isinstance(node, (dict, list)) or id(node) in seen:
            continue
        seen.add(id(node))
        pairs = node.items() if isinstance(node, dict) else enumerate(node)
        stack.extend((child, (*loc, k)) for k, child in reversed(list(pairs))
                     if isinstance(child, (dict, list)))
    return ""


def _alias_error(source: str, raw: Any, total: int) -> TopologyFileError:
    """The budget error for a graph found too large while its expansion was counted: say
    whether aliases make it so (the written size is the size without them)."""
    written = _written_size(raw)
    if total > MAX_VALUES and written > MAX_VALUES:
        return _over_budget(source, f"the file holds more than {MAX_VALUES:,}")
    if total > MAX_VALUES:
        return _over_budget(source, f"the file writes {written:,}, but its YAML aliases "
                                    f"expand them to more than {MAX_VALUES:,}")
    return TopologyFileError(source, [Problem("", (
        f"too many values: YAML aliases expand {written:,} written values to {total:,}; "
        f"aliases may add at most {MAX_ALIAS_GROWTH:,} values (a file that is mostly "
        "copies of itself is refused before each copy is checked); write the objects out"))])


def _written_size(raw: Any) -> int:
    """Values of the parsed data counting each shared (aliased) mapping or list once."""
    seen: set[int] = set()
    total = 0
    stack = [raw]
    while stack:
        node = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in seen:
            total += 1  # the alias itself
            continue
        seen.add(id(node))
        total += 1 + len(node)
        stack.extend(node.values() if isinstance(node, dict) else node)
    return total


def from_data(raw: Any, source: str = "<data>", *, consume: bool = False) -> Topology:
    """Validate parsed data into a Topology. With `consume`, a large file's top-level
    lists are emptied as they are validated (the caller no longer needs `raw`): the
    parsed data and the objects made from it are then not both held in full at once."""
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
    lists = _model_lists(raw)
    try:
        if any(len(items) > _CHUNKED_FROM for items in lists.values()):
            return _validate_in_chunks(raw, lists, source, consume)
        topo = Topology.model_validate(raw)
        share_fields_sets([topo])
        return topo
    except ValidationError as exc:
        raise TopologyFileError(source, _capped_problems(raw, exc)) from None
    except (RecursionError, TypeError, ValueError) as exc:  # pragma: no cover - defensive
        raise TopologyFileError(source, [Problem("", f"cannot be read: {exc}")]) from None


_CHUNK = 1000  # list items validated at a time
_NOTHING = [None] * _CHUNK
_CHUNKED_FROM = 20_000
"""A top-level list longer than this is validated in chunks: pydantic keeps every error of
one validation in memory at once (a million bad VMs: 650 MB), a chunk only its own."""


def _model_lists(raw: dict[str, Any]) -> dict[str, list[Any]]:
    """The top-level lists of objects (vms, hosts...) as the file writes them."""
    return {name: value for name, value in raw.items()
            if isinstance(value, list) and name in Topology.model_fields
            and _model_of(Topology.model_fields[name].annotation) is not None}


def _validate_in_chunks(raw: dict[str, Any], lists: dict[str, list[Any]],
                        source: str, consume: bool = False) -> Topology:
    """Topology.model_validate(raw), one chunk of each top-level list at a time; the
    validated objects are then handed to the Topology as they are (pydantic does not
    validate a model instance again)."""
    shared: FieldsSets = {}
    found, total, done = _chunk_problems(raw, lists, keep=True, consume=consume,
                                         shared=shared)
    if total:
        raise TopologyFileError(source, _with_count(found, total))
    topo = Topology.model_validate({**raw, **done})
    share_fields_sets([topo], shared, skip=frozenset(done))  # the lists are done
    return topo


def _chunk_problems(raw: dict[str, Any], lists: dict[str, list[Any]], keep: bool,
                    consume: bool = False, shared: FieldsSets | None = None,
                    ) -> tuple[list[Problem], int, dict[str, list[Any]]]:
    """Validate the settings alone, then each top-level list in chunks: the first
    MAX_PROBLEMS problems, how many there are in all, and (with `keep`) the validated
    lists. Without `keep` it stops once MAX_PROBLEMS are found (total then unknown).
    With `consume`, each chunk's items in `lists` are dropped once validated, and the
    objects share their fields sets (`shared`) at once: the memory both leave behind
    is reused by the next chunk instead of adding to the load's peak (100,000 VMs:
    resident growth 349 -> 213 MB)."""
    found: list[Problem] = []
    total = 0
    shallow = {name: ([] if name in lists else value) for name, value in raw.items()}
    try:
        Topology.model_validate(shallow)
    except ValidationError as top:
        total += top.error_count()
        found += _problems(top.errors(include_url=False)[:MAX_PROBLEMS])
    done: dict[str, list[Any]] = {}
    for name, items in lists.items():
        adapter = _list_adapter(name)
        out: list[Any] = []
        for start in range(0, len(items), _CHUNK):
            if not keep and len(found) >= MAX_PROBLEMS:
                break
            try:
                made = adapter.validate_python(items[start:start + _CHUNK])
                if consume:
                    items[start:start + len(made)] = _NOTHING[:len(made)]
                    share_fields_sets(made, shared)
                out.extend(made)
            except ValidationError as part:
                total += part.error_count()
                room = MAX_PROBLEMS - len(found)
                if room <= 0:
                    continue
                errors = part.errors(include_url=False)[:room]
                for err in errors:
                    loc = err["loc"]
                    err["loc"] = (name, start + int(loc[0]), *loc[1:]) if loc else (name,)
                found += _problems(errors)
        done[name] = out
    return found, total, done


def _capped_problems(raw: dict[str, Any], exc: ValidationError) -> list[Problem]:
    """The first MAX_PROBLEMS problems, then one line counting the rest.

    pydantic's errors() builds every error of a file at once: for a million bad list
    items, three seconds and a gigabyte before the first line is printed. So past the cap
    the first problems are found again piece by piece, and the rest only counted."""
    total = exc.error_count()
    if total <= MAX_PROBLEMS:
        return _problems(exc.errors(include_url=False))
    found, _, _ = _chunk_problems(raw, _model_lists(raw), keep=False)
    return _with_count(found, total)


def _with_count(found: list[Problem], total: int) -> list[Problem]:
    found = found[:MAX_PROBLEMS]
    if total > len(found):
        found.append(Problem("", f"and {total - len(found):,} more problems like these"))
    return found


def _list_adapter(field: str) -> TypeAdapter[Any]:
    annotation = Topology.model_fields[field].annotation
    assert annotation is not None  # every Topology field is annotated
    return TypeAdapter(annotation)


def _problems(errors: list[Any]) -> list[Problem]:
    out = []
    for err in errors:
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
        msg = error_text(err)
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

class _Flow(dict[str, Any]):
    """A mapping written on one line, as the hand-written examples do."""


class _FlowList(list[Any]):
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
    always: frozenset[str] = getattr(type(model), "write_always", frozenset())
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
    See write_atomic for symlinks, hard links, mode and owner.
    """
    write_atomic(dumps(topo), path)
