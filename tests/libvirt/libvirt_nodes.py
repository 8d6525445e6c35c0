"""Where the libvirt test driver's node files are (tests/data/*.xml), as test:/// URIs."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def node_uri(name: str) -> str:
    """test:///ABSOLUTE/tests/data/NAME.xml; the test driver re-reads the file on every
    open, so each connection starts from the file's state."""
    return f"test://{DATA / (name + '.xml')}"
