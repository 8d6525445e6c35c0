"""Frames per second of the compiled and the reference data planes, in one run.

    python3 benchmarks/engine.py [--topology FILE] [--seconds S] [--ref-seconds S]

The scenario is resources/topologies/large.yaml (scripts/gen_topology.py: 64 VEMs with 4
VTEPs each, 2,000 VMs, 200 bridge domains half multicast half unicast-only, a few VM-FEX
hosts; unicast, broadcast and VM-FEX flows at pps rates). Both planes start from the same
fresh fabric and carry the same traffic; a frame is one frame a VM offers (before policing),
with everything it causes (learning, lookups, flood copies, deliveries). The compiled plane
runs with its flow cache (frames of a flow replayed from a recording, as a switch's fast
path does) and without it, and both runs must give the same counters. The reference is
timed over its first --ref-seconds of simulated time, the compiled plane over the same
window and over a longer one (--seconds), so its rate is not dominated by timer noise.
Times are CPU seconds of this process (time.process_time), so a busy machine does not
distort the ratio; frames/s is on one core (the engine is single-threaded).

The generator's unicast flows are one-way, so the destination is never learned and ~80% of
frames are unknown-unicast floods (each replicated to every member VEM, or to every VIF of
the VLAN at the FI). A second scenario, "learned", adds the reverse of every unicast flow so
the L2 tables learn both ends and unicast is known unicast, as in a real two-way
conversation. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.engine.facade import Fabric  # noqa: E402
from console.models.topofile import load  # noqa: E402


def learned(topo):
    """The same topology with the reverse of every unicast flow added."""
    from console.models.traffic import TrafficFlow

    back = [TrafficFlow.model_validate({"from": f.to, "to": f.source, "pps": f.pps,
                                        "size": f.size, "ip": f.ip})
            for f in topo.traffic if f.to_vif and f.pps]
    topo.traffic = [*topo.traffic, *back]
    return topo


def timed_run(path: Path, plane: str, seconds: float, variant=None,
              flow_cache: bool = True) -> tuple[int, float, Fabric]:
    topo = load(path)
    if variant is not None:
        topo = variant(topo)
    fabric = Fabric(topo, seed=1, plane=plane, flow_cache=flow_cache)
    start = time.process_time()
    fabric.run_until(seconds)
    return fabric.offered, time.process_time() - start, fabric


def scenario(label: str, path: Path, seconds: float, ref_seconds: float, variant=None) -> None:
    ref_n, ref_s, ref = timed_run(path, "reference", ref_seconds, variant)
    cmp_n, cmp_s, cmp = timed_run(path, "compiled", ref_seconds, variant)
    same = ref.sample().to_json() == cmp.sample().to_json()
    long_n, long_s, long = timed_run(path, "compiled", seconds, variant)
    slow_n, slow_s, slow = timed_run(path, "compiled", seconds, variant, flow_cache=False)
    same_long = long.sample().to_json() == slow.sample().to_json()
    s = long.sample()
    copies = sum(b.flood_copies for b in s.bridge_domains.values())
    floods = sum(b.flood_frames for b in s.bridge_domains.values()) + sum(
        f.flooded_frames for f in s.fabric_interconnects.values())
    delivered = sum(v.rx_packets for v in s.vifs.values())
    ref_rate, cmp_rate, long_rate = ref_n / ref_s, cmp_n / cmp_s, long_n / long_s
    print(f"[{label}] {len(long.topology.traffic)} flows")
    print(f"  reference: {ref_n:,} frames in {ref_s:.3f} s ({ref_seconds:g} simulated s): "
          f"{ref_rate:,.0f} frames/s")
    print(f"  compiled:  {cmp_n:,} frames in {cmp_s:.4f} s (same window): "
          f"{cmp_rate:,.0f} frames/s; counters identical to the reference: {same}")
    print(f"  compiled:  {long_n:,} frames in {long_s:.3f} s ({seconds:g} simulated s): "
          f"{long_rate:,.0f} frames/s; {long._plane.slow_frames / max(long_n, 1):.4%} of "
          "frames took the slow path, the rest were replayed from the flow cache")
    print(f"  compiled without the flow cache (every frame on the slow path): "
          f"{slow_n / slow_s:,.0f} frames/s; counters identical to the cached run: "
          f"{same_long}")
    print(f"    floods {floods:,} ({floods / max(long_n, 1):.1%} of frames), VXLAN flood "
          f"copies {copies:,}, deliveries to VMs {delivered:,} "
          f"({delivered / max(long_n, 1):.1f} per frame)")
    print(f"  ratio compiled / reference: {long_rate / ref_rate:,.0f}x "
          f"(same window: {cmp_rate / ref_rate:,.0f}x; without the flow cache: "
          f"{slow_n / slow_s / ref_rate:,.0f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path,
                        default=ROOT / "resources" / "topologies" / "large.yaml")
    parser.add_argument("--seconds", type=float, default=300.0,
                        help="simulated seconds for the compiled plane (default 300)")
    parser.add_argument("--ref-seconds", type=float, default=2.0,
                        help="simulated seconds for both planes' common window (default 2)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    topo = load(args.topology)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    Fabric(topo, plane="compiled")
    compile_s = time.perf_counter() - started
    vems = sum(1 for h in topo.hosts if h.switching.value == "vem")
    vteps = sum(len(h.vteps) for h in topo.hosts)
    print(f"scenario: {args.topology.name}: {vems} VEMs, {vteps} VTEPs, {len(topo.vms)} VMs, "
          f"{len(topo.bridge_domains)} bridge domains, {len(topo.traffic)} flows")
    print(f"load {load_s:.2f} s, compile {compile_s:.2f} s")

    scenario("as generated", args.topology, args.seconds, args.ref_seconds)
    scenario("learned", args.topology, args.seconds, args.ref_seconds, learned)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
