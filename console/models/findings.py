"""Validation findings: what a rule says about one object of a topology."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One rule's verdict on one object.

    `path` names the object as the file does (`vms[2].nics[0].pf`), so the GUI can select
    it and an administrator can find it in the file; `rule` is a stable id such as
    `vmfex.default-cluster`; `message` says what is wrong in the administrator's words.
    """

    path: str
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.path}: {self.message} [{self.rule}]"


MAX_PER_RULE = 100
"""Findings of one rule listed one by one; the rest are counted ("and 1,619,000 more like
this"). A file that repeats one mistake a million times needs one line to say so, not a
million (194 MB of output, before the budget of topofile.py)."""


def cap_repeated(findings: list[Finding], per_rule: int = MAX_PER_RULE
                 ) -> tuple[list[Finding], dict[str, tuple[Severity, int]]]:
    """The first `per_rule` findings of each rule, in their order, and for each rule that
    had more: its severity and how many were left out."""
    seen: dict[str, int] = {}
    kept: list[Finding] = []
    omitted: dict[str, tuple[Severity, int]] = {}
    for finding in findings:
        n = seen.get(finding.rule, 0) + 1
        seen[finding.rule] = n
        if n <= per_rule:
            kept.append(finding)
        else:
            omitted[finding.rule] = (finding.severity, n - per_rule)
    return kept, omitted


def omitted_line(rule: str, severity: Severity, count: int) -> str:
    """The line that stands for the findings of `rule` that were not listed."""
    return f"{severity.value}: ...: and {count:,} more like this [{rule}]"
