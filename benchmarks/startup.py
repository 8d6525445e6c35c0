#!/usr/bin/env python3
"""Startup on a real X server: how soon the window maps and a graph moves, beside
virt-manager's window in the same run.

    python3 benchmarks/startup.py [--runs 5] [--timeout 30] [--before DIR]
                                  [--no-virt-manager] [--json]

Starts Xvfb on a free display (-displayfd) and openbox on it, then --runs times launches
the GUI as `make run` does (.venv/bin/fabric-console: the emulated demo fabric,
emulated:///demo), each time with a fresh HOME and XDG directories, and measures from the
spawn:

- window mapped: `xdotool search --onlyvisible --name '^Fabric Console'` finds the window
  (polled every 20 ms; the time is taken when the successful search returns);
- first moving graph: the app's own startup log (FABRIC_CONSOLE_STARTUP_LOG, written by
  console/app.py: "mapped S T" when the window is first exposed, "moving S T" when a
  graph has drawn two rates, T on the system-wide monotonic clock) gives the moment;
- also from that log: "exposed" (the window's first Expose event, seen by the app) and
  "entry" (interpreter start-up until console/cli.py's first line runs).

Bytecode caches are allowed (PYTHONDONTWRITEBYTECODE is dropped): the uncounted first
launch writes the checkout's __pycache__, as a user's first start does, so the counted
starts load .pyc files as every later start of an installed console, and virt-manager's
Debian package, do. Without them the console compiles its ~90 modules at every start
(about 0.2 s here).

Then the same for virt-manager (`virt-manager --connect test:///default --no-fork`,
window "Virtual Machine Manager"; it draws no graph at start-up) when it is installed
(Debian: apt-get install --no-install-recommends virt-manager). Each program gets one
launch first that is not counted (cold disk caches), then the runs are interleaved (ours,
--before's, virt-manager's) so a machine's drift weighs on all alike.

--before DIR launches another checkout too (the tree before a change: `git archive COMMIT
| tar -x -C DIR`, plus console/engine/*.so copied in), with this venv's Python and
PYTHONPATH=DIR, running what the console script runs (console.cli.main), and prints its
figures beside this tree's. A tree without the startup log has no "moving" figure.

Targets (issue 16): window mapped no slower than virt-manager's; first moving graph
<= 1.5 s. Prints figures (median, min-max); asserts nothing. Xvfb, openbox and every
launched process are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
TARGET_MOVING_S = 1.5
POLL_S = 0.02
OURS_TITLE = "^Fabric Console"
VIRT_MANAGER_TITLE = "^Virtual Machine Manager"
FIGURES = ("mapped", "moving", "exposed", "entry")


@contextmanager
def x_server(tmp: Path) -> Iterator[dict[str, str]]:
    """Xvfb on a free display with openbox managing it; yields the environment to use."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1920x1080x24",
         "-nolisten", "tcp", "-noreset"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    os.close(write_fd)
    wm: subprocess.Popen[bytes] | None = None
    try:
        number = b""
        deadline = time.monotonic() + 15
        while not number.endswith(b"\n"):
            ready, _, _ = select.select([read_fd], [], [], max(0.0, deadline - time.monotonic()))
            chunk = os.read(read_fd, 16) if ready else b""
            if not chunk:
                raise SystemExit("Xvfb did not start (no display number within 15 s)")
            number += chunk
        env = {"DISPLAY": f":{int(number)}"}
        wm_home = tmp / "openbox-home"
        wm_home.mkdir()
        started = tmp / "openbox-started"
        wm = subprocess.Popen(
            ["openbox", "--sm-disable", "--startup", f"touch {started}"],
            env={**os.environ, **env, "HOME": str(wm_home),
                 "XDG_CONFIG_HOME": str(wm_home / ".config")},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 15
        while not started.exists():
            if wm.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("openbox did not start")
            time.sleep(0.02)
        yield env
    finally:
        os.close(read_fd)
        for proc in (wm, xvfb):
            if proc is not None:
                stop(proc)


def stop(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM (the console then closes its window and connections in order), then
    SIGKILL to the whole process group, whatever it left behind."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def fresh_env(x_env: dict[str, str], home: Path) -> dict[str, str]:
    """A first start: a new HOME and XDG directories, the X display, no offscreen Qt."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "FABRIC_CONSOLE_STARTUP_LOG",
                        "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, parents=True)
    env.update(x_env, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_STATE_HOME=str(home / ".local/state"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_RUNTIME_DIR=str(runtime))
    return env


def window_visible(title: str, env: dict[str, str]) -> bool:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", title], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return out.returncode == 0 and bool(out.stdout.strip())


def read_log(path: Path) -> dict[str, tuple[float, float]]:
    """The startup log's lines: what -> (seconds since the entry module, monotonic)."""
    found: dict[str, tuple[float, float]] = {}
    try:
        text = path.read_text()
    except FileNotFoundError:
        return found
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] not in found:
            found[parts[0]] = (float(parts[1]), float(parts[2]))
    return found


def launch(argv: list[str], title: str, env: dict[str, str], home: Path, timeout: float,
           with_log: bool) -> dict[str, float]:
    """One start from spawn: window mapped (xdotool), and from the startup log the first
    moving graph, the first Expose and the interpreter's start-up."""
    log = home / "startup.log"
    if with_log:
        env = {**env, "FABRIC_CONSOLE_STARTUP_LOG": str(log)}
    errors = open(home / "stderr.txt", "wb")  # noqa: SIM115 (closed below)
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=home, stdin=subprocess.DEVNULL,
                            stdout=errors, stderr=subprocess.STDOUT, start_new_session=True)
    result: dict[str, float] = {}
    try:
        while time.monotonic() - t0 < timeout:
            if "mapped" not in result and window_visible(title, env):
                result["mapped"] = time.monotonic() - t0
            logged = read_log(log) if with_log else {}
            if "moving" in logged:
                result["moving"] = logged["moving"][1] - t0
            if "mapped" in result and (not with_log or "moving" in result):
                break
            if proc.poll() is not None:
                break
            time.sleep(POLL_S)
        logged = read_log(log) if with_log else {}
        if "mapped" in logged:
            seconds, at = logged["mapped"]
            result["exposed"] = at - t0
            result["entry"] = at - seconds - t0
    finally:
        exited = proc.poll()
        stop(proc)
        errors.close()
    if "mapped" not in result:
        tail = (home / "stderr.txt").read_text(errors="replace")[-2000:]
        why = f"exited with {exited}" if exited is not None else f"no window in {timeout:g} s"
        print(f"  {argv[0]}: {why}\n{tail}", file=sys.stderr)
    return result


def summary(runs: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key in FIGURES:
        values = [r[key] for r in runs if key in r]
        if values:
            out[key] = {"median": statistics.median(values), "min": min(values),
                        "max": max(values), "n": len(values)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds one start may take before it counts as failed")
    parser.add_argument("--before", metavar="DIR",
                        help="another checkout launched too, its figures printed beside")
    parser.add_argument("--no-virt-manager", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON line of figures")
    args = parser.parse_args()
    for tool in ("Xvfb", "openbox", "xdotool"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install xvfb openbox xdotool)")

    console_script = HERE / ".venv/bin/fabric-console"
    python = HERE / ".venv/bin/python"
    if not console_script.exists():
        raise SystemExit(f"{console_script} is missing: run `make run` or `make test` once")
    programs: dict[str, tuple[list[str], str, dict[str, str], bool]] = {
        "ours": ([str(console_script)], OURS_TITLE, {}, True)}
    if args.before:
        before = str(Path(args.before).resolve())
        programs["before"] = (
            [str(python), "-c", "import sys; from console.cli import main; sys.exit(main())"],
            OURS_TITLE, {"PYTHONPATH": before}, True)
    virt_manager = None if args.no_virt_manager else shutil.which("virt-manager")
    if virt_manager:
        programs["virt-manager"] = (
            [virt_manager, "--connect", "test:///default", "--no-fork"],
            VIRT_MANAGER_TITLE, {}, False)

    results: dict[str, list[dict[str, float]]] = {name: [] for name in programs}
    tmp = Path(tempfile.mkdtemp(prefix="startup-bench-"))
    try:
        with x_server(tmp) as x_env:
            for i in range(args.runs + 1):  # launch 0 warms the caches and is not counted
                for name, (argv, title, extra, with_log) in programs.items():
                    home = tmp / f"{name}-{i}"
                    env = {**fresh_env(x_env, home), **extra}
                    r = launch(argv, title, env, home, args.timeout, with_log)
                    if i > 0:
                        results[name].append(r)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    figures = {name: summary(runs) for name, runs in results.items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "figures": figures}))
        return 0

    def cell(name: str, key: str) -> str:
        f = figures.get(name, {}).get(key)
        if f is None:
            return "n/a"
        return f"{f['median']:.2f} s ({f['min']:.2f}-{f['max']:.2f})"

    print(f"Start-up on Xvfb + openbox, from spawn: median (min-max) of {args.runs} runs, "
          f"fresh HOME each, after one uncounted launch each")
    names = list(programs)
    print(f"  {'':28}" + "".join(f"{n:>26}" for n in names))
    labels = {"mapped": "window mapped (xdotool)", "moving": "first moving graph",
              "exposed": "first Expose (app's log)", "entry": "interpreter to cli.py"}
    for key in FIGURES:
        print(f"  {labels[key]:28}" + "".join(f"{cell(n, key):>26}" for n in names))
    ours = figures["ours"]
    if "mapped" in ours and "mapped" in figures.get("virt-manager", {}):
        ratio = ours["mapped"]["median"] / figures["virt-manager"]["mapped"]["median"]
        met = "met" if ratio <= 1.0 else "NOT met"
        print(f"  window mapped, ours / virt-manager: {ratio:.2f}  "
              f"target: no slower than virt-manager: {met}")
    elif not virt_manager and not args.no_virt_manager:
        print("  virt-manager is not installed: no comparison "
              "(apt-get install --no-install-recommends virt-manager)")
    if "moving" in ours:
        met = "met" if ours["moving"]["median"] <= TARGET_MOVING_S else "NOT met"
        print(f"  first moving graph: target <= {TARGET_MOVING_S:g} s: {met}")
    if args.before:
        for key in ("mapped", "moving"):
            b = figures.get("before", {}).get(key)
            if b and key in ours:
                print(f"  {labels[key]}, ours / before: "
                      f"{ours[key]['median'] / b['median']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
