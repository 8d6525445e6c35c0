# cython: language_level=3
"""Build check: a tiny typed function that proves the Cython toolchain ran.

``tests/test_build.py`` imports it and checks that it is a compiled extension. It is also
a real helper: the RFC 1071 Internet checksum used in IPv4 headers.
"""


def checksum(const unsigned char[:] data) -> int:
    """Return the 16-bit ones' complement Internet checksum (RFC 1071) of ``data``.

    Words are big-endian; an odd trailing byte is padded with a zero byte.
    """
    cdef Py_ssize_t n = data.shape[0]
    cdef Py_ssize_t i = 0
    cdef unsigned long long total = 0
    with nogil:
        while i + 1 < n:
            total += (<unsigned int>data[i] << 8) | data[i + 1]
            i += 2
        if n & 1:
            total += <unsigned int>data[n - 1] << 8
        while total >> 16:
            total = (total & 0xFFFF) + (total >> 16)
    return <int>(~total & 0xFFFF)
