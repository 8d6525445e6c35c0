"""Compile time and counter-sample time of the emulated fabric, loading the topology once.

    python3 benchmarks/compile.py [--vems 1000] [--vms 10000] [--repeat 5] [--profile]

benchmarks/scale.py measures everything at 100,000 VMs but loads the file each run (tens of
seconds); this one generates the same kind of topology (scripts/gen_topology.py), loads it
once, then times, each --repeat times: compile_topology, the compiled plane's construction,
and Fabric.sample() (and console.engine.sampling.counter_sample(), the columns sample) after
one simulated second and settle_heap() (as the window samples).
Medians in seconds; --profile prints cProfile's top functions of one compile and one sample.
Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from console.backends.topofiles import settle_heap  # noqa: E402
from console.engine.facade import Fabric  # noqa: E402
from console.engine.sampling import counter_sample  # noqa: E402
from console.engine.tables import compile_topology  # noqa: E402
from console.models.topofile import load  # noqa: E402


def median_time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], max(times)


def profile(label: str, fn: Callable[[], object]) -> None:
    prof = cProfile.Profile()
    prof.runcall(fn)
    print(f"--- profile: {label}")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def columns_sample(fabric: Fabric) -> object:
    return counter_sample(fabric._tables, fabric._plane, fabric._base_arrays(),
                          fabric._base.igmp_counts, fabric._tick, fabric.now)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vems", type=int, default=1000)
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--segments", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)

    import gen_topology

    data = gen_topology.generate(args.vems, args.vms, args.segments, 4, 8, args.vms // 100, 1,
                                 "scale")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(gen_topology.dumps(data))
        path = Path(fh.name)
    try:
        start = time.perf_counter()
        topo = load(path)
        print(f"load ({args.vems:,} VEMs, {args.vms:,} VMs): "
              f"{time.perf_counter() - start:.2f} s")
    finally:
        path.unlink()
    settle_heap()

    med, worst = median_time(lambda: compile_topology(topo, 0), args.repeat)
    print(f"compile_topology:      median {med:.3f} s, max {worst:.3f} s")
    med, worst = median_time(lambda: Fabric(topo, plane="compiled"), args.repeat)
    print(f"Fabric(...) (compile + plane): median {med:.3f} s, max {worst:.3f} s")
    fabric = Fabric(topo, plane="compiled")
    fabric.run_until(1.0)
    settle_heap()
    med, worst = median_time(fabric.sample, max(args.repeat, 6))
    print(f"Fabric.sample():       median {med:.4f} s, max {worst:.4f} s "
          f"({len(fabric._tables.vif_ids):,} VIFs)")
    # the columns sample (console.engine.sampling), whatever Fabric.sample() uses now
    med, worst = median_time(lambda: columns_sample(fabric), max(args.repeat, 6))
    print(f"counter_sample():      median {med:.4f} s, max {worst:.4f} s")
    if args.profile:
        profile("compile_topology", lambda: compile_topology(topo, 0))
        profile("Fabric.sample", fabric.sample)
        profile("counter_sample", lambda: columns_sample(fabric))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
