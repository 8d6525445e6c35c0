"""Backends: one asyncio interface (base.Backend), several fabrics, chosen by URI."""

from .base import Backend, BackendError, BackendEvent, ConnectionState, EventKind
from .registry import open_backend, register

__all__ = ["Backend", "BackendError", "BackendEvent", "ConnectionState", "EventKind",
           "open_backend", "register"]
