"""Interface counters of every running domain of one host, in one bulk call.

As virt-manager's statsmanager does: ONE `getAllDomainStats(VIR_DOMAIN_STATS_INTERFACE)`
per poll; per-interface `interfaceStats()` only for a domain whose record has no `net.*`
group (a driver that does not fill it, such as libvirt's test driver), and a device that
errors there goes on a skip list instead of failing every poll.

libvirt reports interface counters from the guest's side (it swaps a tap device's host
view), which is what VifCounters means: tx = frames the VM sent, rx = frames delivered.
Keys are "vm/nic", with the vNIC names of parse.py (user alias, else target device).
Runs on the connection's worker thread (blocking calls).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import libvirt

from console.models.stats import VifCounters

Targets = dict[str, dict[str, str]]
"""vm name -> {target device -> vNIC name}: how counters find their vNIC."""


@dataclass
class PollReport:
    bulk_calls: int = 0
    per_interface_calls: int = 0
    unknown_domains: list[str] = field(default_factory=list)  # running, not in Targets
    bulk_unsupported: bool = False  # the driver has no getAllDomainStats
    bulk_without_net: bool = False  # it has, but fills no net.* group (the test driver)


def _from_bulk(stats: dict[str, Any], n: int, nics: dict[str, str], vm: str,
               out: dict[str, VifCounters]) -> None:
    for i in range(n):
        dev = stats.get(f"net.{i}.name", f"net{i}")
        nic = nics.get(dev, dev)
        out[f"{vm}/{nic}"] = VifCounters(
            tx_packets=stats.get(f"net.{i}.tx.pkts", 0),
            tx_bytes=stats.get(f"net.{i}.tx.bytes", 0),
            rx_packets=stats.get(f"net.{i}.rx.pkts", 0),
            rx_bytes=stats.get(f"net.{i}.rx.bytes", 0),
            tx_drops=stats.get(f"net.{i}.tx.drop", 0),
            rx_drops=stats.get(f"net.{i}.rx.drop", 0),
        )


def _per_interface(dom: libvirt.virDomain, vm: str, nics: dict[str, str],
                   skip: set[tuple[str, str]], out: dict[str, VifCounters],
                   report: PollReport) -> None:
    for dev, nic in nics.items():
        if (vm, dev) in skip:
            continue
        report.per_interface_calls += 1
        try:
            rxb, rxp, _rxe, rxd, txb, txp, _txe, txd = dom.interfaceStats(dev)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() in (libvirt.VIR_ERR_INVALID_CONN, libvirt.VIR_ERR_RPC):
                raise
            skip.add((vm, dev))  # e.g. a hostdev VF: no host-side device to read
            continue
        out[f"{vm}/{nic}"] = VifCounters(tx_packets=txp, tx_bytes=txb, rx_packets=rxp,
                                         rx_bytes=rxb, tx_drops=txd, rx_drops=rxd)


def poll(conn: libvirt.virConnect, targets: Targets, skip: set[tuple[str, str]],
         bulk: bool = True) -> tuple[dict[str, VifCounters], PollReport]:
    """Counters of every running domain's interfaces. `bulk=False` reads each interface
    with its own call (what the bulk call replaces; kept for the benchmark)."""
    out: dict[str, VifCounters] = {}
    report = PollReport()
    records = None
    if bulk:
        report.bulk_calls = 1
        try:
            records = conn.getAllDomainStats(
                libvirt.VIR_DOMAIN_STATS_INTERFACE,
                libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:
                raise
            report.bulk_unsupported = True  # an older driver: per-interface from now on
    if records is None:
        records = [(d, {}) for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)]
    with_net = 0
    for dom, stats in records:
        with_net += "net.count" in stats
        vm = dom.name()
        nics = targets.get(vm)
        if nics is None:
            report.unknown_domains.append(vm)
            continue
        n = stats.get("net.count")
        if n is not None:
            _from_bulk(stats, n, nics, vm, out)
        else:
            _per_interface(dom, vm, nics, skip, out, report)
    report.bulk_without_net = bulk and not report.bulk_unsupported and bool(records) \
        and with_net == 0
    return out, report
