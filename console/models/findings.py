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
