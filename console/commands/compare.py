"""`fabric-console compare A B [--duration S] [--seed N] [--json]`.

Runs both topology files on the emulated fabric with the same seed for the same simulated
time and reports what changed from A to B, most important first:

1. flows that stopped reaching a destination, then flows that started to, each with the
   reason the trace of one of its frames gives (console/engine/compare.py);
2. counters that moved, before and after (flood copies, MTU and unreachable drops,
   learned MACs first);
3. findings that appeared or went away (`validate`'s rules);
4. the configuration lines that take the fabric from A to B, in the export's vocabulary
   (NX-OS for the Nexus 1000V VSM, UCS Manager CLI for VM-FEX): the export of A and of B,
   compared object by object.

--json prints {"counters": {"section.name.counter": [before, after]}, "flows": [...],
"findings": [...], "config": [...]}. Exit status, as diff(1): 0 no difference, 1 the
files differ, 2 a file cannot be read or has dangling references (it cannot run).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

from console.commands import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_UNREADABLE,
    load_topology,
    refuse_dangling,
    seconds,
)
from console.models import Topology

PROG = "fabric-console compare"
EXIT_SAME, EXIT_DIFFERENT = EXIT_OK, EXIT_FINDINGS

CONFIG_FORMATS = (("nxos", "NX-OS"), ("ucsm", "UCS Manager"))


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the `compare` command on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "compare",
        help="run two topology files and report what changes from the first to the second",
        description="Run two topology files on the emulated fabric (same seed, same "
                    "duration) and report what changes from A to B: flows that stop or "
                    "start reaching a destination and why, counters that move, findings "
                    "that appear or go away, and the NX-OS and UCS Manager configuration "
                    "lines that take A to B.",
        epilog="Exit status: 0 no difference, 1 the files differ, 2 a file cannot be read "
               "or has dangling references.",
    )
    parser.add_argument("a", metavar="A", help="the topology as it is (fabric-console/1 YAML)")
    parser.add_argument("b", metavar="B", help="the topology as it would be")
    parser.add_argument("--duration", metavar="S", type=seconds("duration"), default=10.0,
                        help="simulated seconds to run each (default 10)")
    parser.add_argument("--seed", metavar="N", type=int, default=0,
                        help="seed of flow phases and ordering, the same for both (default 0)")
    parser.add_argument("--json", action="store_true",
                        help="print counters, flows, findings and config as one JSON object")
    parser.set_defaults(func=run)
    return parser


# ---------------------------------------------------------------------- findings
def finding_changes(a: Topology, b: Topology) -> list[dict[str, str]]:
    """Findings of B that A has not ("appeared") and of A that B has not ("gone"). A
    finding is the same when its rule and message are: its path (`vms[2]`) moves when
    objects are added before it, its message names the objects."""
    from console.models.rules import check

    def keyed(topo: Topology) -> dict[tuple[str, str], Any]:
        return {(f.rule, f.message): f for f in check(topo)}

    before, after = keyed(a), keyed(b)
    out = []
    for change, src, other in (("appeared", after, before), ("gone", before, after)):
        for key, f in src.items():
            if key not in other:
                out.append({"change": change, "severity": f.severity.value, "rule": f.rule,
                            "path": f.path, "message": f.message})
    return out


# ---------------------------------------------------------------------- configuration
_NAVIGATION = {"exit", "top", "commit-buffer", "!"}
_ORDER = {"added": 0, "changed": 1, "removed": 2, "note": 3}


@dataclass
class _Node:
    line: str
    children: dict[str, _Node] = field(default_factory=dict)


def parse_config(text: str) -> dict[str, _Node]:
    """An exported configuration as a tree of lines by indentation. Navigation (`exit`,
    `top`, `commit-buffer`, `!` separators) is dropped and nodes with the same line at
    the same place are merged: entering a scope twice is entering it once."""
    root = _Node("")
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for raw in text.splitlines():
        line = raw.rstrip()
        s = line.strip()
        if not s or s in _NAVIGATION or s.startswith("! Fabric Console export"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if s.startswith("!"):
            # a comment's own indentation nests it under the comment above
            # ("! VTEP vtep0 ..." then "!   in its vEthernet interface: ...")
            indent += len(s[1:]) - len(s[1:].lstrip(" ")) - 1
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        node = parent.children.setdefault(s, _Node(s))
        stack.append((indent, node))
    return root.children


def _is_comment(line: str) -> bool:
    return line.startswith("!")


def _key(line: str) -> str:
    """What a line sets, without its value: `set rate 1000 burst 65536` -> `set rate`,
    `switchport access vlan 100` -> `switchport access vlan`. A line of B with the key of a
    line of A replaces it (no `no` line needed)."""
    words = line.split()
    if words[0] == "set":
        return " ".join(words[:2])
    return " ".join(words[:-1]) if len(words) > 1 else line


class _Dialect:
    """How a format enters, creates and removes an object."""

    def __init__(self, fmt: str):
        self.fmt = fmt

    def is_object(self, line: str, depth: int) -> bool:
        if self.fmt == "ucsm":
            return line.startswith("create ")
        return depth == 0 and not _is_comment(line)

    def enter(self, line: str) -> str:
        if self.fmt == "ucsm" and line.startswith("create "):
            return "scope " + " ".join(line.split()[1:3])
        return line

    def remove(self, line: str) -> str:
        if self.fmt == "ucsm":
            if line.startswith("create "):
                return "delete " + " ".join(line.split()[1:3])
            return f"! by hand, no longer wanted: {line}"
        return f"no {line}"


def _subtree(node: _Node, depth: int) -> list[str]:
    out = ["  " * depth + node.line]
    for child in node.children.values():
        out += _subtree(child, depth + 1)
    return out


def _diff_children(a: dict[str, _Node], b: dict[str, _Node], depth: int,
                   dialect: _Dialect) -> list[str]:
    """The lines that turn children `a` into `b`, at `depth`: removals first (what B no
    longer has, unless a line of B replaces it), then what B adds or changes."""
    out = []
    added_keys = {_key(line) for line in b if line not in a and not b[line].children}
    for line, node in a.items():
        if line in b or _is_comment(line):
            continue
        if not node.children and _key(line) in added_keys:
            continue  # replaced by B's line for the same setting
        out.append("  " * depth + dialect.remove(line))
    for line, node in b.items():
        if line not in a:
            out += _subtree(node, depth)
            continue
        inner = _diff_children(a[line].children, node.children, depth + 1, dialect)
        if inner:
            out.append("  " * depth + dialect.enter(line))
            out += inner
    return out


def config_changes(a: Topology, b: Topology) -> tuple[list[dict[str, Any]], list[str]]:
    """Per format and object, the configuration lines from A to B; and problems (a format
    that could not render). An entry: {format, file, object, change, lines}, `object` the
    path of lines to it (`scope system > ... > create port-profile web`)."""
    from console.export import FormatUnavailable, load_format

    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for fmt, label in CONFIG_FORMATS:
        try:
            module = load_format(fmt)
            files_a, files_b = module.render(a), module.render(b)
        except (FormatUnavailable, Exception) as exc:  # a renderer bug must not stop compare
            problems.append(f"{label} configuration not compared: {type(exc).__name__}: {exc}")
            continue
        dialect = _Dialect(fmt)
        for name in dict.fromkeys([*files_a, *files_b]):
            ta = parse_config(files_a.get(name, ""))
            tb = parse_config(files_b.get(name, ""))
            # objects B adds first (a port profile may name a new QoS policy), then the
            # changed ones, removals last (a VLAN is deleted once no profile uses it)
            changes = sorted(_object_changes(ta, tb, [], dialect),
                             key=lambda e: _ORDER[e["change"]])
            entries += [{"format": fmt, "file": name, **entry} for entry in changes]
    return entries, problems


def _object_changes(a: dict[str, _Node], b: dict[str, _Node], path: list[str],
                    dialect: _Dialect) -> list[dict[str, Any]]:
    """The changed objects under a scope: walk the scopes both files share down to the
    objects, and give each added, removed or changed object its lines (with the scopes
    to enter around them)."""
    depth = len(path)
    head = ["  " * i + dialect.enter(line) for i, line in enumerate(path)]
    tail = ["commit-buffer"] if dialect.fmt == "ucsm" and path else []
    out: list[dict[str, Any]] = []
    for line in a:
        if line not in b and dialect.is_object(line, depth):
            out.append({"object": " > ".join([*path, line]), "change": "removed",
                        "lines": [*head, "  " * depth + dialect.remove(line), *tail]})
    notes = _note_changes(a, b, depth)
    for line, node in b.items():
        if _is_comment(line):
            continue
        if line not in a:
            if dialect.is_object(line, depth) or depth == 0:
                out.append({"object": " > ".join([*path, line]), "change": "added",
                            "lines": [*head, *_subtree(node, depth), *tail]})
            continue
        if dialect.is_object(line, depth):
            inner = _diff_children(a[line].children, node.children, depth + 1, dialect)
            if inner:
                out.append({"object": " > ".join([*path, line]), "change": "changed",
                            "lines": [*head, "  " * depth + dialect.enter(line), *inner,
                                      *tail]})
        else:  # a scope: the objects are further down
            out += _object_changes(a[line].children, node.children, [*path, line], dialect)
    if notes:  # comments carry what the VSM cannot set (VTEPs are configured on hosts)
        out.append({"object": " > ".join([*path, "notes"]) if path else "notes",
                    "change": "note", "lines": [*head, *notes]})
    return out


def _note_changes(a: dict[str, _Node], b: dict[str, _Node], depth: int) -> list[str]:
    """Comments of B that A has not, under the comments both have; and A's that are gone.
    The NX-OS export says in comments what the VSM cannot set (a VTEP's address and
    gateway are set on its host), so these are changes too."""
    out = []
    for line, node in a.items():
        if _is_comment(line) and line not in b and node.line != "!":
            out.append("  " * depth + "! no longer: " + line[1:].strip())
    for line, node in b.items():
        if not _is_comment(line):
            continue
        if line not in a:
            out += _subtree(node, depth)
            continue
        inner = _note_changes(a[line].children, node.children, depth + 1)
        if inner:
            out += ["  " * depth + line, *inner]
    return out


# ---------------------------------------------------------------------- the command
def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `compare` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    topos = []
    for path in (args.a, args.b):
        topo = load_topology(path, err)
        if topo is None:
            return EXIT_UNREADABLE
        if refuse_dangling(topo, path, "run", err):
            return EXIT_UNREADABLE
        topos.append(topo)
    a, b = topos
    from console.engine.compare import compare_runs

    findings = finding_changes(a, b)
    config, problems = config_changes(a, b)
    for problem in problems:
        print(f"{PROG}: warning: {problem}", file=err)
    pair = compare_runs(a, b, duration=args.duration, seed=args.seed)
    doc = {
        "format": "fabric-console-compare/1", "a": args.a, "b": args.b,
        "duration_s": args.duration, "seed": args.seed, "plane": pair.plane,
        "flows": [f.to_json() for f in pair.flows],
        "counters": pair.counters,
        "findings": findings,
        "config": config,
    }
    if args.json:
        json.dump(doc, out, indent=2)
        out.write("\n")
    else:
        out.write(render(doc))
    out.flush()
    differ = pair.flows or pair.counters or findings or config
    return EXIT_DIFFERENT if differ else EXIT_SAME


def _num(v: int | None) -> str:
    return "-" if v is None else f"{v:,}"


def render(doc: dict[str, Any]) -> str:
    """The comparison as text, most important first."""
    lines = [f"compare {doc['a']} -> {doc['b']}: {doc['duration_s']:g} s simulated, seed "
             f"{doc['seed']}, {doc['plane']} plane"]
    flows = doc["flows"]
    stopped = [f for f in flows if f["stopped"]]
    started = [f for f in flows if f["started"] and not f["stopped"]]
    if stopped:
        lines += ["", "flows that stopped reaching a destination (traced at the end of B's "
                      "run):"]
        for f in stopped:
            lines.append(f"  {f['flow']}{_status(f)}: no longer reaches "
                         f"{', '.join(f['stopped'])}")
            if f["started"]:
                lines.append(f"    now reaches {', '.join(f['started'])}")
            lines += _reasons(f, f["verdict_after"])
    if started:
        lines += ["", "flows that started reaching a destination (A's trace said why not):"]
        for f in started:
            lines.append(f"  {f['flow']}{_status(f)}: now reaches {', '.join(f['started'])}")
            if f["status"] == "changed":
                lines += _reasons(f, f["verdict_before"])
    if doc["counters"]:
        lines += ["", "counters (A -> B):"]
        width = max(len(p) for p in doc["counters"])
        for path, (before, after) in doc["counters"].items():
            delta = ""
            if before is not None and after is not None:
                delta = f"  ({after - before:+,})"
            lines.append(f"  {path:<{width}}  {_num(before)} -> {_num(after)}{delta}")
    for change, title in (("appeared", "findings that appeared"),
                          ("gone", "findings that went away")):
        found = [f for f in doc["findings"] if f["change"] == change]
        if found:
            lines += ["", f"{title}:"]
            lines += [f"  {f['severity']}: {f['path']}: {f['message']} [{f['rule']}]"
                      for f in found]
    if doc["config"]:
        lines += ["", "configuration from A to B:"]
        labels = dict(CONFIG_FORMATS)
        shown = None
        for entry in doc["config"]:
            if (entry["format"], entry["file"]) != shown:
                shown = (entry["format"], entry["file"])
                lines.append(f"  {labels[entry['format']]} ({entry['file']}):")
            lines.append(f"    ! {entry['change']}: {entry['object']}")
            lines += [f"    {line}" for line in entry["lines"]]
    if len(lines) == 1:
        lines += ["", "no differences"]
    return "\n".join(lines) + "\n"


def _status(f: dict[str, Any]) -> str:
    where = {"added": f"traffic[{f['traffic_b']}] only in B",
             "removed": f"traffic[{f['traffic_a']}] only in A"}.get(
        f["status"], f"traffic[{f['traffic_a']}]")
    return f" ({f['frame']}; {where})"


def _reasons(f: dict[str, Any], verdict: str | None) -> list[str]:
    out = [f"    dropped at {r['where']} [{r['reason']}]: {r['text']}" for r in f["reasons"]]
    if not out and verdict:
        out.append(f"    trace: {verdict}")
    return out
