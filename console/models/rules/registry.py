"""The rule registry and the per-run context every check reads.

A rule is a generator function registered with `@rule(...)`: it yields `(path, message)`
pairs and the registry turns them into Findings carrying the rule's id and severity. So a
rule's id, severity, one-line summary and source sentence live in one place, next to its
code, and `RULES` lists them all (`fabric-console validate --list-rules`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from ..derived import Derived
from ..findings import Finding, Severity
from ..inventory import Host, Switching, Vm, Vnic
from ..topology import Topology

# Where a rule comes from, as a user can look it up: the public Cisco guide and its section,
# or, for what this project decides itself, its own documentation in this repository.
VMFEX_DOC = "Cisco UCS Manager VM-FEX for KVM CLI Configuration Guide"
N1KV_DOC = "Cisco Nexus 1000V for KVM VXLAN Configuration Guide"
README_DOC = "Fabric Console README.md"
SCHEMA_DOC = "the topology file schema (console/models/schema/topology.schema.json)"

ERROR = Severity.ERROR
WARNING = Severity.WARNING

Yield = Iterator[tuple[str, str]]
CheckFn = Callable[["Context"], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class Rule:
    """One domain rule: a stable id, its severity, what it says, and where it comes from."""

    id: str
    severity: Severity
    summary: str
    source: str  # document and the sentence the rule traces back to
    check: CheckFn | None = None  # None: a rule only live changes can break (see guards)

    @property
    def live_only(self) -> bool:
        return self.check is None

    def run(self, ctx: Context) -> list[Finding]:
        if self.check is None:
            return []
        return [Finding(path, self.id, self.severity, message)
                for path, message in self.check(ctx)]

    def finding(self, path: str, message: str) -> Finding:
        return Finding(path, self.id, self.severity, message)


RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, summary: str, source: str) -> Callable[[CheckFn],
                                                                                  CheckFn]:
    """Register the decorated check as rule `rule_id`."""

    def register(fn: CheckFn) -> CheckFn:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} registered twice")
        RULES[rule_id] = Rule(rule_id, severity, summary, source, fn)
        return fn

    return register


def live_rule(rule_id: str, severity: Severity, summary: str, source: str) -> Rule:
    """Register a rule that only a live change can break (checked by guards.guard)."""
    if rule_id in RULES:
        raise ValueError(f"rule {rule_id} registered twice")
    RULES[rule_id] = Rule(rule_id, severity, summary, source, None)
    return RULES[rule_id]


@dataclass(frozen=True)
class NicAt:
    """A vNIC with where it sits in the file."""

    vm_pos: int
    vm: Vm
    nic_pos: int
    nic: Vnic
    host: Host | None  # None when vm.host dangles

    @property
    def path(self) -> str:
        return f"vms[{self.vm_pos}].nics[{self.nic_pos}]"

    @property
    def vif(self) -> str:
        return f"{self.vm.name}/{self.nic.name}"

    @property
    def label(self) -> str:
        return f"vNIC {self.nic.name} of VM {self.vm.name}"


class Context:
    """One validation run: the topology, its index, its derived facts, and lookups built
    once (so every rule is a linear pass, never a scan per object)."""

    def __init__(self, topo: Topology):
        self.topo = topo
        self.index = topo.index()
        self.derived = Derived(topo, self.index)

    @cached_property
    def host_pos(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, host in enumerate(self.topo.hosts):
            out.setdefault(host.name, i)
        return out

    @cached_property
    def nics(self) -> list[NicAt]:
        hosts = self.index.hosts
        return [NicAt(i, vm, j, nic, hosts.get(vm.host))
                for i, vm in enumerate(self.topo.vms) for j, nic in enumerate(vm.nics)]

    @cached_property
    def nics_by_host(self) -> dict[str, list[NicAt]]:
        out: dict[str, list[NicAt]] = {}
        for at in self.nics:
            out.setdefault(at.vm.host, []).append(at)
        return out

    @cached_property
    def vif_path(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for at in self.nics:
            out.setdefault(at.vif, at.path)
        return out

    def vmfex_hosts(self) -> Iterator[tuple[int, Host]]:
        for i, host in enumerate(self.topo.hosts):
            if host.switching is Switching.VMFEX:
                yield i, host

    def vem_hosts(self) -> Iterator[tuple[int, Host]]:
        for i, host in enumerate(self.topo.hosts):
            if host.switching is Switching.VEM:
                yield i, host

    def plain_hosts(self) -> Iterator[tuple[int, Host]]:
        for i, host in enumerate(self.topo.hosts):
            if host.switching is Switching.PLAIN:
                yield i, host

    @cached_property
    def fabric_nics(self) -> list[NicAt]:
        """The vNICs the fabric switches: those on VM-FEX and VEM hosts (and on hosts the
        file does not define, which ref.host reports). The VM-FEX and VEM rules read these:
        a plain host's vNICs are libvirt's own business (Switching.PLAIN)."""
        return [at for at in self.nics if at.host is None or at.host.switching.on_fabric]

    def is_vxlan(self, nic: Vnic) -> bool:
        """Does this vNIC use a VXLAN port profile (one with a bridge domain)?"""
        profile = self.derived.profile_of(nic)
        return profile is not None and profile.bridge_domain is not None


# Top-level keys in file order, so findings list in the order the file reads.
_SECTIONS = {name: i for i, name in enumerate(Topology.model_fields)}
_TOKEN = re.compile(r"\[([0-9]+)\]|([^.\[\]]+)")


def path_key(path: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key: file section order, then list indices numerically (vms[2] < vms[10])."""
    out: list[tuple[int, int | str]] = []
    for index, name in _TOKEN.findall(path):
        if index:
            out.append((1, int(index)))
        elif not out:
            out.append((0, _SECTIONS.get(name, len(_SECTIONS))))
            out.append((2, name))
        else:
            out.append((2, name))
    return tuple(out)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (path_key(f.path), f.rule, f.message))
