"""fastyaml reads a file as PyYAML reads it, or declines: the parser must never change what
a file means. Checked differentially against PyYAML (the reading every file had before),
on the YAML 1.1 / 1.2 differences one by one, on generated documents, and on whole
topology files through topofile."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.models import fastyaml, topofile

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted([*ROOT.glob("resources/topologies/*.yaml"), *ROOT.glob("tests/data/*.yaml")])
BUDGETS = (topofile.MAX_VALUES, topofile.MAX_DEPTH, topofile.MAX_NESTED_ITEMS)

pytestmark = pytest.mark.skipif(fastyaml.ryaml is None, reason="ryaml is not installed")


def pyyaml(text: str) -> Any:
    return yaml.load(text, Loader=fastyaml._BaseLoader)  # noqa: S506 - the safe loader


def same(a: Any, b: Any) -> bool:
    """Equal, type for type, NaN equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def agrees(text: str) -> Any:
    """fastyaml's reading of `text`, checked against PyYAML's: None (declined) or the same
    data. A text PyYAML refuses must be declined, so PyYAML words the error."""
    fast = fastyaml.parse(text, *BUDGETS)
    try:
        slow = pyyaml(text)
    except (yaml.YAMLError, ValueError, OverflowError):  # what topofile's PyYAML path
        # refuses: PyYAML raises ValueError for some scalars its resolver types, `0b_`
        assert fast is None, f"PyYAML refuses {text!r}, fastyaml read {fast!r}"
        return None
    if fast is not None:
        assert same(fast, slow), f"{text!r}: fastyaml {fast!r}, PyYAML {slow!r}"
    return fast


# Plain scalars the two YAML versions read differently, and some they read alike.
DIFFERENT = ["yes", "No", "on", "OFF", "017", "0b_", "0o17", "1_000", "12:30", "190:20:30", "1e3",
             "2001-12-14", "2001-12-14t21:59:43.10-05:00", "=", "1__0",
             "<<"]
ALIKE = ["null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "0x1F", "+0x1F",
         "0b101", "1.0e+3", ".inf", "-.Inf", ".NaN", "12", "-3", "0", "1.5", "10.0.1.12/24",
         "52:54:00:aa:bb:cc", "eth0", "vem-1"]


@pytest.mark.parametrize("token", DIFFERENT)
def test_a_scalar_read_differently_sends_the_file_to_pyyaml(token):
    assert fastyaml.parse(f"name: lab\nvalue: {token}\n", *BUDGETS) is None
    agrees(f"name: lab\nvalue: {token}\n")


@pytest.mark.parametrize("token", ALIKE)
def test_a_scalar_read_alike_takes_the_fast_path(token):
    assert agrees(f"name: lab\nvalue: {token}\n") is not None


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n",                       # anchors and aliases (alias bombs)
    "a: !!str 12\n",                          # tags
    "%YAML 1.1\n---\na: 1\n",                 # directives, document markers
    "a: 1\n---\nb: 2\n",                      # a second document
    "a: |\n  text\n",                         # block scalars
    "? [a, b]\n: 1\n",                        # complex keys
    "base: {x: 1}\nover:\n  <<: {x: 2}\n",    # merge keys
    "a: 1\na: 2\n",                           # duplicate keys: PyYAML's path words them
    "a: [1, 2\n",                             # broken syntax: PyYAML says where
    "yes: 1\n",                               # a YAML 1.1 boolean as a key
    "a: 'on'\n",                              # ... quoted: declined too (cheaper than telling)
])
def test_what_the_fast_path_does_not_take(text):
    assert fastyaml.parse(text, *BUDGETS) is None
    agrees(text)


def test_a_file_beyond_the_budgets_is_declined():
    values, depth, items = 1_000, 8, 50
    assert fastyaml.parse("a:\n" + "".join(f"  - {n}\n" for n in range(40)),
                          values, depth, items) is not None
    assert fastyaml.parse("a:\n  b:\n" + "".join(f"    - {n}\n" for n in range(60)),
                          values, depth, items) is None  # a nested list too long
    assert fastyaml.parse("".join(f"k{n}: {n}\n" for n in range(600)),
                          values, depth, items) is None  # too many keys / values
    nested = "a: " + "[" * 10 + "]" * 10 + "\n"
    assert fastyaml.parse(nested, values, depth, items) is None  # too deep


_TEXT = st.text(alphabet="abxyz019-._:/+~=@ ", min_size=1, max_size=10)
_SCALAR = st.one_of(st.sampled_from(DIFFERENT + ALIKE), _TEXT)
_KEY = st.one_of(st.sampled_from(["name", "vlan", "mtu", "on", "ip", "1", "0x1F"]), _TEXT)


def _node(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return _SCALAR
    return st.one_of(_SCALAR,
                     st.lists(_node(depth - 1), min_size=1, max_size=3),
                     st.dictionaries(_KEY, _node(depth - 1), min_size=1, max_size=3))


def render(node: Any, indent: int = 0) -> str:
    """Block YAML with every scalar written plain, as a person writes a topology file."""
    pad = " " * indent
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                out.append(f"{pad}{key}:\n{render(value, indent + 2)}")
            else:
                out.append(f"{pad}{key}: {value}\n")
        return "".join(out)
    if isinstance(node, list):
        out = []
        for item in node:
            if isinstance(item, (dict, list)):
                out.append(f"{pad}-\n{render(item, indent + 2)}")
            else:
                out.append(f"{pad}- {item}\n")
        return "".join(out)
    return f"{pad}{node}\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEY, _node(3), min_size=1, max_size=4))
def test_generated_documents_read_as_pyyaml_reads_them(doc):
    agrees(render(doc))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab01:-#'\"{}[], \n.~=*&!|>", max_size=40))
def test_any_text_reads_as_pyyaml_reads_it_or_is_declined(text):
    agrees(text)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_topology_file_means_the_same_on_either_path(path, monkeypatch):
    text = path.read_text()
    try:
        fast_topo = topofile.loads(text, path.name)
    except topofile.TopologyFileError as err:
        fast_error: str | None = str(err)
    else:
        fast_error = None
    monkeypatch.setattr(fastyaml, "ryaml", None)  # PyYAML only, as without ryaml
    try:
        slow_topo = topofile.loads(text, path.name)
    except topofile.TopologyFileError as err:
        assert fast_error == str(err)
    else:
        assert fast_error is None
        assert fast_topo.model_dump() == slow_topo.model_dump()


def test_a_large_generated_file_takes_the_fast_path_and_means_the_same(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import gen_topology

    text = gen_topology.dumps(gen_topology.generate(20, 200, 10, 4, 8, 2, 1, "fast"))
    assert fastyaml.parse(text, *BUDGETS) is not None  # what the generator writes: fast
    fast_topo = topofile.loads(text)
    monkeypatch.setattr(fastyaml, "ryaml", None)
    assert fast_topo.model_dump() == topofile.loads(text).model_dump()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_what_the_console_saves_takes_the_fast_path(path):
    # Hand-written comments may send a file to PyYAML (a backquote before a space looks
    # like a reserved indicator); the console's own writing never does.
    text = topofile.dumps(topofile.load(path))
    fast = agrees(text)
    assert fast is not None


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="0123456789./", min_size=1, max_size=22))
def test_what_is_taken_as_alike_without_asking_reads_alike(token):
    # fastyaml._ALIKE spares asking both parsers about most of a large file's tokens:
    # whatever it matches must read the same, type and value, in PyYAML and ryaml.
    if fastyaml._ALIKE.fullmatch(token) is None:
        return
    slow = pyyaml(f"k: {token}\n")["k"]
    fast = fastyaml.ryaml.loads(f"k: {token}\n")["k"]
    assert type(slow) is type(fast) and slow == fast, (token, slow, fast)
