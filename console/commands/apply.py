"""`fabric-console apply FILE --connect URI [--host NAME] [--dry-run]`.

Makes one connected host match what a topology file says about it: VMs that are missing
are defined (with the pool networks their vNICs need), vNICs that are missing, different
or gone are attached, updated or detached. VMs on the host that the file does not name
are left alone. Prints the plan first, then carries it out step by step, reporting each
step; a failure or a refusal stops there with an account of what was and was not applied.
Exit status: 0 applied (or nothing to do), 1 refused or failed part-way, 2 the file cannot
be read or the connection cannot be opened.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from console.backends.base import Backend
from console.commands import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, load_topology
from console.models import Topology, Vm, Vnic
from console.models.changes import Change, NicAttach, NicDetach, NicUpdate, VmDefine

PROG = "fabric-console apply"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "apply", help="push a topology file to a fabric (--connect URI)",
        description="Make a connected host match a topology file: define missing VMs and "
                    "pool networks, attach, update and detach vNICs. Prints the plan, then "
                    "each step's result.",
        epilog="Exit status: 0 applied, 1 refused or failed part-way (the output says what "
               "was and was not applied), 2 unreadable file or no connection. A libvirt "
               "host has 20 s to answer the connection, 30 s each read and 120 s each step "
               "(?fc_connect_timeout=S&fc_call_timeout=S&fc_change_timeout=S in the URI, "
               "or FABRIC_CONSOLE_CONNECT_TIMEOUT / _CALL_TIMEOUT / _CHANGE_TIMEOUT).")
    parser.add_argument("file", metavar="FILE", help="topology file (fabric-console/1 YAML)")
    parser.add_argument("--connect", metavar="URI", required=True,
                        help="the host: a libvirt URI (qemu:///system, test:///path/node.xml)")
    parser.add_argument("--host", metavar="NAME",
                        help="which host of the file this connection is (default: the one "
                             "named like the connected host, or the file's only host)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    parser.set_defaults(func=run)


# ----------------------------------------------------------------------------- the diff
def _differs(want: Vnic, have: Vnic) -> bool:
    if want.port_profile is not None and want.port_profile != have.port_profile:
        return True
    if want.pf is not None and want.pf != have.pf:
        return True
    return (want.attach, want.mac, want.mtu) != (have.attach, have.mac, have.mtu)


def pick_host(file: Topology, live_host: str, chosen: str | None) -> str:
    """The file's host that the connection stands for; ValueError saying why none."""
    names = [h.name for h in file.hosts]
    if chosen is not None:
        if chosen not in names:
            raise ValueError(f"the file has no host {chosen} (it has {', '.join(names)})")
        return chosen
    if live_host in names:
        return live_host
    with_vms = sorted({vm.host for vm in file.vms})
    if len(names) == 1:
        return names[0]
    if len(with_vms) == 1:
        return with_vms[0]
    raise ValueError(f"the connected host is {live_host} and the file has hosts "
                     f"{', '.join(names)}: choose one with --host")


def changes_for(file: Topology, live: Topology, file_host: str, live_host: str
                ) -> tuple[list[Change], list[str]]:
    """The changes that make the live host match the file's `file_host`, and the VMs of
    the host that the file does not name (left alone)."""
    live_vms = {vm.name: vm for vm in live.vms}
    out: list[Change] = []
    wanted: set[str] = set()
    for vm in file.vms:
        if vm.host != file_host:
            continue
        wanted.add(vm.name)
        vm = Vm.model_validate({**vm.model_dump(), "host": live_host})
        have = live_vms.get(vm.name)
        if have is None:
            out.append(VmDefine(vm))
            continue
        have_nics = {n.name: n for n in have.nics}
        for nic in vm.nics:
            old = have_nics.get(nic.name)
            if old is None:
                out.append(NicAttach(vm.name, nic))
            elif _differs(nic, old):
                out.append(NicUpdate(vm.name, nic))
        want_names = {n.name for n in vm.nics}
        out.extend(NicDetach(vm.name, n.name) for n in have.nics if n.name not in want_names)
    untouched = sorted(name for name, vm in live_vms.items()
                       if vm.host == live_host and name not in wanted)
    return out, untouched


# ----------------------------------------------------------------------------- running
async def _apply(args: argparse.Namespace, file: Topology, out: TextIO, err: TextIO) -> int:
    from console.backends import BackendError, open_backend

    try:
        backend = open_backend(args.connect)
        await backend.connect()
    except BackendError as exc:
        _report(exc, err)
        return EXIT_UNREADABLE
    try:
        return await _apply_connected(backend, args, file, out, err)
    except BackendError as exc:  # a host that stops answering mid-way, among others
        _report(exc, err)
        return EXIT_FINDINGS
    finally:
        await backend.close()  # bounded: a silent host does not hold the command


def _report(exc: Exception, err: TextIO) -> None:
    print(f"{PROG}: {exc}", file=err)
    hint = getattr(exc, "hint", "")  # a time-out: how to give the host longer
    if hint:
        print(f"{PROG}: {hint}", file=err)


async def _apply_connected(backend: Backend, args: argparse.Namespace, file: Topology,
                           out: TextIO, err: TextIO) -> int:
    backend.adopt(file)  # port profile definitions live in the file, not in libvirt
    live = await backend.inventory()
    live_host = live.hosts[0].name if live.hosts else args.connect
    try:
        file_host = pick_host(file, live_host, args.host)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=err)
        return EXIT_UNREADABLE
    changes, untouched = changes_for(file, live, file_host, live_host)
    print(f"Plan for {live_host} ({args.connect}) from host {file_host} of {args.file}:",
          file=out)
    if not changes:
        print("  nothing to change", file=out)
    seen: set[str] = set()
    for i, change in enumerate(changes, 1):
        print(f"  {i}. {change.describe()}", file=out)
        try:
            plan = await backend.plan(change)
        except Exception as exc:  # noqa: BLE001 - a plan that cannot be made is shown
            print(f"       (cannot plan: {exc})", file=out)
            continue
        if plan is not None:
            steps, refusals, _after = plan
            for finding in refusals:
                print(f"       will be refused: [{finding.rule}] {finding.message}", file=out)
            for step in steps:
                if step.description not in seen:
                    seen.add(step.description)
                    print(f"       - {step.description}", file=out)
    for name in untouched:
        print(f"  left alone: VM {name} (not in the file)", file=out)
    if args.dry_run or not changes:
        return EXIT_OK
    print("Applying:", file=out)
    applied: list[str] = []
    for i, change in enumerate(changes, 1):
        result = await backend.apply(change)
        mark = "ok" if result.applied else ("REFUSED" if result.findings else "FAILED")
        print(f"  {i}. {change.describe()}: {mark}: {result.message}", file=out)
        for step in result.steps:
            print(f"       {step}", file=out)
        if not result.applied:
            left = [c.describe() for c in changes[i:]]
            print(f"Stopped. Applied: {', '.join(applied) or 'nothing'}.", file=out)
            print(f"Not applied: {', '.join([change.describe(), *left])}.", file=out)
            return EXIT_FINDINGS
        applied.append(change.describe())
    print(f"Done: {len(applied)} change(s) applied.", file=out)
    return EXIT_OK


def run(args: argparse.Namespace, stdout: TextIO | None = None,
        stderr: TextIO | None = None) -> int:
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    file = load_topology(args.file, err)
    if file is None:
        return EXIT_UNREADABLE
    return asyncio.run(_apply(args, file, out, err))
