"""Constrained value types shared by the topology objects (checked when a file loads)."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, _BaseAddress, _BaseNetwork
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")
_MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def _check_name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ValueError(
            "a name is 1 to 63 letters, digits, '-', '_', '.' or ':', starting with a letter "
            "or digit"
        )
    return value


def _check_mac(value: str) -> str:
    mac = value.strip().lower().replace("-", ":")
    if not _MAC_RE.match(mac):
        raise ValueError("a MAC address is six hex pairs, e.g. 52:54:00:00:01:01")
    return mac


Name = Annotated[str, AfterValidator(_check_name),
                 WithJsonSchema({"type": "string", "pattern": _NAME_RE.pattern})]
"""An object name: what references in the file point at."""

Mac = Annotated[str, AfterValidator(_check_mac), WithJsonSchema(
    {"type": "string", "pattern": r"^\s*[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}\s*$"})]
"""A MAC address, kept lower case with colons."""

VlanId = Annotated[int, Field(ge=1, le=4094)]
"""An 802.1Q VLAN id (0 and 4095 are reserved)."""

SegmentId = Annotated[int, Field(ge=0, le=0xFFFFFF)]
"""A 24-bit VXLAN id. The narrower range Nexus 1000V accepts is a rule, not a load error,
so that a planner can still open and simulate a file that breaks it."""

Mtu = Annotated[int, Field(ge=68, le=65535)]
"""An MTU in bytes (IPv4's minimum to the largest IP packet)."""

RateMbps = Annotated[float, Field(gt=0, le=400_000)]
"""A policing rate in megabits per second."""


def _address_as_text(value: Any) -> Any:
    """Refuse numbers and booleans for addresses: pydantic would take `ip: 10` as 0.0.0.10
    and `ip: true` as 0.0.0.1, silently, where a person meant something else."""
    if isinstance(value, (str, _BaseAddress, _BaseNetwork, IPv4Interface)):
        return value
    raise ValueError("an IPv4 address is written as text, e.g. 10.0.1.12 or 10.0.1.12/24")


Ip = Annotated[IPv4Address, BeforeValidator(_address_as_text)]
"""An IPv4 address, written as text."""

IpNetwork = Annotated[IPv4Network, BeforeValidator(_address_as_text)]
"""An IPv4 network (CIDR), written as text."""

IpInterface = Annotated[IPv4Interface, BeforeValidator(_address_as_text)]
"""An IPv4 address with its prefix length, written as text."""
