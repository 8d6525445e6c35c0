"""Load time and memory of the emulated fabric at scale.

    python3 benchmarks/scale.py [--vems 10000] [--vms 100000] [--macs 1000000]
                                [--compare REV]

Generates a topology with scripts/gen_topology.py (10,000 VEMs with 4 VTEPs each,
100,000 VMs with one vNIC each, 4,000 bridge domains), writes it to a temporary file, then
measures: reading the file, compiling it into engine tables, one simulated second of its
traffic, and filling the VEM L2 tables with --macs learned (remote) MAC entries. Memory is
the process's resident set (from /proc), and the L2 table's own bytes per MAC entry.
--compare REV also reads the same file with the models of git revision REV (e.g. the
commit before a change), each reading in a fresh process, so the before and after figures
come from one run on one machine. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import io
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from console.backends.topofiles import settle_heap  # noqa: E402
from console.engine.facade import Fabric  # noqa: E402
from console.models.topofile import load  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


_LOAD_ONE = """
import sys, time
sys.path.insert(0, sys.argv[1])
def rss():
    import os
    with open('/proc/self/statm') as fh:
        return int(fh.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20
from console.models.topofile import load
base = rss()
start, cpu = time.perf_counter(), time.process_time()
topo = load(sys.argv[2])
print(time.perf_counter() - start, time.process_time() - cpu, rss() - base, len(topo.vms))
"""


def load_in_process(root: Path, path: Path) -> tuple[float, float, float]:
    """(seconds, CPU seconds, resident MB added) of load(path) with the console package
    under `root`, in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _LOAD_ONE, str(root), str(path)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def compare(rev: str, path: Path) -> None:
    """The load at `rev` beside the load of the working tree, one fresh process each."""
    with tempfile.TemporaryDirectory() as old:
        tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "console"],
                             check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(old, filter="data")
        # The compiled engine is not in git, and loading does not need it.
        before = load_in_process(Path(old), path)
    after = load_in_process(ROOT, path)
    for label, (wall, cpu, mb) in ((f"at {rev}", before), ("now", after)):
        print(f"load the file, {label:>12}: {wall:6.2f} s ({cpu:.2f} s CPU), +{mb:,.0f} MB "
              "resident (fresh process)")
    print(f"                     ratio: {before[0] / after[0]:.1f}x faster, "
          f"{before[2] / after[2]:.1f}x less memory")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vems", type=int, default=10_000)
    parser.add_argument("--vms", type=int, default=100_000)
    parser.add_argument("--segments", type=int, default=4000)
    parser.add_argument("--macs", type=int, default=1_000_000)
    parser.add_argument("--compare", metavar="REV",
                        help="also time the load with the models of git revision REV")
    parser.add_argument("--load-only", action="store_true",
                        help="stop after the load figures")
    args = parser.parse_args(argv)

    import gen_topology

    start = time.perf_counter()
    data = gen_topology.generate(args.vems, args.vms, args.segments, 4, 8, args.vms // 100, 1,
                                 "scale")
    text = gen_topology.dumps(data)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as fh:
        fh.write(text)
        path = Path(fh.name)
    print(f"generated {len(text) / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s "
          f"({args.vems:,} VEMs, {args.vms:,} VMs, {args.segments:,} bridge domains)")
    del data, text  # the generator's two million objects are no part of a load's heap
    gc.collect()
    base = rss_mb()
    try:
        if args.compare:
            compare(args.compare, path)
        start, cpu = time.perf_counter(), time.process_time()
        topo = load(path)
        load_s, load_cpu = time.perf_counter() - start, time.process_time() - cpu
        after_load = rss_mb()
        if args.load_only:
            print(f"load the file:        {load_s:6.2f} s ({load_cpu:.2f} s CPU), "
                  f"+{after_load - base:,.0f} MB resident")
            return 0
        start, cpu = time.perf_counter(), time.process_time()
        fabric = Fabric(topo, plane="compiled")
        compile_s, compile_cpu = time.perf_counter() - start, time.process_time() - cpu
        after_compile = rss_mb()
        t = fabric._tables
        print(f"load the file:        {load_s:6.2f} s ({load_cpu:.2f} s CPU), "
              f"+{after_load - base:,.0f} MB resident")
        print(f"compile the fabric:   {compile_s:6.2f} s ({compile_cpu:.2f} s CPU), "
              f"+{after_compile - after_load:,.0f} MB "
              f"({len(t.vif_ids):,} VIFs, {t.nvem:,} VEMs, {len(t.vtep_ips):,} VTEPs, "
              f"{len(t.grp_sw):,} groups)")
        start = time.perf_counter()
        fabric.run_until(1.0)
        print(f"1 simulated second:   {time.perf_counter() - start:6.2f} s "
              f"({fabric.offered:,} frames)")

        # learned MACs: remote entries spread over the VEMs and the bridge domains
        plane = fabric._plane
        rng = np.random.default_rng(1)
        sw = rng.integers(0, t.nvem, args.macs)
        seg = rng.integers(0, len(t.bd_names), args.macs)  # bridge domains come first
        macs = (np.uint64(0x02AA00000000) + np.arange(args.macs, dtype=np.uint64))
        before = rss_mb()
        table_before = plane.table_bytes()
        start = time.perf_counter()
        plane.learn_bulk(sw, seg, macs, fabric._tick)
        fill_s = time.perf_counter() - start
        after = rss_mb()
        entries = len(plane.l2_snapshot()["l2_mac"])
        table = plane.table_bytes()
        print(f"learn {args.macs:,} MACs:  {fill_s:6.2f} s ({args.macs / fill_s:,.0f} "
              f"entries/s), {entries:,} entries in the L2 table")
        print(f"L2 table: {table / 2**20:,.1f} MiB = {table / entries:.1f} bytes per MAC entry "
              f"(24-byte slots; was {table_before / 2**20:.1f} MiB); resident +"
              f"{after - before:,.0f} MB")
        # Counter samples, as the window takes them every second: before and after
        # settle_heap(), which the file-backed backends call once a topology is loaded
        # (full garbage collections walking the model's objects were the spikes).
        def samples(label: str) -> float:
            times = []
            for _ in range(6):
                start = time.perf_counter()
                fabric.sample()
                times.append(time.perf_counter() - start)
            median = sorted(times)[len(times) // 2]
            print(f"{label} median {median:.3f} s, max {max(times):.3f} s")
            return median

        sample_s = samples("6 counter samples, collector as is:     ")
        start = time.perf_counter()
        settle_heap(path)  # as the emulated backend calls it: the load froze the file's
        print(f"settle_heap(file), as at connect:      {time.perf_counter() - start:6.2f} s")
        start = time.perf_counter()
        settle_heap()  # what it costs without (a full walk of every object)
        print(f"settle_heap() with a full collection:  {time.perf_counter() - start:6.2f} s")
        sample_s = max(sample_s, samples("6 counter samples after settle_heap:    "))
        s = fabric.sample()
        learned = sum(b.learned_macs for b in s.bridge_domains.values())
        print(f"learned_macs total in a sample: {learned:,}")
        if args.vms == 100_000 and args.vems == 10_000:
            print("targets (issue 16), this run:")
            for what, value, target in (
                    ("load the file, s", load_s, 3.0),
                    ("load the file, MB resident", after_load - base, 250.0),
                    ("compile the fabric, s", compile_s, 1.0),
                    ("counter sample, median s", sample_s, 0.05)):
                verdict = "met" if value <= target else "NOT met"
                print(f"  {what:28} {value:8.3f}  <= {target:g}: {verdict}")
        print(f"resident total: {rss_mb():,.0f} MB")
    finally:
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
