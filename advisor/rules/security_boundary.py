"""security-boundary (ADV205): the members sit on different sides of a security or data boundary.

What it detects: a label from ``proposals.security_labels`` (e.g. ``pci``, ``security-zone``)
that some members carry and others do not, or carry with different values.

Why it matters: a PCI-scoped service merged with an unscoped one brings the unscoped code into
audit scope; isolation of sensitive data is a reason for a boundary that coupling does not
outweigh.

Evidence: where the labels were read.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, limited_evidence


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    keys = {k.lower() for k in ctx.config.proposals.security_labels}
    values: dict[str, dict[str, str | None]] = {}
    for m in ctx.members:
        labels = {k.lower(): v for k, v in ctx.service(m).labels.items()}
        for key in keys:
            matches = [v for k, v in labels.items() if k == key or k.endswith("/" + key)]
            values.setdefault(key, {})[m] = matches[0] if matches else None
    parts = []
    involved: set[str] = set()
    for key, per_member in sorted(values.items()):
        distinct = set(per_member.values())
        if len(distinct) > 1:
            shown = ", ".join(f"{m}={v if v is not None else '(none)'}" for m, v in sorted(per_member.items()))
            parts.append(f"{key}: {shown}")
            involved |= set(per_member)
    if not parts:
        return None
    evidence = limited_evidence({e for m in involved for e in ctx.service(m).evidence})
    return Signal("ADV205", "security-boundary", "against", round(weight, 3), "; ".join(parts),
                  tuple(sorted(involved)), evidence)


RULE = Rule("ADV205", "security-boundary", "against", 4.0, evaluate, doc=__doc__ or "")
