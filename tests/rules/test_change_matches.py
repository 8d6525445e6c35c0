"""Every `match change:` names every kind of change: each ends in `case _:
assert_never(change)`, and mypy (make lint) rejects one that misses a kind, so a new kind
of change cannot be forgotten in applying, judging or undoing."""

from __future__ import annotations

import ast
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from console.models import changes as ch

ROOT = Path(__file__).resolve().parents[2]


def _match_sites() -> dict[str, ast.Match]:
    sites = {}
    for path in sorted((ROOT / "console").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Match) and isinstance(node.subject, ast.Name) \
                    and node.subject.id == "change":
                sites[f"{path.relative_to(ROOT)}:{node.lineno}"] = node
    return sites


def test_every_match_on_a_change_ends_in_assert_never():
    sites = _match_sites()
    assert {s.split(":")[0] for s in sites} >= {
        "console/models/rules/apply.py", "console/models/rules/guards.py",
        "console/models/rules/inverse.py"}
    for where, node in sites.items():
        last = node.cases[-1]
        assert isinstance(last.pattern, ast.MatchAs) and last.pattern.pattern is None \
            and last.guard is None, f"{where}: the last case is not `case _:`"
        assert ast.unparse(last.body[0]).strip() == "assert_never(change)", where


SNIPPET = '''
from typing import assert_never

from console.models.changes import Change, {kinds}


def every_kind(change: Change) -> str:
    match change:
        case {every}:
            return "named"
        case _:
            assert_never(change)


def one_forgotten(change: Change) -> str:
    match change:
        case {all_but_vsm}:
            return "named"
        case _:
            assert_never(change)  # VsmEdit reaches it
'''


def test_mypy_rejects_a_match_that_forgets_a_kind_of_change(tmp_path):
    pytest.importorskip("mypy")
    kinds = sorted(k.__name__ for k in typing.get_args(ch.Change))
    assert "VsmEdit" in kinds
    text = SNIPPET.format(kinds=", ".join(kinds), every=" | ".join(f"{k}()" for k in kinds),
                          all_but_vsm=" | ".join(f"{k}()" for k in kinds if k != "VsmEdit"))
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "reaches it" in row)
    snippet = tmp_path / "forgotten.py"
    snippet.write_text(text)
    run = subprocess.run([sys.executable, "-m", "mypy", "--config-file",
                          str(ROOT / "pyproject.toml"), "--no-error-summary", str(snippet)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, run.stdout + run.stderr
    assert f"forgotten.py:{line}:" in errors[0] and '"VsmEdit"' in errors[0], errors
