"""Fixtures of the trace tests: small topologies written out, traced on the engine."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from console.models.topofile import load, loads

TOPOLOGIES = Path(__file__).resolve().parents[2] / "resources" / "topologies"


@pytest.fixture
def topo():
    """topo(yaml_text) -> a Topology; topo("demo") -> a sample topology by name."""
    def make(text: str):
        if "\n" not in text:
            return load(TOPOLOGIES / f"{text}.yaml")
        return loads(textwrap.dedent(text), source="test.yaml")
    return make
