"""Fabric-wide settings: the UCS Manager release and limits, and the VXLAN underlay."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .base import Model
from .types import Mtu

# fullmatch and ASCII classes: `$` let "2.2\n" through, and \d, \w took digits and
# letters of any script ("٢.٢"), which int() then read as a release.
_RELEASE_RE = re.compile(r"([0-9]+)\.([0-9]+)(\([A-Za-z0-9]+\))?")


class Ucs(Model):
    """UCS Manager: its release and the host netlink limit on VFs per PF."""

    release: str = "2.2"
    netlink_vf_limit: int = Field(default=22, ge=1, le=256)

    @field_validator("release")
    @classmethod
    def _release_form(cls, value: str) -> str:
        if not _RELEASE_RE.fullmatch(value):
            raise ValueError("release is written MAJOR.MINOR, e.g. 2.2 or 2.1(3a)")
        return value

    @property
    def release_tuple(self) -> tuple[int, int]:
        m = _RELEASE_RE.fullmatch(self.release)
        assert m is not None
        return int(m.group(1)), int(m.group(2))


class Underlay(Model):
    """The IP transport between VTEPs."""

    mtu: Mtu = 1600
    multicast: bool = True
    proxy_arp: bool = False
    udp_port: int = Field(default=8472, ge=1, le=65535)
