"""Backends: one asyncio interface (base.Backend), several fabrics, chosen by URI."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Backend, BackendError, BackendEvent, ConnectionState, EventKind
    from .registry import open_backend, register

__all__ = ["Backend", "BackendError", "BackendEvent", "ConnectionState", "EventKind",
           "open_backend", "register"]

# Imported from their modules when first used: a submodule that needs none of them
# (console.backends.process, which the GUI's start imports) does not load the interface
# and with it the domain models (~0.1 s before the first window).
_MODULE_OF = {
    "Backend": "base", "BackendError": "base", "BackendEvent": "base",
    "ConnectionState": "base", "EventKind": "base",
    "open_backend": "registry", "register": "registry",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:  # a submodule (`from console.backends import emulated`) or a typo
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
