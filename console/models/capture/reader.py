"""Reading capture files: classic pcap (micro- and nanosecond, either byte order) and pcapng.

The file formats come from dpkt (its header and block classes: magic numbers, byte orders,
the pcapng options that carry each interface's timestamp resolution). The walk over the
records is ours, because dpkt's own readers yield only (timestamp, bytes): they drop the
length the frame had on the wire (what tcpdump prints, and what an MTU limits), and a
record cut short by the end of the file comes back as fewer bytes, silently, or as an
exception that loses the record number. Here every record keeps its number (counted from
1, as tcpdump counts), and a bad or truncated one becomes a Problem naming it.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import dpkt
from dpkt import pcap as dpkt_pcap
from dpkt import pcapng as dpkt_pcapng

LINKTYPE_ETHERNET = 1
MAX_RECORD_BYTES = 16 * 1024 * 1024
"""A record longer than this is taken as a damaged length field, not as a frame (BIG TCP
frames reach a few hundred KB; tcpdump's own limit is 256 KB)."""

_PCAPNG_SHB = dpkt_pcapng.PCAPNG_BT_SHB
_PCAPNG_IDB = dpkt_pcapng.PCAPNG_BT_IDB
_PCAPNG_EPB = dpkt_pcapng.PCAPNG_BT_EPB
_PCAPNG_PB = dpkt_pcapng.PCAPNG_BT_PB
_PCAPNG_SPB = dpkt_pcapng.PCAPNG_BT_SPB


class CaptureError(Exception):
    """A file that is not a capture this reader knows, or cannot be opened at all."""

    def __init__(self, source: str, message: str):
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")


@dataclass(frozen=True, slots=True)
class Problem:
    """A record that could not be used: which one (1-based; 0 = the file header) and why."""

    record: int
    message: str

    def __str__(self) -> str:
        return f"record {self.record}: {self.message}" if self.record else self.message


@dataclass(frozen=True, slots=True)
class Record:
    """One captured frame as the file stores it."""

    number: int  # 1-based, as tcpdump numbers frames
    ts: float  # seconds since the epoch
    data: bytes  # the captured bytes (may be fewer than wire_len: a snap length)
    wire_len: int  # the frame's length on the wire
    linktype: int  # DLT/LINKTYPE_* of its interface; 1 is Ethernet


@dataclass
class CaptureFile:
    """An open capture: iterate it for Records; `problems` fills in as it is read.

    A damaged record ends the walk when the format cannot find the next one (classic pcap
    has no resynchronisation marker): the records before it are kept, and the Problem says
    how many bytes were left unread, so nothing is lost without a word.
    """

    source: str
    format: str  # "pcap", "pcap-ns" or "pcapng"
    problems: list[Problem] = field(default_factory=list)
    records_read: int = 0
    _fh: BinaryIO | None = None
    _iter: Iterator[Record] | None = None

    def __iter__(self) -> Iterator[Record]:
        assert self._iter is not None, "a CaptureFile is read once"
        it, self._iter = self._iter, None
        return it

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> CaptureFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_capture(path: str | os.PathLike[str]) -> CaptureFile:
    """Open a pcap or pcapng file. Raises CaptureError (only) when it cannot be read at all."""
    source = str(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - the CaptureFile owns and closes it
    except OSError as exc:
        raise CaptureError(source, f"cannot open: {exc.strerror}") from None
    try:
        head = fh.read(4)
        if len(head) < 4:
            raise CaptureError(source, "empty or shorter than a capture file header")
        fh.seek(0)
        magic_be = struct.unpack(">I", head)[0]
        if magic_be == _PCAPNG_SHB:
            cap = CaptureFile(source, "pcapng", _fh=fh)
            cap._iter = _pcapng_records(fh, cap)
        elif magic_be in dpkt_pcap.MAGIC_TO_PKT_HDR:
            nano = magic_be in (dpkt_pcap.TCPDUMP_MAGIC_NANO, dpkt_pcap.PMUDPCT_MAGIC_NANO)
            cap = CaptureFile(source, "pcap-ns" if nano else "pcap", _fh=fh)
            cap._iter = _pcap_records(fh, cap, magic_be)
        else:
            raise CaptureError(source, f"not a pcap or pcapng file (starts with 0x{magic_be:08x})")
    except CaptureError:
        fh.close()
        raise
    except OSError as exc:
        fh.close()
        raise CaptureError(source, f"cannot read: {exc.strerror}") from None
    return cap


def read_all(path: str | os.PathLike[str]) -> tuple[list[Record], CaptureFile]:
    """Every record of a file at once, and the CaptureFile holding its problems."""
    with open_capture(path) as cap:
        return list(cap), cap


# ------------------------------------------------------------------------- classic pcap

def _pcap_records(fh: BinaryIO, cap: CaptureFile, magic_be: int) -> Iterator[Record]:
    header_cls = dpkt_pcap.FileHdr
    if magic_be in (dpkt_pcap.PMUDPCT_MAGIC, dpkt_pcap.PMUDPCT_MAGIC_NANO,
                    dpkt_pcap.PACPDOM_MAGIC):
        header_cls = dpkt_pcap.LEFileHdr
    buf = fh.read(header_cls.__hdr_len__)
    if len(buf) < header_cls.__hdr_len__:
        cap.problems.append(Problem(0, f"file header cut short ({len(buf)} of "
                                       f"{header_cls.__hdr_len__} bytes)"))
        return
    hdr = header_cls(buf)
    # The upper bits of the link type field carry FCS information (pcap-savefile(5)).
    linktype = hdr.linktype & 0x0FFFFFFF
    pkt_cls = dpkt_pcap.MAGIC_TO_PKT_HDR[magic_be]
    hlen = pkt_cls.__hdr_len__
    divisor = 1e9 if magic_be in (dpkt_pcap.TCPDUMP_MAGIC_NANO,
                                  dpkt_pcap.PMUDPCT_MAGIC_NANO) else 1e6
    # Parse the record header with struct directly: same layout as dpkt's PktHdr, and
    # building a dpkt.Packet per record would cost more than the rest of the walk.
    unpack = struct.Struct(pkt_cls.__hdr_fmt__).unpack_from
    number = 0
    read = fh.read
    while True:
        rh = read(hlen)
        if not rh:
            return
        number += 1
        if len(rh) < hlen:
            cap.problems.append(Problem(number, f"record header cut short: {len(rh)} of "
                                                f"{hlen} bytes at the end of the file"))
            return
        sec, frac, caplen, wire_len = unpack(rh)[:4]
        if caplen > MAX_RECORD_BYTES:
            rest = _bytes_left(fh)
            cap.problems.append(Problem(number, f"bad record header: captured length "
                                                f"{caplen} is not plausible; {rest} bytes "
                                                "after it left unread"))
            return
        data = read(caplen)
        if len(data) < caplen:
            cap.problems.append(Problem(number, f"truncated: the header says {caplen} bytes, "
                                                f"the file has {len(data)} left"))
            return
        cap.records_read = number
        yield Record(number, sec + frac / divisor, data, max(wire_len, caplen), linktype)


def _bytes_left(fh: BinaryIO) -> int:
    try:
        here = fh.tell()
        end = fh.seek(0, os.SEEK_END)
        return end - here
    except OSError:
        return 0


# ------------------------------------------------------------------------------ pcapng

@dataclass(slots=True)
class _Interface:
    linktype: int
    snaplen: int
    divisor: float
    offset: int


def _pcapng_records(fh: BinaryIO, cap: CaptureFile) -> Iterator[Record]:
    little = True
    interfaces: list[_Interface] = []
    number = 0
    block_no = 0
    while True:
        start = fh.read(8)
        if not start:
            return
        block_no += 1
        if len(start) < 8:
            cap.problems.append(Problem(number + 1, f"block {block_no} cut short at the end "
                                                    "of the file"))
            return
        if start[:4] == b"\x0a\x0d\x0d\x0a":  # a section header: its byte order is new
            bom = fh.read(4)
            if bom == b"\x4d\x3c\x2b\x1a":
                little = True
            elif bom == b"\x1a\x2b\x3c\x4d":
                little = False
            else:
                cap.problems.append(Problem(number + 1, f"block {block_no}: section header "
                                                        "with an unknown byte-order mark"))
                return
            start += bom
            interfaces = []  # interface ids are per section
        order = "<" if little else ">"
        btype, blen = struct.unpack(order + "II", start[:8])
        if blen < 12 or blen % 4 or blen > MAX_RECORD_BYTES:
            cap.problems.append(Problem(number + 1, f"block {block_no}: bad block length "
                                                    f"{blen}; {_bytes_left(fh)} bytes after "
                                                    "it left unread"))
            return
        body = fh.read(blen - len(start))
        buf = start + body
        if len(buf) < blen:
            what = "packet" if btype in (_PCAPNG_EPB, _PCAPNG_PB, _PCAPNG_SPB) else "block"
            cap.problems.append(Problem(number + 1, f"truncated {what} (block {block_no}): "
                                                    f"{blen} bytes announced, {len(buf)} "
                                                    "in the file"))
            return
        try:
            if btype == _PCAPNG_SHB:
                cls = (dpkt_pcapng.SectionHeaderBlockLE if little
                       else dpkt_pcapng.SectionHeaderBlock)
                shb = cls(buf)
                if shb.v_major != dpkt_pcapng.PCAPNG_VERSION_MAJOR:
                    cap.problems.append(Problem(number + 1, f"pcapng version {shb.v_major}."
                                                            f"{shb.v_minor} is not read"))
                    return
            elif btype == _PCAPNG_IDB:
                cls = (dpkt_pcapng.InterfaceDescriptionBlockLE if little
                       else dpkt_pcapng.InterfaceDescriptionBlock)
                interfaces.append(_interface(cls(buf), little))
            elif btype in (_PCAPNG_EPB, _PCAPNG_PB, _PCAPNG_SPB):
                number += 1
                record = _pcapng_packet(btype, buf, little, interfaces, number)
                if isinstance(record, Problem):
                    cap.problems.append(record)
                else:
                    cap.records_read = number
                    yield record
            # other blocks (name resolution, statistics, custom) carry no frames
        except (dpkt.UnpackError, struct.error, IndexError) as exc:
            cap.problems.append(Problem(number if btype in (_PCAPNG_EPB, _PCAPNG_PB,
                                                            _PCAPNG_SPB) else number + 1,
                                        f"bad block {block_no} (type {btype}): "
                                        f"{exc or type(exc).__name__}"))
            # the block's length was sound, so the next block can still be found


def _interface(idb: dpkt_pcapng.InterfaceDescriptionBlock, little: bool) -> _Interface:
    divisor = 1e6
    offset = 0
    for opt in idb.opts:
        if opt.code == dpkt_pcapng.PCAPNG_OPT_IF_TSRESOL and opt.data:
            raw = opt.data[0]
            divisor = float((2 if raw & 0x80 else 10) ** (raw & 0x7F))
        elif opt.code == dpkt_pcapng.PCAPNG_OPT_IF_TSOFFSET and len(opt.data) >= 8:
            offset = struct.unpack(("<" if little else ">") + "q", opt.data[:8])[0]
    return _Interface(idb.linktype, idb.snaplen, divisor, offset)


def _pcapng_packet(btype: int, buf: bytes, little: bool, interfaces: list[_Interface],
                   number: int) -> Record | Problem:
    if btype == _PCAPNG_SPB:
        # Simple packet block: no interface id (always the first), no timestamp.
        order = "<" if little else ">"
        (wire_len,) = struct.unpack_from(order + "I", buf, 8)
        if not interfaces:
            return Problem(number, "packet before any interface description")
        iface = interfaces[0]
        caplen = min(wire_len, iface.snaplen or wire_len, len(buf) - 16)
        return Record(number, 0.0, bytes(buf[12:12 + caplen]), wire_len, iface.linktype)
    if btype == _PCAPNG_EPB:
        cls = dpkt_pcapng.EnhancedPacketBlockLE if little else dpkt_pcapng.EnhancedPacketBlock
    else:
        cls = dpkt_pcapng.PacketBlockLE if little else dpkt_pcapng.PacketBlock
    blk = cls(buf)
    if blk.iface_id >= len(interfaces):
        return Problem(number, f"names interface {blk.iface_id}, which is not described")
    if len(blk.pkt_data) < blk.caplen:
        return Problem(number, f"truncated: {blk.caplen} bytes announced, "
                               f"{len(blk.pkt_data)} in the block")
    iface = interfaces[blk.iface_id]
    ts = iface.offset + ((blk.ts_high << 32) | blk.ts_low) / iface.divisor
    return Record(number, ts, bytes(blk.pkt_data), max(blk.pkt_len, blk.caplen),
                  iface.linktype)
