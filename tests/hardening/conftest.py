"""Fixtures of the hardening tests (issue #17): real files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def write(tmp_path: Path):
    """write(text, name='t.yaml') -> the path of a file holding `text`."""

    def _write(text: str, name: str = "t.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write
