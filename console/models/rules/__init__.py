"""Domain rules: every rule of the VM-FEX and Nexus 1000V VXLAN guides (and of the topology
file's own consistency) as a named check; `validate --list-rules` cites each one's source.

    from console.models.rules import check, dangling, RULES
    findings = check(topology)          # list[Finding], sorted by file order, then rule id

Each finding carries the path of the object as the file names it (`vms[2].nics[0].pf`,
`hosts[1].vteps[4]`), a stable rule id (`vmfex.default-cluster`, `vxlan.segment-id-range`),
a severity (error or warning) and a message in an administrator's words naming the object.

`RULES` maps every rule id to its Rule: severity, one-line summary and the source sentence
it traces back to. Rules marked `live_only` (e.g. `openstack.read-only`) cannot be broken by
a file, only by a live change; `guards.guard()` checks those.

Dangling references have rule ids under `ref.` (`ref.host`, `ref.port-profile`, ...):
`dangling(findings)` picks them out, so `simulate` can refuse a file that names objects it
does not define while it still runs files with other (planned) misconfigurations.

Live changes: `guard(topology, change)` says why a change is refused (an empty list means it
is allowed) and `apply_to_model(topology, change)` applies it to a model in place. Every
backend and editor uses these two, so a change is judged and applied one way.

One module per area: vmfex.py, profiles.py, vxlan.py, openstack.py, references.py,
duplicates.py; registry.py holds the registry and the per-run Context; guards.py and
apply.py hold guard() and apply_to_model(). A new rule is a generator decorated with
`@rule(id, severity, summary, source)` in its area's module, yielding (path, message), plus
a breaking and a keeping case in tests/rules/test_rules_catalog.py (a test insists).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..findings import Finding, Severity
from ..topology import Topology
from . import (  # noqa: F401 (register)
    duplicates,
    openstack,
    profiles,
    references,
    traffic,
    vmfex,
    vxlan,
)
from .references import REF_PREFIX
from .registry import RULES, Context, Rule, sort_findings


def check(topology: Topology, rules: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of every rule (or of the rule ids given), sorted stably: file order of
    the path (indices numerically), then rule id, then message."""
    ctx = Context(topology)
    wanted = RULES.values() if rules is None else [RULES[r] for r in rules]
    out: list[Finding] = []
    for rule in wanted:
        out.extend(rule.run(ctx))
    return sort_findings(out)


def is_dangling(finding: Finding) -> bool:
    """Is this finding a dangling reference (a name the file does not define)?"""
    return finding.rule.startswith(REF_PREFIX)


def dangling(findings: Iterable[Finding]) -> list[Finding]:
    """The dangling-reference findings: a file with any of them cannot be simulated."""
    return [f for f in findings if is_dangling(f)]


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


from .apply import applied_copy, apply_to_model  # noqa: E402
from .guards import PlannedChange, guard, plan_change  # noqa: E402

__all__ = [
    "REF_PREFIX",
    "RULES",
    "PlannedChange",
    "Rule",
    "applied_copy",
    "apply_to_model",
    "check",
    "dangling",
    "errors",
    "guard",
    "is_dangling",
    "plan_change",
]
