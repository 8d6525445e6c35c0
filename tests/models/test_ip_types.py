"""Addresses read from their octets (console/models/types.py) mean what ipaddress reads,
and everything else still goes to ipaddress, which accepts it or words the error."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from console.models.types import Ip, IpInterface, _address, _interface


def _reading(cls: type, text: str) -> object:
    try:
        return cls(text)
    except ValueError:
        return None


def _check(text: str) -> None:
    for fast, cls in ((_address, IPv4Address), (_interface, IPv4Interface)):
        got = fast(text)
        if type(got) is not str:  # read here: exactly what ipaddress reads
            expected = _reading(cls, text)
            assert got == expected and str(got) == str(expected), (text, got, expected)
            if cls is IPv4Interface:
                assert got.network == expected.network  # type: ignore[union-attr]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789./ ", max_size=22))
def test_any_text_reads_as_ipaddress_reads_it(text):
    _check(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.integers(0, 300), min_size=4, max_size=4),
       st.one_of(st.none(), st.integers(0, 40)))
def test_quads_and_prefixes_read_as_ipaddress_reads_them(octets, prefix):
    text = ".".join(map(str, octets)) + ("" if prefix is None else f"/{prefix}")
    _check(text)


@pytest.mark.parametrize(("text", "kind"), [
    ("10.0.1.12/24", IpInterface), ("10.0.1.12", IpInterface), ("10.0.1.12", Ip),
    ("10.0.1.12/255.255.255.0", IpInterface), ("10.0.1.12/024", IpInterface),
])
def test_what_a_file_writes_validates_as_before(text, kind):
    cls = IPv4Address if kind is Ip else IPv4Interface
    assert TypeAdapter(kind).validate_python(text) == cls(text)


@pytest.mark.parametrize(("text", "kind", "words"), [
    ("010.0.1.12", Ip, "IPv4"), ("10.0.1.256/24", IpInterface, "IPv4"),
    ("10.0.1.12/33", IpInterface, "IPv4"), (10, Ip, "written as text"),
])
def test_a_bad_address_is_refused_in_the_same_words(text, kind, words):
    with pytest.raises(ValidationError, match=words):
        TypeAdapter(kind).validate_python(text)
