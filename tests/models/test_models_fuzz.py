"""Property tests: whatever a file holds, loading raises only TopologyFileError, the rules
never crash on what loads, and `fabric-console validate` answers 0, 1 or 2 without a
traceback. Thousands of random and mutated files, in well under a minute."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console import cli
from console.models import Topology
from console.models import topofile as tf
from console.models.findings import Finding
from console.models.rules import check

ROOT = Path(__file__).resolve().parents[2]
DEMO_TEXT = (ROOT / "resources/topologies/demo.yaml").read_text()
DEMO = yaml.safe_load(DEMO_TEXT)

# About 1,650 generated files per run in ~40 s; FABRIC_FUZZ_SCALE=10 for a longer hunt.
SCALE = float(os.environ.get("FABRIC_FUZZ_SCALE", "1"))


def _settings(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


MANY, FAST, SOME, CLI = _settings(600), _settings(500), _settings(300), _settings(250)

_TMP = tempfile.mkdtemp(prefix="fuzz-")


def load_or_refuse(data: bytes | str | dict) -> Topology | None:
    """loads() (from_data() for parsed data): a Topology, or None when it raised
    TopologyFileError (anything else fails the test)."""
    try:
        if isinstance(data, dict):
            topo = tf.from_data(data, source="fuzz")
        else:
            topo = tf.loads(data, source="fuzz")
    except tf.TopologyFileError as exc:
        assert exc.problems and all(isinstance(p.message, str) for p in exc.problems)
        assert str(exc)
        return None
    findings = check(topo)  # the rules must cope with anything the loader lets through
    assert all(isinstance(f, Finding) for f in findings)
    return topo


def run_validate(data: bytes | str) -> tuple[int, str, str]:
    path = os.path.join(_TMP, "fuzz.yaml")
    with open(path, "wb") as fh:
        fh.write(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["validate", path])
    return code, out.getvalue(), err.getvalue()


def assert_cli_ok(data: bytes | str) -> None:
    code, out, err = run_validate(data)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err and "unexpected error" not in err, err
    if code == 2:
        assert out == "" and err
    else:
        assert all(line.split(":")[0] in ("error", "warning") for line in out.splitlines())


# ------------------------------------------------------------------- strategies

scalars = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.integers(min_value=10**18, max_value=10**400) | st.text(max_size=20)
           | st.sampled_from(["default", "kvm1", "web", "tenant-a", "239.1.1.1", "10.0.1.1/24",
                              "52:54:00:00:01:01", "veth", "hostdev", "broadcast", "web1/eth0",
                              "openstack", "rhel-6.0", "2.1", "unicast-only", "-1", "1e999"]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


DEMO_PATHS = [p for p in _paths(DEMO) if p]


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated_demo(draw) -> Any:
    """The demo with a few random edits: keys deleted, values replaced by other types,
    lists emptied or duplicated, names swapped."""
    doc = copy.deepcopy(DEMO)
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(["delete", "replace", "duplicate", "swap"]))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            other = draw(st.sampled_from(DEMO_PATHS))
            with contextlib.suppress(KeyError, IndexError, TypeError):
                parent[key] = copy.deepcopy(_parent(DEMO, other)[other[-1]])
    return doc


def alias_bomb(levels: int, width: int) -> str:
    lines = ["format: fabric-console/1", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * width)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


text_edits = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=400),
    st.integers(0, len(DEMO_TEXT)).map(lambda n: DEMO_TEXT[:n]),  # truncations
    st.tuples(st.integers(0, len(DEMO_TEXT)), st.binary(min_size=1, max_size=8)).map(
        lambda t: DEMO_TEXT.encode()[:t[0]] + t[1] + DEMO_TEXT.encode()[t[0]:]),
    st.tuples(st.integers(0, len(DEMO_TEXT)), st.text(min_size=1, max_size=8)).map(
        lambda t: DEMO_TEXT[:t[0]] + t[1] + DEMO_TEXT[t[0]:]),
    st.integers(1, 5000).map(lambda n: "format: fabric-console/1\nvms: " + "[" * n + "]" * n),
    st.integers(1, 300).map(lambda n: "format: fabric-console/1\nname: " + "{a: " * n
                            + "1" + "}" * n),
    st.tuples(st.integers(2, 12), st.integers(2, 12)).map(lambda t: alias_bomb(*t)),
    st.sampled_from(["", "\n", "---\n...\n", "~", "[]", "42", "format: fabric-console/1",
                     "format: [1]\n", "format: fabric-console/1\n? [a]\n: b\n",
                     "format: fabric-console/1\nvms: !!python/object:os.system x\n",
                     "\ufeffformat: fabric-console/1\n", "format: !!binary AAAA\n",
                     "&a [*a]", "format: fabric-console/1\nucs: &u {release: *u}\n"]),
)


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


# ------------------------------------------------------------------------ tests

@FAST
@given(text_edits)
def test_loader_raises_only_topology_file_error_on_any_text(data):
    load_or_refuse(data)


# Parsed data straight into validation: YAML emitting and parsing would take most of the
# time, and text-level damage has its own tests above and below.
@MANY
@given(mutated_demo())
def test_loader_and_rules_cope_with_mutated_demos(doc):
    load_or_refuse(doc)


@SOME
@given(values)
def test_loader_refuses_random_structures_cleanly(doc):
    load_or_refuse({"format": "fabric-console/1", **(doc if isinstance(doc, dict) else
                                                     {"vms": doc})})


@CLI
@given(st.one_of(text_edits, mutated_demo().map(_dump)))
def test_validate_always_answers_0_1_or_2_without_a_traceback(data):
    assert_cli_ok(data)


def test_known_nasty_inputs_go_through_the_cli():
    nasty = [alias_bomb(40, 40), "format: fabric-console/1\nvms: " + "[" * 100_000,
             "format: fabric-console/1\nvms:\n" + "- " * 100_000 + "x\n",
             b"\xff\xfe\x00\x00", "format: fabric-console/1\nucs: {netlink_vf_limit: "
             + "9" * 5000 + "}\n", "format: fabric-console/1\n" + "name: x\n" * 10_000]
    for data in nasty:
        assert load_or_refuse(data) is None
        assert_cli_ok(data)
    assert run_validate(DEMO_TEXT)[0] == 0
