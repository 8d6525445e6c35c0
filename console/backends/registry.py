"""Pick a backend by URI, as virt-manager does: `emulated:///demo`,
`emulated:///path/topology.yaml`, `netns:///path/topology.yaml`, or any libvirt URI."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from .base import Backend, BackendError

_FACTORIES: dict[str, Callable[[str], Backend]] = {}


def register(scheme: str, factory: Callable[[str], Backend]) -> None:
    _FACTORIES[scheme] = factory


def scheme_of(uri: str) -> str:
    scheme = urlsplit(uri).scheme
    if not scheme:
        raise BackendError(f"'{uri}' is not a connection URI (e.g. emulated:///demo, "
                           "test:///default, qemu:///system)")
    return scheme.split("+", 1)[0]  # qemu+ssh -> qemu


def _load_builtin(scheme: str) -> None:
    # Imported lazily: libvirt-python or pyroute2 are only needed when used.
    if scheme == "emulated":
        from . import emulated  # noqa: F401
    elif scheme == "netns":
        from . import netns  # noqa: F401
    else:
        from . import libvirt  # noqa: F401


def open_backend(uri: str) -> Backend:
    """A backend object for the URI (not connected yet: await .connect())."""
    scheme = scheme_of(uri)
    if scheme not in _FACTORIES:
        try:
            _load_builtin(scheme)
        except ImportError as exc:
            raise BackendError(f"no backend for '{scheme}:' URIs here ({exc})") from None
    factory = _FACTORIES.get(scheme) or _FACTORIES.get("*")
    if factory is None:
        raise BackendError(f"no backend for '{scheme}:' URIs")
    return factory(uri)
