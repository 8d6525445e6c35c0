"""Kernel lab fixtures: skip cleanly where the lab cannot run (not root, no pyroute2, a
kernel without vxlan or bridges), and make sure every lab built here is torn down."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # netns_scenarios, netns_harness

from netns_support import others_labs  # noqa: E402

from console.backends.netns.state import PREFIX_ROOT  # noqa: E402

try:  # the pure tests (plan, frames, state) run without pyroute2; labs need it
    from console.backends.netns.nsctl import has_net_admin, list_namespaces
except ImportError:
    def has_net_admin() -> bool:
        return False

    def list_namespaces() -> list[str]:
        return []

_kernel_verdict: str | None = None


def kernel_problem() -> str | None:
    """Why this machine cannot run a lab (None: it can). Probed once, by building a tiny
    lab with a bridge, a veth and a vxlan device, then removing it."""
    global _kernel_verdict
    if _kernel_verdict is not None:
        return _kernel_verdict or None
    try:
        import pyroute2  # noqa: F401
    except ImportError:
        _kernel_verdict = "the kernel lab needs pyroute2 (pip install pyroute2)"
        return _kernel_verdict
    if not has_net_admin():
        _kernel_verdict = "needs root (CAP_NET_ADMIN) to create network namespaces"
        return _kernel_verdict
    from netns_scenarios import overlay
    from pyroute2.netlink.exceptions import NetlinkError

    from console.backends.netns.lab import Lab
    from console.backends.netns.plan import plan_lab

    lab = Lab("probe")
    try:
        lab.build(plan_lab(overlay("unicast-only", hosts=2)))
        _kernel_verdict = ""
    except (NetlinkError, OSError) as exc:
        _kernel_verdict = f"this kernel cannot build a lab (no vxlan or bridge?): {exc}"
    finally:
        lab.teardown()
    return _kernel_verdict or None


@pytest.fixture(scope="session", autouse=True)
def _no_namespace_left_behind() -> Iterator[None]:
    before = set(list_namespaces()) if has_net_admin() else set()
    yield
    if has_net_admin():
        left = {n for n in list_namespaces() if n.startswith(PREFIX_ROOT)} - before
        left -= others_labs()
        assert not left, f"labs left namespaces behind: {sorted(left)}"


@pytest.fixture
def need_lab() -> None:
    problem = kernel_problem()
    if problem:
        pytest.skip(problem)


@pytest.fixture
def lab_factory(need_lab) -> Iterator[Callable]:
    """Build labs for topologies; every one is torn down when the test ends, pass or fail."""
    from console.backends.netns.lab import Lab
    from console.backends.netns.plan import plan_lab

    labs = []

    def make(topo):
        lab = Lab("test")
        labs.append(lab)
        lab.build(plan_lab(topo))
        return lab

    yield make
    for lab in labs:
        lab.teardown()


@pytest.fixture
def run() -> Callable:
    """Run a coroutine to completion (the backend API is asyncio)."""
    return lambda coro: asyncio.run(coro)
