"""Kernel lab figures: frames per second through a lab and through the engine on the same
scenario, and how long a lab of 16 and 64 VEM hosts takes to build and to tear down.

    sudo python3 benchmarks/kernel_lab.py [--frames N] [--hosts 16 64]

Scenario: three VEM hosts in one unicast-only bridge domain; VM a (kvm1) sends 64-byte
frames to VM b (kvm2) after b has been learned: each frame is switched, encapsulated,
carried over the transport bridge, decapsulated and delivered. Lab frames/s: frames
delivered to b per wall second, one sender thread. Engine frames/s: frames the emulated
fabric delivers to b per wall second of run_until().
Build/teardown: N hosts with 2 VMs each, all in one unicast-only bridge domain (N-1
head-end replication entries per host), and the time to read one counter sample.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.models import topofile  # noqa: E402
from console.models.topology import Topology  # noqa: E402


def overlay(hosts: int, vms_per_host: int, traffic: list[dict]) -> Topology:
    doc = {"format": "fabric-console/1", "name": f"bench-{hosts}",
           "clusters": [{"name": "default"}],
           "bridge_domains": [{"name": "blue", "segment_id": 5000, "mode": "unicast-only"}],
           "port_profiles": [{"name": "blue", "clients": ["default"], "bridge_domain": "blue"}],
           "hosts": [{"name": f"kvm{i + 1}", "switching": "vem",
                      "vteps": [{"name": "vtep0", "ip": f"10.0.{i // 250}.{i % 250 + 2}/16"}]}
                     for i in range(hosts)],
           "vms": [], "traffic": traffic}
    for h in range(hosts):
        for v in range(vms_per_host):
            n = h * vms_per_host + v
            name = "ab"[n] if n < 2 and vms_per_host == 1 else f"vm{n}"
            doc["vms"].append({"name": name, "host": f"kvm{h + 1}", "nics": [
                {"name": "eth0", "mac": f"52:54:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:"
                                        f"{n & 255:02x}",
                 "port_profile": "blue", "attach": "veth"}]})
    return topofile.loads(yaml.safe_dump(doc))


def lab_rate(frames: int) -> tuple[float, int]:
    from console.backends.netns.counters import read_sample
    from console.backends.netns.frames import build_frame
    from console.backends.netns.lab import Lab
    from console.backends.netns.plan import plan_lab
    from console.backends.netns.traffic import send

    topo = overlay(3, 1, [{"from": "b/eth0", "to": "a/eth0", "count": 1},
                          {"from": "a/eth0", "to": "b/eth0", "count": frames}])
    index = topo.index()
    learn, flow = (build_frame(f, index) for f in topo.traffic)
    lab = Lab("benchmark")
    try:
        lab.build(plan_lab(topo))
        send(lab, "b/eth0", learn, 1)
        start = time.perf_counter()
        send(lab, "a/eth0", flow, frames)
        deadline = start + 60
        while True:
            got = read_sample(lab).vifs["b/eth0"].rx_packets
            if got >= frames or time.perf_counter() > deadline:
                break
            time.sleep(0.001)
        took = time.perf_counter() - start
    finally:
        lab.teardown()
    return got / took, got


def engine_rate(frames: int) -> tuple[float, int, str]:
    from console.engine.facade import Fabric

    topo = overlay(3, 1, [{"from": "b/eth0", "to": "a/eth0", "count": 1},
                          {"from": "a/eth0", "to": "b/eth0", "count": frames,
                           "start_s": 0.01}])
    try:
        fabric, plane = Fabric(topo, seed=0), "compiled"
    except ImportError:
        fabric, plane = Fabric(topo, seed=0, plane="reference"), "reference"
    start = time.perf_counter()
    t = 0.0
    while fabric.sample().vifs["b/eth0"].rx_packets < frames and t < 3600:
        t += 1.0
        fabric.run_until(t)
    took = time.perf_counter() - start
    got = fabric.sample().vifs["b/eth0"].rx_packets
    return got / took, got, plane


def build_teardown(hosts: int) -> tuple[float, float, float, int]:
    from console.backends.netns.counters import read_sample
    from console.backends.netns.lab import Lab
    from console.backends.netns.plan import plan_lab

    plan = plan_lab(overlay(hosts, 2, []))
    lab = Lab("benchmark")
    start = time.perf_counter()
    try:
        lab.build(plan)
        built = time.perf_counter() - start
        namespaces = len(lab.state.namespaces)
        read_sample(lab)  # the first one opens a /proc file and a socket per namespace
        start = time.perf_counter()
        read_sample(lab)
        sampled = time.perf_counter() - start
    finally:
        start = time.perf_counter()
        lab.teardown()
        torn = time.perf_counter() - start
    return built, torn, sampled, namespaces


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, nargs="*", default=[16, 64])
    args = parser.parse_args()
    from console.backends.netns.nsctl import has_net_admin

    if not has_net_admin():
        print("kernel_lab: needs root (CAP_NET_ADMIN) to build labs", file=sys.stderr)
        return 2
    lab_fps, lab_got = lab_rate(args.frames)
    eng_fps, eng_got, plane = engine_rate(args.frames)
    print(f"frames/s, known unicast a->b across VEMs, {args.frames} frames of 64 bytes:")
    print(f"  kernel lab      {lab_fps:12,.0f} frames/s  ({lab_got} delivered)")
    print(f"  engine ({plane:9}) {eng_fps:12,.0f} frames/s  ({eng_got} delivered)")
    print(f"  engine / lab    {eng_fps / lab_fps:12.2f}x")
    for hosts in args.hosts:
        built, torn, sampled, namespaces = build_teardown(hosts)
        print(f"lab of {hosts} VEM hosts, {2 * hosts} VMs ({namespaces} namespaces): "
              f"build {built:.2f} s, teardown {torn:.2f} s, one counter sample "
              f"{sampled * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
