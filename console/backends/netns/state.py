"""Who owns which lab: a state file per lab under /run/fabric-console/, so that a later
start removes the namespaces of labs whose process died (a crash, a kill -9) and never
touches another live lab's, nor the user's own namespaces."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

STATE_DIR = Path(os.environ.get("FABRIC_CONSOLE_RUN_DIR", "/run/fabric-console"))
PREFIX_ROOT = "fc-"


def new_lab_id() -> str:
    return secrets.token_hex(3)


def prefix_of(lab_id: str) -> str:
    """Every namespace of a lab starts with this; lab ids are 6 hex digits, so prefixes of
    two labs never overlap and never match a name a person would pick by hand."""
    return f"{PREFIX_ROOT}{lab_id}-"


def _start_time(pid: int) -> str | None:
    """The process start time (clock ticks since boot): a PID plus its start time names one
    process, so a reused PID is not mistaken for the lab's owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


@dataclass
class LabState:
    lab_id: str
    pid: int = field(default_factory=os.getpid)
    started: str | None = None
    source: str = ""
    namespaces: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.started is None:
            self.started = _start_time(self.pid)

    @property
    def prefix(self) -> str:
        return prefix_of(self.lab_id)

    @property
    def path(self) -> Path:
        return STATE_DIR / f"netns-{self.lab_id}.json"

    def save(self) -> None:
        """Written before the first namespace exists and after each one is added, atomically,
        so a crash at any moment leaves a file that names everything built."""
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__))
        os.replace(tmp, self.path)

    def forget(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def owner_alive(self) -> bool:
        return _start_time(self.pid) == self.started and self.started is not None

    @classmethod
    def read(cls, path: Path) -> LabState | None:
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None


def stale_labs() -> list[LabState]:
    """Labs recorded by processes that no longer run."""
    if not STATE_DIR.is_dir():
        return []
    out = []
    for path in sorted(STATE_DIR.glob("netns-*.json")):
        state = LabState.read(path)
        if state is not None and not state.owner_alive():
            out.append(state)
    return out


def reap_stale(list_namespaces: Callable[[], list[str]],
               remove_namespace: Callable[[str], None]) -> list[str]:
    """Remove the namespaces of dead labs (by their recorded prefix only) and their state
    files; returns the namespaces removed."""
    removed: list[str] = []
    for state in stale_labs():
        names = set(state.namespaces)
        names.update(n for n in list_namespaces() if n.startswith(state.prefix))
        for name in sorted(names):
            if not name.startswith(state.prefix):
                continue  # a corrupt file must not make us remove someone else's namespace
            try:
                remove_namespace(name)
                removed.append(name)
            except OSError:
                pass
        state.forget()
    return removed
