"""Backends: one asyncio interface (base.Backend), several fabrics, chosen by URI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.models.lazy import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _MODULE_OF, __all__)
