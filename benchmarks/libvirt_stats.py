"""One bulk stats poll against per-interface calls: libvirt's test driver, or real QEMU.

Default (test driver): defines and starts N domains (2 interfaces each) on test:///default.
--qemu N: starts N tiny TCG guests (no disk, 32 MiB; each a macvtap on a veth and a tap)
under a private root libvirtd with the QEMU driver (tests/libvirt/qemu_support.py; needs
root, libvirt-daemon-driver-qemu and qemu-system-x86), reached over its UNIX socket as a
remote host is, and sends frames into the veth so that the counters are not all zero; the guests are
paused while timed (still active domains with their counters), so that N emulated CPUs do
not compete with the daemon for the machine's cores.

Times in one run:
  bulk     one conn.getAllDomainStats(VIR_DOMAIN_STATS_INTERFACE) call for every domain
  per-if   what the bulk call replaces: one dom.interfaceStats(dev) call per interface
  backend  console.backends.libvirt.stats.poll as the backend runs it on this connection
           (after a first poll has shown whether the bulk call brings counters here)

libvirt's test driver answers the bulk call without a net.* group, so there `bulk`
measures the call alone and `backend` falls back to per-interface calls; on QEMU the bulk
call carries every counter (the run says how many interfaces had non-zero counters).

Usage: python3 benchmarks/libvirt_stats.py [--domains N] [--repeat R] [--qemu N]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import libvirt  # noqa: E402

from console.backends.libvirt import inventory, stats  # noqa: E402

DOMAIN = """<domain type='test'><name>bench{i}</name><memory>1024</memory>
<os><type>hvm</type></os><devices>
<interface type='direct'><mac address='52:54:00:{a:02x}:{b:02x}:01'/>
<source dev='eth2' mode='passthrough'/>
<virtualport type='802.1Qbh'><parameters profileid='web'/></virtualport>
<target dev='bench{i}a'/><model type='virtio'/></interface>
<interface type='direct'><mac address='52:54:00:{a:02x}:{b:02x}:02'/>
<source dev='eth3' mode='private'/>
<virtualport type='802.1Qbh'><parameters profileid='db'/></virtualport>
<target dev='bench{i}b'/><model type='virtio'/></interface>
</devices></domain>"""


def setup(conn: libvirt.virConnect, n: int) -> stats.Targets:
    targets: stats.Targets = {}
    for i in range(n):
        dom = conn.defineXML(DOMAIN.format(i=i, a=i >> 8, b=i & 0xFF))
        dom.create()
        targets[f"bench{i}"] = {f"bench{i}a": "eth0", f"bench{i}b": "eth1"}
    return targets


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def measure(conn: libvirt.virConnect, targets: stats.Targets, repeat: int) -> dict:
    skip: set[tuple[str, str]] = set()

    def bulk() -> None:
        conn.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_INTERFACE,
                               libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)

    def per_interface() -> None:
        for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
            for dev in targets.get(dom.name(), {}):
                dom.interfaceStats(dev)

    # as the backend does: after one poll it knows whether the bulk call brings counters
    vifs, first = stats.poll(conn, targets, skip)
    use_bulk = not (first.bulk_unsupported or first.bulk_without_net)
    runs: dict[str, list[float]] = {"bulk": [], "per_if": [], "backend": []}
    for _ in range(repeat):  # interleaved, so that a warm or busy moment favours none
        runs["bulk"].append(timed(bulk, 1))
        runs["per_if"].append(timed(per_interface, 1))
        runs["backend"].append(timed(lambda: stats.poll(conn, targets, skip, use_bulk), 1))
    bulk_s, per_if_s, backend_s = (statistics.median(runs[k])
                                   for k in ("bulk", "per_if", "backend"))
    has_net = any("net.count" in s for _d, s in conn.getAllDomainStats(
        libvirt.VIR_DOMAIN_STATS_INTERFACE, 0)[:1])
    counting = sum(1 for c in vifs.values() if c.rx_packets or c.tx_packets)
    return {"bulk": bulk_s, "per_if": per_if_s, "backend": backend_s, "use_bulk": use_bulk,
            "has_net": has_net, "counting": counting, "vifs": len(vifs)}


def report(title: str, interfaces: int, repeat: int, r: dict) -> None:
    print(f"{title}; median of {repeat}")
    print(f"  bulk     getAllDomainStats x1          {r['bulk'] * 1e3:9.2f} ms")
    print(f"  per-if   interfaceStats x{interfaces:<6}        {r['per_if'] * 1e3:9.2f} ms")
    how = "(bulk)" if r["use_bulk"] else "(per-interface)"
    print(f"  backend  stats.poll {how:<15}    {r['backend'] * 1e3:9.2f} ms")
    print(f"  per-interface / bulk = {r['per_if'] / r['bulk']:.1f}x; "
          f"per-interface / backend = {r['per_if'] / r['backend']:.1f}x")
    print(f"  interfaces with non-zero counters in the backend's poll: "
          f"{r['counting']} of {r['vifs']}")
    if not r["has_net"]:
        print("  note: this driver's bulk records carry no net.* group, so 'bulk' is the "
              "call alone and the backend reads each interface (as it does on any driver "
              "whose bulk call brings no counters)")


def run_test_driver(args: argparse.Namespace) -> int:
    conn = libvirt.open("test:///default")
    t0 = time.perf_counter()
    targets = setup(conn, args.domains)
    setup_s = time.perf_counter() - t0
    interfaces = sum(len(v) for v in targets.values())
    r = measure(conn, targets, args.repeat)
    v = libvirt.getVersion()
    report(f"libvirt {v // 1_000_000}.{v // 1000 % 1000} test driver: {args.domains} running "
           f"domains, {interfaces} interfaces (set up in {setup_s:.2f} s)", interfaces,
           args.repeat, r)
    conn.close()
    return 0


@contextlib.contextmanager
def qemu_host(guests: int) -> Iterator[tuple[libvirt.virConnect, str, str, float]]:
    """(connection, uri, veth peer to send into, setup seconds) with `guests` running."""
    import pytest
    from qemu_support import qemu_daemon, start_guest, tiny_domain, veth_pair

    t0 = time.perf_counter()
    try:
        with qemu_daemon("fcbench") as daemon, veth_pair("bn") as (lower, peer):
            conn = daemon.open()
            for i in range(guests):
                start_guest(conn, tiny_domain(f"bench{i}", (
                    f"<interface type='direct'><mac address='52:54:00:fb:{i >> 8:02x}:"
                    f"{i & 0xFF:02x}'/><source dev='{lower}' mode='private'/>"
                    "<model type='virtio'/><alias name='ua-eth0'/></interface>"
                    f"<interface type='ethernet'><mac address='52:54:00:fc:{i >> 8:02x}:"
                    f"{i & 0xFF:02x}'/><model type='virtio'/><alias name='ua-eth1'/>"
                    "</interface>")))
            yield conn, daemon.uri, peer, time.perf_counter() - t0
            conn.close()
    except pytest.skip.Exception as exc:
        raise SystemExit(f"cannot run real QEMU here: {exc}") from None


def run_qemu(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT / "tests" / "libvirt"))  # the tests' private QEMU host
    from qemu_support import send_frames

    with qemu_host(args.qemu) as (conn, uri, peer, setup_s):
        send_frames(peer, 10)  # broadcast: every guest's macvtap sees them
        deadline = time.monotonic() + 10
        facts = inventory.read(conn, uri)
        while time.monotonic() < deadline:  # bounded: until the guests have read them
            vifs, _ = stats.poll(conn, facts.targets, set())
            if sum(1 for c in vifs.values() if c.rx_packets) >= args.qemu:
                break
            time.sleep(0.1)
        # paused, N emulated CPUs no longer compete with the daemon for this machine's
        # cores while it is timed; a paused guest is still active, with its counters
        for dom in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE):
            dom.suspend()
        interfaces = sum(len(v) for v in facts.targets.values())
        r = measure(conn, facts.targets, args.repeat)
        v = conn.getLibVersion()
        report(f"libvirt {v // 1_000_000}.{v // 1000 % 1000} QEMU driver over a UNIX socket "
               f"({conn.getVersion() // 1_000_000}.{conn.getVersion() // 1000 % 1000} TCG): "
               f"{args.qemu} active guests (paused), {interfaces} interfaces (set up in "
               f"{setup_s:.1f} s)", interfaces, args.repeat, r)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--qemu", type=int, default=0, metavar="N",
                        help="N real QEMU (TCG) guests instead of the test driver")
    args = parser.parse_args()
    libvirt.registerErrorHandler(lambda _c, _e: None, None)
    return run_qemu(args) if args.qemu else run_test_driver(args)


if __name__ == "__main__":
    sys.exit(main())
