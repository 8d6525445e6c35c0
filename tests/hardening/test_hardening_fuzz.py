"""Fuzzing aimed at what issue #17 found: long and odd names (dynamic port profiles of
long pairs), group MACs, control characters and CLI syntax in free text, rates at the
engine's resolution, releases in other scripts, alias structures and long lists. Every
input goes through loading, the rules, the derived objects, every export, and the CLI
(`validate`, and `simulate` for some), which must answer without a traceback or an
"unexpected error".

The number of inputs is the knob FABRIC_CONSOLE_FUZZ_EXAMPLES (default 1,200, about 20 s
on two cores, so `make test` stays quick):

    FABRIC_CONSOLE_FUZZ_EXAMPLES=10000 .venv/bin/pytest -q tests/hardening/test_hardening_fuzz.py

Time and memory are not asserted here: benchmarks/hardening.py --fuzz N runs this file
with N inputs and prints the slowest input and the peak memory.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from console import cli
from console.export import load_format
from console.models import topofile as tf
from console.models.derived import Derived
from console.models.findings import Finding
from console.models.rules import check
from console.models.types import Name

ROOT = Path(__file__).resolve().parents[2]
DEMO = yaml.safe_load((ROOT / "resources/topologies/demo.yaml").read_text())

EXAMPLES = int(os.environ.get("FABRIC_CONSOLE_FUZZ_EXAMPLES", "1200"))
# Where the slowest input of this run is recorded (benchmarks/hardening.py reads it).
REPORT = os.environ.get("FABRIC_CONSOLE_FUZZ_REPORT")

# The share of inputs each test takes: most go through loading, rules and exports in the
# process; fewer through the CLI, fewest through a simulation (an engine per input).
SHARES = {"model": 0.6, "validate": 0.3, "simulate": 0.1}
_slowest: list[tuple[float, str]] = [(0.0, "")]


def _settings(share: str) -> settings:
    return settings(max_examples=max(1, int(EXAMPLES * SHARES[share])), deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _timed(what: str, fn, *args) -> Any:
    start = time.perf_counter()
    try:
        return fn(*args)
    finally:
        elapsed = time.perf_counter() - start
        if elapsed > _slowest[0][0]:
            _slowest[0] = (elapsed, what)
            if REPORT:
                Path(REPORT).write_text(json.dumps({"seconds": elapsed, "input": what[:2000]}))


# ------------------------------------------------------------------- strategies

NAME_CHARS = "abcxyz019-_.:"
names = st.one_of(
    st.sampled_from(["web", "web1", "kvm1", "default", "secure", "web-net", "acme",
                     "tenant-a", "eth0", "bd1"]),
    st.text(NAME_CHARS, min_size=1, max_size=63).map(lambda s: "a" + s[:62]),  # up to 63
    st.integers(30, 63).map(lambda n: "p" * n),
    st.sampled_from(["web1\n", "p\n", "x\r", " a", "a b", "\u0663", "ä", "a" * 64, ""]),
)
macs = st.one_of(
    st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b)),
    st.sampled_from(["ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "00:00:00:00:00:00",
                     "52-54-00-00-00-01", "52:54:00:00:00:01\n", "33:33:00:00:00:01"]),
)
free_text = st.text(st.characters(codec="utf-8"), max_size=60) | st.text(
    "ab ;|?\x1b\x07\x00\n\t\r\"'`\\=<>[]{}!#", max_size=40)
rates = st.one_of(st.floats(min_value=0, max_value=2, allow_nan=True),
                  st.sampled_from([0.0004, 0.001, 0.0015, 1e-9, 1e9, 0.1, 1000.5]),
                  st.integers(-1, 10**12))
releases = st.sampled_from(["2.2", "2.1(3a)", "2.2\n", "\u0662.\u0662", "2.1(\u0663a)",
                            "1.4", "2.0", "10.99(zz)", "2..2", ""])
oses = st.sampled_from(["rhel-6.4", "rhel-6.1", "rhel-6.4\n", "rhel-\u0666.\u0664",
                        "rhel-7.0", None])

# where each kind of value goes in the demo: (path, strategy)
TARGETS: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
    (("policy_profiles", 0, "name"), names),
    (("networks", 0, "name"), names),
    (("vms", 2, "nics", 0, "network"), names),
    (("vms", 2, "nics", 0, "policy_profile"), names),
    (("vms", 0, "name"), names),
    (("hosts", 0, "name"), names),
    (("port_profiles", 0, "name"), names),
    (("vms", 0, "nics", 0, "mac"), macs),
    (("vms", 1, "nics", 0, "mac"), macs),
    (("port_profiles", 0, "description"), free_text),
    (("name",), free_text),
    (("traffic", 1, "pps"), rates),
    (("port_profiles", 0, "qos", "rate_mbps"), rates),
    (("ucs", "release"), releases),
    (("hosts", 0, "os"), oses),
]


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


@st.composite
def hardened_demo(draw) -> dict[str, Any]:
    """The demo with a few of its values replaced by the kinds issue #17 found trouble
    with; sometimes a long OpenStack pair on every OpenStack vNIC."""
    doc = copy.deepcopy(DEMO)
    for _ in range(draw(st.integers(1, 5))):
        path, strategy = draw(st.sampled_from(TARGETS))
        with contextlib.suppress(KeyError, IndexError, TypeError):
            _set(doc, path, draw(strategy))
    if draw(st.booleans()):
        policy, network = draw(names), draw(names)
        doc["policy_profiles"].append({"name": policy})
        doc["networks"].append({"name": network, "tenant": "acme", "type": "vxlan",
                                "bridge_domain": "tenant-b"})
        for vm in doc["vms"]:
            for nic in vm["nics"]:
                if "network" in nic:
                    nic.update(network=network, policy_profile=policy)
    return doc


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096)


def alias_tree(levels: int, width: int, vnic: bool) -> str:
    """A file whose vNICs or values multiply through aliases, `levels` deep."""
    head = ("format: fabric-console/1\nclusters: [{name: default}]\n"
            "port_profiles: [{name: web, clients: [default]}]\n"
            "hosts: [{name: kvm1}]\n")
    if vnic:
        nics = "&n {name: eth0, mac: '52:54:00:00:00:01', port_profile: web}"
        nic_list = "[" + ", ".join([nics] + ["*n"] * (width - 1)) + "]"
        vm = f"&v {{name: vm1, host: kvm1, nics: {nic_list}}}"
        return head + "vms: [" + ", ".join([vm] + ["*v"] * (levels * width - 1)) + "]\n"
    lines = [head + "x0: &a0 [1, 2, 3]"]
    for i in range(1, levels):
        lines.append(f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


texts = st.one_of(
    hardened_demo().map(_dump),
    st.tuples(st.integers(1, 12), st.integers(1, 60), st.booleans()).map(
        lambda t: alias_tree(*t)),
    st.tuples(st.integers(0, 6000), st.sampled_from(["0", "7", "x", "{}"])).map(
        lambda t: _dump(DEMO).replace("vlans: [100]", "vlans: [" + ",".join([t[1]] * t[0])
                                      + "]", 1)),
    st.integers(0, 3000).map(lambda n: "- 0\n" * n),
)

_TMP = Path(tempfile.mkdtemp(prefix="hardening-fuzz-"))


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, out.getvalue(), err.getvalue()


def _file(text: str) -> str:
    path = _TMP / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    return str(path)


# ------------------------------------------------------------------------ tests

_NAME = TypeAdapter(Name)


def _through_the_model(doc: dict[str, Any]) -> None:
    try:
        topo = tf.from_data(doc, source="fuzz")
    except tf.TopologyFileError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    findings = check(topo)
    assert all(isinstance(f, Finding) for f in findings)
    for profile in Derived(topo).dynamic_profiles.values():
        assert _NAME.validate_python(profile.name) == profile.name  # derived names fit
    for fmt in ("nxos", "ucsm", "libvirt"):
        files = load_format(fmt).render(topo)
        for text in files.values():
            assert not any(c in text for c in "\x00\x07\x1b"), (fmt, text)
    again = tf.loads(tf.dumps(topo))  # what loads, saves and loads again
    assert tf.dumps(again) == tf.dumps(topo)


@_settings("model")
@given(hardened_demo())
def test_what_loads_validates_derives_exports_and_saves(doc):
    _timed(repr(doc), _through_the_model, doc)


@_settings("validate")
@given(texts)
def test_validate_answers_every_file_without_a_traceback(text):
    code, out, err = _timed(text, _cli, "validate", _file(text))
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "unexpected error" not in err, err
    assert len(out.splitlines()) <= 60 * 101  # at most 100 findings per rule, plus a count


@_settings("simulate")
@given(hardened_demo().map(_dump))
def test_simulate_runs_or_refuses_every_file_without_a_traceback(text):
    code, _out, err = _timed(text, _cli, "simulate", _file(text), "--duration", "0.05",
                             "--json")
    assert code in (0, 1, 2), err
    assert "Traceback" not in err and "unexpected error" not in err, err
