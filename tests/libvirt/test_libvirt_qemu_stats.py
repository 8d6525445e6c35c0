"""Interface counters of a running QEMU (TCG) guest through ONE getAllDomainStats call.

The guest has a macvtap on one end of a veth pair (a VIC PF's stand-in) and a tap
(type='ethernet'); both appear in the one bulk record. Frames sent into the veth's other
end reach the guest's first NIC, which its firmware's iPXE has brought up: its rx
counters must grow by at least what was sent. iPXE sends IPv6 solicitations and DHCP
requests there: tx (what the VM sent; libvirt swaps the host view) must grow too.
Frames sent into the tap would wait unread: QEMU reads a virtio NIC's backend only once
the guest has set the NIC up, and iPXE tries the second NIC only after the first one's
DHCP times out. All read by the backend's sample(), as the GUI's live plots read them.
"""

from __future__ import annotations

import json
import time

import pytest
from qemu_support import (
    qemu_daemon,
    qemu_skip_reason,
    send_frames,
    start_guest,
    tiny_domain,
    veth_pair,
)

from console.backends.libvirt import LibvirtBackend
from console.cli import main

pytestmark = pytest.mark.skipif(qemu_skip_reason() is not None,
                                reason=qemu_skip_reason() or "")

FRAMES = 25
WAIT_S = 10.0
DHCP_WAIT_S = 20.0  # iPXE starts a few seconds after power-on under TCG


@pytest.fixture
def guest(run):
    """(backend, veth peer, tap) with a running guest `fcs1` and the backend connected."""
    with qemu_daemon("fcqstats") as daemon, veth_pair("st") as (lower, peer):
        tap = f"fcst{lower[4:-1]}t"[:15]
        start_guest(daemon.open(), tiny_domain("fcs1", (
            f"<interface type='direct'><mac address='52:54:00:fc:01:01'/>"
            f"<source dev='{lower}' mode='private'/><model type='virtio'/>"
            "<alias name='ua-eth0'/></interface>"
            "<interface type='ethernet'><mac address='52:54:00:fc:01:02'/>"
            f"<target dev='{tap}'/><model type='virtio'/><alias name='ua-eth1'/>"
            "</interface>")))
        backend = LibvirtBackend(daemon.uri)
        run(backend.connect())
        try:
            yield backend, peer, tap
        finally:
            run(backend.close())


def test_bulk_poll_brings_growing_counters_of_a_running_guest(guest, run):
    backend, peer, _tap = guest
    first = run(backend.sample())
    report = backend.last_poll
    # one bulk call carried every counter: no per-interface fallback on QEMU
    assert (report.bulk_calls, report.per_interface_calls) == (1, 0)
    assert not report.bulk_without_net and not report.bulk_unsupported and backend.bulk_stats
    assert first.live and set(first.vifs) == {"fcs1/eth0", "fcs1/eth1"}

    sent = send_frames(peer, FRAMES)  # through the veth into the macvtap: guest rx
    # QEMU reads them from the macvtap on its own schedule: bounded polling
    deadline = time.monotonic() + WAIT_S
    while (second := run(backend.sample())).vifs["fcs1/eth0"].rx_packets \
            < first.vifs["fcs1/eth0"].rx_packets + FRAMES:
        assert time.monotonic() < deadline, "the frames never reached the guest"
        time.sleep(0.05)

    assert second.timestamp > first.timestamp and backend.last_poll.bulk_calls == 1
    before, after = first.vifs["fcs1/eth0"], second.vifs["fcs1/eth0"]
    assert after.rx_bytes - before.rx_bytes >= sent

    # what the guest sends (iPXE's IPv6 solicitations, DHCP) on eth0 counts as tx: bounded polling
    # of an external process (the guest's firmware)
    deadline = time.monotonic() + DHCP_WAIT_S
    while (last := run(backend.sample())).vifs["fcs1/eth0"].tx_packets == 0:
        assert time.monotonic() < deadline, "the guest's firmware sent nothing on eth0"
        time.sleep(0.2)
    sent_by_guest = last.vifs["fcs1/eth0"]
    assert sent_by_guest.tx_bytes >= 60 * sent_by_guest.tx_packets  # whole Ethernet frames
    assert backend.last_poll.per_interface_calls == 0


def test_stats_command_prints_the_guests_counters(guest, run, capsys):
    backend, peer, _tap = guest
    send_frames(peer, FRAMES)
    deadline = time.monotonic() + WAIT_S  # bounded: until QEMU has read them
    while run(backend.sample()).vifs["fcs1/eth0"].rx_packets < FRAMES:
        assert time.monotonic() < deadline, "the frames never reached the guest"
        time.sleep(0.05)

    assert main(["stats", "--connect", backend.uri, "--count", "1", "--json"]) == 0

    sample = json.loads(capsys.readouterr().out)
    assert sample["live"] and set(sample["vifs"]) == {"fcs1/eth0", "fcs1/eth1"}
    assert sample["vifs"]["fcs1/eth0"]["rx_packets"] >= FRAMES
