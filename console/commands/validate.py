"""`fabric-console validate FILE...`: every domain rule, one finding per line.

    error: vms[0].nics[0].pf: vNIC eth0 of VM web1 uses PF eth9, ... [ref.pf]

Exit status: 0 when no finding is an error (warnings are printed but do not fail, so a
design with a known, accepted caveat such as a hostdev VM that cannot migrate still
passes; --strict makes warnings fail too), 1 when any finding is an error, 2 when a file
cannot be read. Findings go to standard output, load problems and the summary to
standard error.

A rule's first 100 findings are listed (findings.MAX_PER_RULE), the rest counted on one
line, `error: ...: and 1,619,000 more like this [RULE]` (with --json: `"omitted": {RULE:
count}`); the summary counts them all. A file refused for its size (topofile.MAX_VALUES)
is unreadable: exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, read_topology
from console.models.findings import Finding, Severity, cap_repeated, omitted_line
from console.models.topofile import TopologyFileError

FINDINGS_FORMAT = "fabric-console-findings/1"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a topology file against every domain rule",
        description="Check topology files against every domain rule (VM-FEX, Nexus 1000V "
                    "VXLAN, OpenStack ownership, references, duplicates). One finding per "
                    "line: 'SEVERITY: PATH: MESSAGE [RULE]'.",
        epilog="Exit status: 0 no errors (warnings allowed unless --strict), 1 at least one "
               "error, 2 a file cannot be read.",
    )
    parser.add_argument("files", metavar="FILE", nargs="*",
                        help="topology file(s), fabric-console/1 YAML; '-' reads stdin")
    parser.add_argument("--json", action="store_true",
                        help=f"print one JSON object per file ({FINDINGS_FORMAT})")
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    parser.add_argument("--list-rules", action="store_true",
                        help="list every rule: id, severity, summary, source")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    if args.list_rules:
        return _list_rules(out, args.json)
    if not args.files:
        print("fabric-console validate: give a topology FILE (or --list-rules)", file=err)
        return EXIT_UNREADABLE
    status = EXIT_OK
    for path in args.files:
        status = max(status, _validate_one(path, args, out, err, prefix=len(args.files) > 1))
    return status


def _validate_one(path: str, args: argparse.Namespace, out: TextIO, err: TextIO,
                  prefix: bool) -> int:
    from console.models.rules import check

    try:
        topo = read_topology(path)
    except TopologyFileError as exc:
        if args.json:
            problems = [{"path": p.path, "message": p.message} for p in exc.problems]
            _dump({"format": FINDINGS_FORMAT, "file": path, "readable": False,
                   "problems": problems}, out)
        shown: list[object] = [*exc.problems] or ["cannot be read"]
        for problem in shown:
            print(f"{exc.source}: {problem}", file=err)
        return EXIT_UNREADABLE
    findings = check(topo)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = len(findings) - errors
    listed, omitted = cap_repeated(findings)
    if args.json:
        data = {"format": FINDINGS_FORMAT, "file": path, "readable": True,
                "errors": errors, "warnings": warnings,
                "findings": [_as_dict(f) for f in listed]}
        if omitted:  # rule id -> findings of that rule not listed
            data["omitted"] = {rule: n for rule, (_, n) in omitted.items()}
        _dump(data, out)
    else:
        for finding in listed:
            print(f"{path}: {finding}" if prefix else str(finding), file=out)
        for rule, (severity, n) in omitted.items():
            line = omitted_line(rule, severity, n)
            print(f"{path}: {line}" if prefix else line, file=out)
        print(f"{path}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}", file=err)
    if errors or (args.strict and warnings):
        return EXIT_FINDINGS
    return EXIT_OK


def _as_dict(finding: Finding) -> dict[str, str]:
    return {"path": finding.path, "rule": finding.rule, "severity": finding.severity.value,
            "message": finding.message}


def _dump(data: dict, out: TextIO) -> None:
    out.write(json.dumps(data, indent=2) + "\n")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _list_rules(out: TextIO, as_json: bool) -> int:
    from console.models.rules import RULES

    rules = sorted(RULES.values(), key=lambda r: r.id)
    if as_json:
        _dump({"rules": [{"id": r.id, "severity": r.severity.value, "summary": r.summary,
                          "source": r.source, "live_only": r.live_only} for r in rules]}, out)
        return EXIT_OK
    width = max(len(r.id) for r in rules)
    for r in rules:
        live = " (live changes only)" if r.live_only else ""
        print(f"{r.id:<{width}}  {r.severity.value:<7}  {r.summary}{live}", file=out)
        print(f"{'':<{width}}           source: {r.source}", file=out)
    return EXIT_OK
