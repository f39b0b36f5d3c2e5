"""declared-dependency (ADV112): a catalog declares that one member depends on another.

What it detects: ``dependsOn`` / API consumption declared in a catalog between members, with no
configuration or traffic confirming it (confirmed edges are cited by the stronger rules).

Why it matters: a declared dependency is weak evidence on its own, but it shows the owners
themselves think of the services as connected.

Evidence: the catalog entries.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    declared = sorted((d for d in ctx.internal if d.kind == "declared"), key=lambda d: (d.source, d.target))
    if not declared:
        return None
    summary = "; ".join(f"{d.source} declares a dependency on {d.target}" for d in declared[:6])
    return Signal("ADV112", "declared-dependency", "for", round(weight * min(len(declared), 3), 3), summary,
                  tuple(sorted({s for d in declared for s in (d.source, d.target)})), evidence_of(declared))


RULE = Rule("ADV112", "declared-dependency", "for", 0.25, evaluate, doc=__doc__ or "")
