"""Helpers of the hardening tests (issue #17): the real CLI as a child process, so what a
user sees (exit status, standard output and error) is what is tested, and a small valid
topology the cases change one thing of."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = Path(sys.executable).with_name("fabric-console")

# A small valid topology the cases below change one thing of.
BASE = """\
format: fabric-console/1
name: hardening
ucs: {release: "2.2"}
clusters: [{name: default}]
bridge_domains: [{name: bd1, segment_id: 5000, mode: unicast-only}]
port_profiles:
  - {name: web, clients: [default], vlans: [100], description: "front end"}
tenants: [{name: acme}]
hosts:
  - {name: kvm1, switching: vem, vteps: [{name: v0, ip: 10.0.0.1/24}]}
vms:
  - {name: web1, host: kvm1, nics: [{name: eth0, mac: "52:54:00:00:00:01", port_profile: web}]}
"""


class Run:
    """A finished CLI run."""

    def __init__(self, proc: subprocess.CompletedProcess[str]):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out[:400]!r}, err={self.err[:400]!r})"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Run:
    """`fabric-console ARGS...` as a child process; asserts it printed no traceback."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("FABRIC_CONSOLE_DEBUG", None)
    proc = subprocess.run([str(CLI), *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)
    run = Run(proc)
    assert "Traceback" not in run.err and "unexpected error" not in run.err, run
    return run
