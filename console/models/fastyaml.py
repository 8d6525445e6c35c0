"""The fast way to read a topology file's YAML, taken only where it provably reads the same.

PyYAML (even with libyaml) builds every value in Python: 20 s of a 100,000-VM file's
load. ryaml parses with serde_yaml over unsafe-libyaml (a translation of the same libyaml
C parser PyYAML uses) and builds the Python values in Rust, ten times faster. Its syntax
is libyaml's, but it resolves plain scalars by YAML 1.2 where PyYAML follows YAML 1.1
(`yes` is True, `017` is 15, `1_000` is 1000, `12:30` is 750, `1e3` stays text, dates
become dates). A file's meaning must not depend on the parser, so `parse` answers None,
and topofile reads the file with PyYAML as before, unless all of these hold:

- the text uses none of the YAML features where the two differ or that the guards must
  see as they are: anchors and aliases (alias bombs), tags, directives, document markers,
  complex keys, merge keys, block scalars;
- every distinct plain scalar that either parser could read as anything but text reads
  the same (type and value) in both: both parsers are asked, one small batch each;
- the file is within the guards' budgets (depth, list lengths, mapping keys, values):
  a file beyond them is refused by topofile's PyYAML path, with its usual message.

Any error from ryaml also means None: PyYAML then reports it in its words (line and
column, duplicate keys...). So a file reads as PyYAML reads it, or not at all.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

try:  # an optional speed-up: without it every file takes the PyYAML path
    import ryaml
except ImportError:  # pragma: no cover - ryaml is a dependency
    ryaml = None  # type: ignore[assignment]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Where a token may start: text start, whitespace, a flow indicator, or right after the
# `:` that follows a quoted key or a flow collection (`{"a":1}`). Written as a look back
# from the token's first character, which comes first in each pattern: re then skips
# through the text to that character in C. Inside quoted text these match too: that only
# sends a file to the PyYAML path, never changes a reading.
_STARTS_TOKEN = r"(?:(?<![^\s\[\]{},].)|(?<=[\"'\]}]:.))"

_OTHER_SYNTAX = re.compile(r"[&*!%|>?@`]" + _STARTS_TOKEN)
"""Anchors, aliases, tags, directives, block scalars, complex keys, reserved characters:
the fast path takes none of them, nor merge keys (`<<`: PyYAML merges, ryaml keeps a key
'<<'), looked for apart: one pattern with both could not skip to its first character."""

_SCALAR = re.compile(r"[-+.0-9~=]" + _STARTS_TOKEN + r"[^\s,\[\]{}#]*")
"""Plain scalars one of the parsers may read as something other than text: those starting
with a digit, sign, dot, `~` or `=`."""

_WORDS = frozenset(["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off",
                    "OFF"])
"""YAML 1.1's other booleans: PyYAML reads them as true or false, ryaml as text. Every
other plain scalar not matched by _SCALAR is text in both (null, true, false read alike).
Looked for in the parsed data (as text, quoted or not), which is cheaper than in the text."""


def parse(text: str, max_values: int, max_depth: int, max_items: int) -> Any | None:
    """The parsed data of `text` when ryaml provably reads it as PyYAML does and it is
    within the budgets; None when topofile must read it with PyYAML."""
    if ryaml is None or "<<" in text or _OTHER_SYNTAX.search(text) is not None \
            or text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return None  # (document markers: PyYAML reads one document, and says so)
    tokens = {token.removesuffix(":") for token in _SCALAR.findall(text)}
    tokens.discard("-")  # a block sequence's `- `, not a scalar
    if tokens and not _same_reading(tokens):
        return None
    try:
        data = ryaml.loads(text)
    except Exception:  # noqa: BLE001 - any failure: PyYAML reads it and words the error
        return None
    if not _within(data, max_values, max_depth, max_items):
        return None
    return data


_ALIKE = re.compile(r"0|[1-9][0-9]{0,17}|(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?:/[0-9]{1,2})?")
"""Plain scalars both parsers read alike without asking them: a decimal integer without
leading zeros or underscores (an int in YAML 1.1 and 1.2), a dotted quad with or without
a prefix length (text in both: no int, float or timestamp form has three dots). A large
file's tokens are mostly these (VLANs, MTUs, VTEP addresses): 46,000 of them at 100,000
VMs, 0.15 s to ask both parsers about."""


def _same_reading(tokens: set[str]) -> bool:
    """Do PyYAML and ryaml read each of these plain scalars alike?"""
    ordered = sorted(t for t in tokens if _ALIKE.fullmatch(t) is None)
    fast = _load_each(ryaml.loads, ordered)
    if fast is None:
        return False
    # PyYAML's reading: its own resolvers decide which are text (most: addresses, names);
    # only the others are constructed, by PyYAML itself.
    typed = [token for token in ordered if _pyyaml_tag(token) != _STR]
    slow = _load_each(lambda doc: yaml.load(doc, Loader=_BaseLoader), typed)  # noqa: S506
    if slow is None:
        return False
    read = dict(zip(typed, slow, strict=True))
    for token, b in zip(ordered, fast, strict=True):
        a = read.get(token, token)
        if type(a) is not type(b):
            return False
        if a != b and not (isinstance(a, float) and math.isnan(a) and math.isnan(b)):
            return False
    return True


def _load_each(load: Any, tokens: list[str]) -> list[Any] | None:
    """Each token read as a plain scalar by `load`, in order; None if it refuses one."""
    # A token holds no whitespace, comma, bracket or `#`: `kN: token` is that token as
    # one plain scalar in both parsers.
    doc = "".join(f"k{n}: {token}\n" for n, token in enumerate(tokens))
    try:
        data = load(doc) if tokens else {}
    except Exception:  # noqa: BLE001 - a token one of them refuses: not the same reading
        return None
    if not isinstance(data, dict) or len(data) != len(tokens):
        return None
    return [data.get(f"k{n}", _MISSING) for n in range(len(tokens))]


_STR = "tag:yaml.org,2002:str"


def _pyyaml_tag(token: str) -> str:
    """The tag PyYAML's resolver gives `token` as a plain scalar (Resolver.resolve)."""
    resolvers = _BaseLoader.yaml_implicit_resolvers
    for tag, regexp in [*resolvers.get(token[:1] if token else "", ()),
                        *resolvers.get(None, ())]:
        if regexp.match(token):
            return str(tag)
    return _STR


_MISSING = object()


def _within(data: Any, max_values: int, max_depth: int, max_items: int) -> bool:
    """Is the parsed data within topofile's budgets, with no text YAML 1.1 reads as a
    boolean? Counted as topofile's event pass
    counts (every scalar, key, list and mapping), level by level: no recursion, and no
    aliases to follow (the fast path takes none)."""
    if type(data) is str and data in _WORDS:
        return False
    values = 1
    depth = 0
    level = [data]
    while level:
        below: list[Any] = []
        for node in level:
            if type(node) is dict:
                n = len(node)
                if n > max_items or not _WORDS.isdisjoint(node):
                    return False
                values += 2 * n
                items: Any = node.values()
            elif type(node) is list:
                n = len(node)
                if depth >= 2 and n > max_items:
                    return False
                values += n
                items = node
            else:
                continue
            for item in items:
                kind = type(item)
                if kind is dict or kind is list:
                    below.append(item)
                elif kind is str and item in _WORDS:
                    return False
        if values > max_values:
            return False
        if below:
            depth += 1
            if depth >= max_depth:  # as strict as topofile's strictest depth check
                return False
        level = below
    return True
