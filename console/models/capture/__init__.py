"""Packet captures in the fabric's terms: reading pcap/pcapng files, decoding their frames
(Ethernet, 802.1Q, IPv4, ARP, VXLAN), and what they say about VTEPs, bridge domains and
floods. Pure Python like the rest of the models: no Qt, no engine.
"""

from .decode import DEFAULT_VXLAN_PORTS, Frame, decode
from .reader import CaptureError, CaptureFile, Problem, Record, open_capture, read_all

__all__ = [
    "DEFAULT_VXLAN_PORTS",
    "CaptureError",
    "CaptureFile",
    "Frame",
    "Problem",
    "Record",
    "decode",
    "open_capture",
    "read_all",
]
