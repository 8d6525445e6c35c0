"""Time and peak memory of `fabric-console validate` on small files with huge costs (#17).

    .venv/bin/python benchmarks/hardening.py [--only NAME,...] [--timeout S] [--keep DIR]
    .venv/bin/python benchmarks/hardening.py --fuzz 10000

Writes each case to a temporary folder, runs `fabric-console validate FILE` as a child
process under /usr/bin/time -v (wall time, peak resident set), and prints one line per
case: file size, exit status, seconds, peak MB, and the lines and bytes the command wrote
on standard output, plus the first line of its standard error. The cases are the ones
issue #17 reports (YAML alias bombs, a 40 MB list of `- 0`, a million invalid VLANs) and,
for scale, a legitimate 100,000-VM file (scripts/gen_topology.py) that must still load.
--fuzz N runs tests/hardening/test_hardening_fuzz.py with N inputs instead and prints its
time, its peak memory and the slowest single input. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "fabric-console"

HEAD = """format: fabric-console/1
name: bomb
clusters: [{name: default}]
port_profiles: [{name: web, clients: [default], vlans: [100]}]
hosts: [{name: kvm1, switching: vem, vteps: [{name: v0, ip: 10.0.0.1/24}]}]
"""


def alias_bomb(vms: int, nics: int) -> str:
    """`vms` VMs sharing one list of `nics` vNICs, all through aliases (a few KB)."""
    nic = '&n {name: eth0, mac: "52:54:00:00:00:01", port_profile: web}'
    nic_list = "[" + nic + ", " + ", ".join(["*n"] * (nics - 1)) + "]"
    vm = "&v {name: vm1, host: kvm1, nics: &l " + nic_list + "}"
    return HEAD + "vms: [" + vm + ", " + ", ".join(["*v"] * (vms - 1)) + "]\n"


def zeros(lines: int) -> str:
    """A top-level list of `- 0` lines: 4 bytes per value, no alias."""
    return "- 0\n" * lines


def bad_vlans(count: int) -> str:
    """A port profile with `count` VLAN ids of 0 (each invalid): 2 bytes per value."""
    return (HEAD.replace("vlans: [100]", "vlans: [" + ",".join(["0"] * count) + "]"))


def bad_vms(count: int) -> str:
    """`count` VMs written as `0` (each an invalid VM): one error per item."""
    return HEAD + "vms: [" + ",".join(["0"] * count) + "]\n"


def scale_file(vms: int) -> str:
    sys.path.insert(0, str(ROOT / "scripts"))
    import gen_topology

    data = gen_topology.generate(vems=vms // 10, vms=vms, segments=4000, vteps_per_vem=4,
                                 vmfex_hosts=4, flows=vms // 10, seed=1)
    return gen_topology.dumps(data)


CASES: dict[str, Callable[[], str]] = {
    "alias-bomb-7k": lambda: alias_bomb(900, 900),
    "alias-bomb-5k": lambda: alias_bomb(600, 600),
    "zeros-40mb": lambda: zeros(10_000_000),
    "bad-vlans-2mb": lambda: bad_vlans(1_000_000),
    "bad-vms-2mb": lambda: bad_vms(1_000_000),
    "long-lines-40mb": lambda: ("- " + "y" * 2000 + "\n") * 20_000,
    "brackets-40mb": lambda: "[" + "[]," * 13_000_000 + "]\n",
    "unknown-keys-12mb": lambda: HEAD.replace(
        "{name: web,", "{" + ", ".join(f"k{i}: 1" for i in range(1_000_000)) + ", name: web,"),
    "scale-100k-vms": lambda: scale_file(100_000),
}


def command(source: Path | None) -> list[str]:
    """The CLI, or the CLI of another copy of the `console` package (to measure a version
    before a change against the one after it, in one run)."""
    if source is None:
        return [str(CLI)]
    code = (f"import sys; sys.path.insert(0, {str(source)!r}); from console.cli import main; "
            "sys.exit(main())")
    return [str(ROOT / ".venv" / "bin" / "python"), "-c", code]


def measure(path: Path, timeout: float, source: Path | None = None) -> dict[str, object]:
    out_path = path.with_suffix(".out")
    with open(out_path, "wb") as out:
        try:
            proc = subprocess.run(["/usr/bin/time", "-v", *command(source), "validate",
                                   str(path)],
                                  stdout=out, stderr=subprocess.PIPE, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": f"killed after {timeout:g} s"}
    err = proc.stderr.decode("utf-8", "replace")
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    lines = 0
    with open(out_path, "rb") as fh:
        for _ in fh:
            lines += 1
    own = [line for line in err.splitlines()
           if line and not line.startswith(("\t", "Command exited"))]
    return {
        "status": proc.returncode,
        "seconds": seconds,
        "peak_mb": int(rss.group(1)) / 1024 if rss else float("nan"),
        "out_lines": lines,
        "out_bytes": out_path.stat().st_size,
        "stderr": own[0][:160] if own else "",
    }


def fuzz(examples: int) -> None:
    """The hardening fuzz test with `examples` inputs: total time, peak memory (the whole
    pytest process), and the slowest input (the test records it)."""
    report = Path(tempfile.mkdtemp(prefix="hardening-fuzz-")) / "slowest.json"
    env = {**os.environ, "FABRIC_CONSOLE_FUZZ_EXAMPLES": str(examples),
           "FABRIC_CONSOLE_FUZZ_REPORT": str(report)}
    proc = subprocess.run(["/usr/bin/time", "-v", str(ROOT / ".venv" / "bin" / "pytest"), "-q",
                           "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "hardening" / "test_hardening_fuzz.py")],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    seconds = 0.0
    for part in (wall.group(1).split(":") if wall else []):
        seconds = seconds * 60 + float(part)
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    peak_mb = int(rss.group(1)) / 1024 if rss else float("nan")
    print(f"fuzz: {examples:,} inputs  {seconds:.1f} s  {peak_mb:.0f} MB peak (the pytest "
          f"process: a bound for every input)  pytest: {last}")
    if report.exists():
        slowest = json.loads(report.read_text())
        print(f"fuzz: slowest input {slowest['seconds']:.3f} s: {slowest['input'][:120]!r}")
    shutil.rmtree(report.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated case names: " + ", ".join(CASES))
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="kill a case after this many seconds (default 300)")
    parser.add_argument("--keep", metavar="DIR", help="write the files here and keep them")
    parser.add_argument("--source", metavar="DIR", type=Path,
                        help="run the `console` package found in DIR (e.g. a copy of an "
                             "older version) instead of this checkout's")
    parser.add_argument("--fuzz", metavar="N", type=int,
                        help="run the hardening fuzz test with N inputs instead")
    args = parser.parse_args(argv)
    if args.fuzz:
        fuzz(args.fuzz)
        return 0
    names = args.only.split(",") if args.only else list(CASES)
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="hardening-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        for name in names:
            path = folder / f"{name}.yaml"
            if not path.exists():
                path.write_text(CASES[name]())
            size = path.stat().st_size
            r = measure(path, args.timeout, args.source)
            if "seconds" not in r:
                print(f"{name:<16} {size / 1024:>9.1f} KB  {r['status']}", flush=True)
                continue
            print(f"{name:<16} {size / 1024:>9.1f} KB  exit {r['status']}  "
                  f"{r['seconds']:>6.2f} s  {r['peak_mb']:>7.0f} MB peak  "
                  f"stdout {r['out_lines']:,} lines / {r['out_bytes'] / 2**20:.1f} MB",
                  flush=True)
            print(f"{'':<16} stderr: {r['stderr']}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
