"""Constrained value types shared by the topology objects (checked when a file loads)."""

from __future__ import annotations

import functools
import re
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, _BaseAddress, _BaseNetwork
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import ErrorDetails

# Every pattern here is used with fullmatch(): a pattern ending in `$` also matches before
# a final newline, so `web1\n` passed as a name and split export comments into commands.
# Character classes are spelled out ([0-9], not \d) so only ASCII digits count.
NAME_MAX = 63
_NAME_BODY = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}"
_MAC_RE = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
# C0 controls, DEL and C1 controls: ESC, BEL or NUL in a description would reach a
# terminal or a device CLI as control sequences, a line break would start a new command.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


NAME_RULE = ("a name is 1 to 63 letters, digits, '-', '_', '.' or ':', starting with a letter "
             "or digit")
# Checked by pydantic-core's own (Rust) regex, where `$` is the very end of the text: no
# Python call per name (a 100,000-VM file has half a million names). error_text() words
# a mismatch as NAME_RULE.
_NAME_PATTERN = f"^{_NAME_BODY}$"


def error_text(err: ErrorDetails) -> str:
    """One validation error's message as the console words it: a rule's own message
    (without pydantic's "Value error, " before it), a name's rule for a name that does not
    match its pattern, else pydantic's message."""
    if err["type"] == "string_pattern_mismatch" \
            and err.get("ctx", {}).get("pattern") == _NAME_PATTERN:
        return NAME_RULE
    return err["msg"].removeprefix("Value error, ")


def _check_mac(value: str) -> str:
    """A station's own address (a vNIC's, or a frame's source): libvirt refuses a group
    (multicast or broadcast) address and the all-zero address when it defines a domain,
    and IEEE 802 never sends from one. The group bit is the lowest bit of the first octet."""
    mac = value if _MAC_RE.fullmatch(value) else value.strip().lower().replace("-", ":")
    if mac is not value and not _MAC_RE.fullmatch(mac):
        raise ValueError("a MAC address is six hex pairs, e.g. 52:54:00:00:01:01")
    if mac == "00:00:00:00:00:00":
        raise ValueError("a station's MAC address cannot be all zeros")
    if int(mac[:2], 16) & 1:
        kind = "broadcast" if mac == "ff:ff:ff:ff:ff:ff" else "multicast"
        raise ValueError(f"a station's MAC address is unicast; {mac} is a {kind} address "
                         "(the lowest bit of the first octet is set)")
    return mac


_WHITESPACE_CONTROLS = str.maketrans("\t\n\v\f\r", "     ")


def _clean_text(value: str) -> str:
    """Free text without control characters: line breaks and tabs become spaces (a
    description written as a YAML block keeps its words apart), every other control
    character (ESC, BEL, NUL...) is dropped. Stripped rather than refused: they carry no
    meaning a person typed, and refusing would make a file unreadable for an invisible
    byte."""
    if _CONTROL_RE.search(value) is None:
        return value
    return _CONTROL_RE.sub("", value.translate(_WHITESPACE_CONTROLS))


_MAC_SCHEMA = r"^\s*[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}\s*$"

Name = Annotated[str, StringConstraints(pattern=_NAME_PATTERN),
                 WithJsonSchema({"type": "string", "pattern": _NAME_PATTERN})]
"""An object name: what references in the file point at."""

Mac = Annotated[str, AfterValidator(_check_mac),
                WithJsonSchema({"type": "string", "pattern": _MAC_SCHEMA})]
"""A station's unicast MAC address (a vNIC's), kept lower case with colons. Group
addresses are written where a destination is meant (traffic `to`), not with this type."""

Text = Annotated[str, AfterValidator(_clean_text)]
"""Free text (descriptions, model names): control characters stripped (_clean_text). What
a target CLI reads as syntax is the export's business (console/export/common.py)."""


def is_exact_multiple(value: float, step: float) -> bool:
    """Is `value` a whole number of `step`s, as far as a float written in a file can say?
    (0.1 pps is 100.00000000000001 thousandths: that is 100.)"""
    units = value / step
    return abs(units - round(units)) <= 1e-6 * max(1.0, abs(units))

VlanId = Annotated[int, Field(ge=1, le=4094)]
"""An 802.1Q VLAN id (0 and 4095 are reserved)."""

SegmentId = Annotated[int, Field(ge=0, le=0xFFFFFF)]
"""A 24-bit VXLAN id. The narrower range Nexus 1000V accepts is a rule, not a load error,
so that a planner can still open and simulate a file that breaks it."""

Mtu = Annotated[int, Field(ge=68, le=65535)]
"""An MTU in bytes (IPv4's minimum to the largest IP packet)."""

RATE_MIN_MBPS = 0.001
"""1 kbit/s, UCS Manager's unit (`set rate` takes kbps). The policer refills in
milli-bytes per 1 ms tick (console/engine/tables.py), so it keeps any rate from here on
within 8 bit/s; below it a rate would round to nothing in the UCS Manager export, and
towards nothing in the policer (all traffic dropped) instead of being policed as written."""


def _check_rate(value: float) -> float:
    if value < RATE_MIN_MBPS:
        raise ValueError("a rate is at least 0.001 Mbps (1 kbit/s); a smaller one cannot be "
                         "policed or exported as written")
    return value


RateMbps = Annotated[float, Field(gt=0, le=400_000), AfterValidator(_check_rate)]
"""A policing rate in megabits per second."""


def _address_as_text(value: Any) -> Any:
    """Refuse numbers and booleans for addresses: pydantic would take `ip: 10` as 0.0.0.10
    and `ip: true` as 0.0.0.1, silently, where a person meant something else."""
    if isinstance(value, (str, _BaseAddress, _BaseNetwork, IPv4Interface)):
        return value
    raise ValueError("an IPv4 address is written as text, e.g. 10.0.1.12 or 10.0.1.12/24")


# A dotted quad as ipaddress reads it (decimal octets 0-255, no leading zeros) with an
# optional prefix length 0-32: read here from the octets' integer, three times faster
# than ipaddress parsing the text (40,000 VTEPs in a 10,000-VEM file). Anything else
# (a netmask after the slash, a leading zero, a typo) goes to ipaddress as before, which
# accepts or words the error as it always did.
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_QUAD_RE = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/(3[0-2]|[12]?[0-9]))?")


def _quad(value: str) -> tuple[int, str | None] | None:
    """(the address as an integer, the prefix length or None) of a plain dotted quad."""
    m = _QUAD_RE.fullmatch(value)
    if m is None:
        return None
    a, b, c, d, prefix = m.groups()
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d), prefix


def _address(value: Any) -> Any:
    value = _address_as_text(value)
    if type(value) is str:
        address = _plain_address(value)
        if address is not None:
            return address
    return value


@functools.lru_cache(maxsize=1024)
def _plain_address(text: str) -> IPv4Address | None:
    """The address of a plain dotted quad, else None. Cached: a few addresses recur by
    the thousand (every VTEP of a subnet names its gateway), and an IPv4Address is
    immutable, so objects can share one."""
    quad = _quad(text)
    return IPv4Address(quad[0]) if quad is not None and quad[1] is None else None


def _interface(value: Any) -> Any:
    value = _address_as_text(value)
    if type(value) is str and (quad := _quad(value)) is not None:
        return IPv4Interface((quad[0], 32 if quad[1] is None else int(quad[1])))
    return value


Ip = Annotated[IPv4Address, BeforeValidator(_address)]
"""An IPv4 address, written as text."""

IpNetwork = Annotated[IPv4Network, BeforeValidator(_address_as_text)]
"""An IPv4 network (CIDR), written as text."""

IpInterface = Annotated[IPv4Interface, BeforeValidator(_interface)]
"""An IPv4 address with its prefix length, written as text."""
