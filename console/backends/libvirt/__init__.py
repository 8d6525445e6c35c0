"""The libvirt backend: real KVM hosts (and libvirt's test driver) by libvirt URI.

Imported by console.backends.registry for any URI that is not emulated: or netns:.
"""

from __future__ import annotations

from ..registry import register
from .backend import OPEN_BACKENDS, LibvirtBackend
from .connection import AuthCallback, CredentialRequest

register("*", LibvirtBackend)

__all__ = ["OPEN_BACKENDS", "AuthCallback", "CredentialRequest", "LibvirtBackend"]
