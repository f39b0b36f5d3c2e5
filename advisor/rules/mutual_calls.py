"""mutual-calls (ADV103): two members call each other.

What it detects: pairs of members where each depends on the other synchronously (or one
synchronously and the other through a topic they share).

Why it matters: a pair that needs each other in both directions has no stable interface between
them; every change crosses the boundary twice. Merging turns both calls into method calls.

Evidence: the dependencies in both directions.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    calls = {(d.source, d.target) for d in ctx.internal if d.kind in ("sync", "async")}
    return sorted((a, b) for a, b in calls if a < b and (b, a) in calls)  # internal calls have a != b


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = pairs(ctx)
    if not found:
        return None
    wanted = {(a, b) for a, b in found} | {(b, a) for a, b in found}
    deps = [d for d in ctx.internal if d.kind in ("sync", "async") and (d.source, d.target) in wanted]
    summary = "; ".join(f"{a} and {b} call each other" for a, b in found)
    return Signal("ADV103", "mutual-calls", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for p in found for s in p})), evidence_of(deps))


RULE = Rule("ADV103", "mutual-calls", "for", 2.0, evaluate, pairs, doc=__doc__ or "")
