"""The Cython build really ran: the engine's check module is a compiled extension."""

import importlib.machinery

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.engine import _buildcheck

# An IPv4 header (checksum field zeroed) and its checksum, the usual worked example.
IPV4_HEADER = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
IPV4_HEADER_CHECKSUM = 0xB861


def reference_checksum(data: bytes) -> int:
    """RFC 1071 in plain Python, to compare the compiled function against."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def test_buildcheck_is_a_compiled_extension():
    path = _buildcheck.__file__
    assert path.endswith(".so"), path
    assert any(path.endswith(suffix) for suffix in importlib.machinery.EXTENSION_SUFFIXES)
    assert isinstance(_buildcheck.__loader__, importlib.machinery.ExtensionFileLoader)


def test_checksum_of_known_ipv4_header():
    assert _buildcheck.checksum(IPV4_HEADER) == IPV4_HEADER_CHECKSUM


def test_header_with_its_checksum_verifies_to_zero():
    filled = IPV4_HEADER[:10] + IPV4_HEADER_CHECKSUM.to_bytes(2, "big") + IPV4_HEADER[12:]
    assert _buildcheck.checksum(filled) == 0


def test_checksum_edge_cases():
    assert _buildcheck.checksum(b"") == 0xFFFF
    assert _buildcheck.checksum(b"\x01") == 0xFEFF  # odd byte padded with zero
    assert _buildcheck.checksum(bytearray(b"\xff\xff")) == 0
    assert _buildcheck.checksum(memoryview(IPV4_HEADER)) == IPV4_HEADER_CHECKSUM


def test_checksum_rejects_non_buffers():
    with pytest.raises(TypeError):
        _buildcheck.checksum("not bytes")


@given(st.binary(max_size=4096))
def test_checksum_matches_reference(data):
    assert _buildcheck.checksum(data) == reference_checksum(data)
