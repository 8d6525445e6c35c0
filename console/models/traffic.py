"""Traffic flows a topology file asks the fabric to carry."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from .base import Model
from .types import Mac, is_exact_multiple

BROADCAST = "broadcast"
# Used with fullmatch: a pattern ending in `$` also matches before a final newline.
_VIF_RE = re.compile(r"[^/\s]+/[^/\s]+")
_MAC_RE = re.compile(r"[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}")

PPS_STEP = 0.001
"""The engine keeps a rate in thousandths of a frame per second (millionths of a frame per
1 ms tick, console/engine/traffic.py): a finer rate would be rounded, so 0.0004 pps over
100,000 s would send 100 frames instead of 40. Such rates are refused, not rounded."""
START_STEP_S = 0.001
"""Count flows start on a 1 ms tick."""

ETHERNET_HEADER = 14
"""Bytes of Ethernet header on top of a flow's `size` (the L3 length): what a VIF counts
and polices is size + ETHERNET_HEADER."""


class TrafficFlow(Model):
    """Frames from one VIF to a VIF, a MAC, broadcast or a multicast MAC.

    `size` is the L3 length (what an MTU limits): a VIF counts size + 14 bytes, the
    underlay size + 50. A flow has a `count` (sent once, flows one after another in file
    order, or from `start_s`) or a `pps` rate (side by side for the whole run).
    """

    source: str = Field(alias="from")
    to: str
    count: int | None = Field(default=None, ge=1, le=10**12)
    pps: float | None = Field(default=None, gt=0, le=10**9)
    size: int = Field(default=64, ge=28, le=65535)
    ip: bool = False
    df: bool = False
    start_s: float | None = Field(default=None, ge=0)
    src_mac: Mac | None = None  # a forged source MAC, to exercise mac_forging: deny

    @field_validator("source")
    @classmethod
    def _source_is_vif(cls, value: str) -> str:
        if not _VIF_RE.fullmatch(value):
            raise ValueError("'from' is a vNIC written vm/nic, e.g. web1/eth0")
        return value

    @field_validator("to")
    @classmethod
    def _to_form(cls, value: str) -> str:
        if value == BROADCAST or _VIF_RE.fullmatch(value):
            return value
        if _MAC_RE.fullmatch(value):
            return value.lower().replace("-", ":")
        raise ValueError("'to' is a vNIC (vm/nic), a MAC address, or broadcast")

    @field_validator("pps")
    @classmethod
    def _pps_exact(cls, value: float | None) -> float | None:
        if value is not None and (value < PPS_STEP or not is_exact_multiple(value, PPS_STEP)):
            raise ValueError("pps is a whole number of thousandths of a frame per second, "
                             "from 0.001; the fabric cannot keep a finer rate exactly")
        return value

    @field_validator("start_s")
    @classmethod
    def _start_on_a_tick(cls, value: float | None) -> float | None:
        if value is not None and not is_exact_multiple(value, START_STEP_S):
            raise ValueError("start_s is a whole number of milliseconds (flows start on a "
                             "1 ms tick)")
        return value

    @model_validator(mode="after")
    def _count_or_rate(self) -> TrafficFlow:
        if (self.count is None) == (self.pps is None):
            raise ValueError("a flow has either count or pps")
        if self.df and not self.ip:
            raise ValueError("df (don't fragment) applies only to IP flows (ip: true)")
        return self

    @property
    def to_vif(self) -> bool:
        return self.to != BROADCAST and "/" in self.to

    @property
    def to_mac(self) -> str | None:
        """The destination MAC when 'to' is written as one."""
        return None if self.to == BROADCAST or "/" in self.to else self.to
