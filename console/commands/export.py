"""`fabric-console export FILE --format libvirt|nxos|ucsm [--out DIR]`.

Renders a topology as configuration text. Without --out the files go to standard output,
each after a `# ---- file NAME ----` line; with --out each file is written atomically
(temporary file in DIR, then rename), so an interrupted export never leaves a half-written
file. Findings do not stop an export (planners export what they are still fixing); their
count is reported on standard error. Exit status: 0 written, 1 output could not be
written, 2 input unreadable or format unavailable.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path, PurePosixPath
from typing import TextIO

from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_topology
from console.export import FORMATS, FormatUnavailable, load_format
from console.models import Topology

PROG = "fabric-console export"
EXIT_WRITE = EXIT_FINDINGS  # "the operation failed"
EXIT_INPUT = EXIT_UNREADABLE


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register the `export` command on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "export",
        help="render a topology as libvirt, Nexus 1000V or UCS Manager configuration",
        description="Render a topology file as configuration: libvirt domain and network "
                    "XML, Nexus 1000V for KVM (VSM) CLI, or UCS Manager VM-FEX CLI.",
        epilog="Exit status: 0 exported, 1 output could not be written, 2 the file cannot "
               "be read or the format is not available.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="topology file (fabric-console/1 YAML); '-' reads stdin")
    parser.add_argument("--format", required=True, choices=sorted(FORMATS),
                        help="configuration to produce")
    parser.add_argument("--out", metavar="DIR",
                        help="write the files into DIR (created if needed) instead of "
                             "standard output")


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    """Run `export` with parsed arguments; returns the exit status."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        fmt = load_format(args.format)
    except FormatUnavailable as exc:
        print(f"{PROG}: {exc}", file=err)
        return EXIT_INPUT
    topo = load_topology(args.file, err)
    if topo is None:
        return EXIT_INPUT
    _report_findings(topo, args.file, err)
    try:
        files = fmt.render(topo)
    except Exception as exc:  # a renderer bug must not reach the user as a traceback
        print(f"{PROG}: cannot render {args.format} for {args.file}: "
              f"{type(exc).__name__}: {exc}", file=err)
        return EXIT_INPUT
    if args.out is None:
        for name, text in files.items():
            out.write(f"# ---- file {name} ----\n")
            out.write(text if text.endswith("\n") or not text else text + "\n")
        out.flush()
        return EXIT_OK
    try:
        written = write_files(Path(args.out), files)
    except (OSError, ValueError) as exc:
        print(f"{PROG}: cannot write to {args.out}: {_reason(exc)}", file=err)
        return EXIT_WRITE
    for path in written:
        print(f"wrote {path}", file=err)
    return EXIT_OK


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc)


def _report_findings(topo: Topology, source: str, err: TextIO) -> None:
    """Count the validation findings and say so on stderr; never stops the export."""
    from console.models.rules import errors as rules_errors

    findings = _findings(topo, err)
    if not findings:
        return
    errors = len(rules_errors(findings))
    warnings = len(findings) - errors
    print(f"{PROG}: warning: {source} has {len(findings)} finding"
          f"{'' if len(findings) == 1 else 's'} ({errors} error{'' if errors == 1 else 's'}, "
          f"{warnings} warning{'' if warnings == 1 else 's'}); exported anyway; "
          f"see `fabric-console validate {source}`", file=err)


def _findings(topo: Topology, err: TextIO) -> list:
    """The rules' findings; a rule that fails must not stop an export."""
    from console.models.rules import check

    try:
        return check(topo)
    except Exception as exc:
        print(f"{PROG}: warning: the rules could not be checked ({type(exc).__name__}: "
              f"{exc}); exporting anyway", file=err)
        return []


def write_files(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write each file atomically under `directory` (created if missing): temporary file
    in the same directory, fsync, rename. Returns the paths written, in order."""
    targets = [(directory / _safe_relative(name), text) for name, text in files.items()]
    written: list[Path] = []
    mask = os.umask(0)
    os.umask(mask)
    for target, text in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            # mkstemp makes the file private; give it the mode a plain open() would
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~mask
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        written.append(target)
    return written


def _safe_relative(name: str) -> Path:
    """A file name from a renderer, kept inside the output directory."""
    rel = PurePosixPath(name)
    if not name or rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"refusing to write {name!r} outside the output directory")
    return Path(*rel.parts)
