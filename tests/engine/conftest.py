"""Fixtures of the engine tests: every scenario runs on both data planes."""

from __future__ import annotations

import textwrap

import pytest

from console.engine.facade import Fabric
from console.models.topofile import loads


def _compiled_available() -> bool:
    try:
        import console.engine._dataplane  # noqa: F401
    except ImportError:
        return False
    return True


PLANES = ["reference", pytest.param("compiled", marks=pytest.mark.skipif(
    not _compiled_available(), reason="compiled data plane not built"))]


@pytest.fixture(params=PLANES)
def plane(request) -> str:
    return request.param


@pytest.fixture
def fabric(plane):
    """fabric(yaml_text, seed=0) -> a Fabric on the test's plane."""
    def make(text: str, seed: int = 0) -> Fabric:
        return Fabric(loads(textwrap.dedent(text), source="test.yaml"), seed=seed, plane=plane)
    return make
