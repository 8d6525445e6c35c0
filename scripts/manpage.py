"""Write the fabric-console(1) manual page from the command line's own argparse parsers.

    .venv/bin/python scripts/manpage.py            # rewrite docs/man/fabric-console.1
    .venv/bin/python scripts/manpage.py --check    # exit 1 if the committed page is stale
    .venv/bin/python scripts/manpage.py -o -       # print it

The page is the GUI's parser (console/cli.py, what `fabric-console --help` prints) with
every subcommand's parser (console/commands/NAME.py `add_parser`) attached, so every
option, default and help text is the one `--help` shows; tests/packaging check that the
committed page equals a fresh generation. argparse-manpage turns the parsers into roff
(escaping, option lists, one section per subcommand), which a hand-written converter
would have to redo for every argparse feature. The date and version come from the newest
release in the AppStream metainfo and pyproject.toml, so the output is reproducible.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: the console package beside scripts/
MANPAGE = ROOT / "docs" / "man" / "fabric-console.1"
METAINFO = ROOT / "resources" / "desktop" / "io.github.fabric_console.FabricConsole.metainfo.xml"

# argparse wraps help text to the terminal's width ($COLUMNS): fixed while rendering, or
# each terminal would make another page.
COLUMNS = "80"

EXTRA_SECTIONS = [
    ("EXIT STATUS", """\
0 on success. 1 when a command's check or action failed (see each command's own exit
status above). 2 when a file cannot be read, a command is not available in this
installation, or an unexpected error occurred. 130 when interrupted (Ctrl-C). No command
prints a traceback unless \\fB\\-\\-debug\\fR is given."""),
    ("ENVIRONMENT", """\
.TP
.B FABRIC_CONSOLE_DEBUG
Any non-empty value acts as \\fB\\-\\-debug\\fR.
.TP
.B XDG_STATE_HOME
The GUI's log is \\fI$XDG_STATE_HOME/fabric\\-console/fabric\\-console.log\\fR
(default \\fI~/.local/state/fabric\\-console/fabric\\-console.log\\fR)."""),
    ("FILES", """\
.TP
.I *.fctopo.yaml
Topology files (fabric\\-console/1 YAML), of MIME type
application/x\\-fabric\\-console\\-topology once the desktop files are installed; any file
whose first 4 KiB hold the line \\fBformat: fabric\\-console/1\\fR is one too."""),
    ("SEE ALSO", "virsh(1), virt\\-manager(1)"),
]


def build_parser() -> tuple[argparse.ArgumentParser, list[str]]:
    """`fabric-console`'s parser with every available subcommand's parser attached, and
    the synopsis: the GUI's usage line, then each command's."""
    from console import cli

    parser = cli._gui_parser()
    usages = [parser.format_usage()]
    # The epilog lists the commands, which the page has a section for (from the parsers).
    parser.epilog = None
    # prog: each command's usage reads `fabric-console validate ...` as cli.py runs it,
    # not `fabric-console [FILE] validate ...` (FILE belongs to the GUI form only).
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND",
                                       prog=cli.PROG)
    for name in cli.COMMANDS:
        cli.load_command(name).add_parser(subparsers)
        usages.append(subparsers.choices[name].format_usage())
    return parser, usages


def synopsis(usages: list[str]) -> str:
    """roff for usage lines: `usage: PROG [CMD] ARGS...` -> bold PROG [CMD], then ARGS."""
    from argparse_manpage.manpage import _markup

    lines = []
    for usage in usages:
        words = usage.split(":", 1)[-1].split()
        command = 2 if len(words) > 1 and not words[1].startswith(("-", "[")) else 1
        if lines:
            lines.append(".br")
        lines.append(".B " + _markup(" ".join(words[:command])))
        lines.append(_markup(" ".join(words[command:])))
    return "\n".join(lines)


def release() -> tuple[str, str, str]:
    """(version, date, summary) of the project: pyproject.toml's version and description,
    the metainfo's newest release date."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    releases = ET.parse(METAINFO).getroot().findall("./releases/release")
    dates = sorted(r.get("date", "") for r in releases)
    return project["version"], (dates[-1] if dates else ""), project["description"]


def render() -> str:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = COLUMNS
    try:
        return _render()
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _render() -> str:
    from argparse_manpage.manpage import Manpage

    version, date, summary = release()
    parser, usages = build_parser()
    page = Manpage(parser)
    page.description = summary
    page.add_section("synopsis", "=", synopsis(usages))
    page.source = f"fabric-console {version}"
    page.manual = "Fabric Console Manual"
    page.date = date
    for heading, content in EXTRA_SECTIONS:
        page.add_section(heading, "=", content)
    return str(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(MANPAGE),
                        help="where to write the page ('-': standard output)")
    parser.add_argument("--check", action="store_true",
                        help="compare the committed page with a fresh generation")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        committed = MANPAGE.read_text(encoding="utf-8") if MANPAGE.exists() else ""
        if committed != text:
            print(f"manpage: {MANPAGE} is not what the parsers say; run "
                  "scripts/manpage.py to regenerate it", file=sys.stderr)
            return 1
        return 0
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
