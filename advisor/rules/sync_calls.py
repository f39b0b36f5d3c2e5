"""sync-calls (ADV111): members call each other synchronously.

What it detects: synchronous dependencies between members (the weakest reason; on its own it never
makes a proposal, it explains why the clustering put the members together).

Why it matters: every synchronous call between services is a network hop and a failure mode on
the request path; between members of one merge group it becomes a method call.

Evidence: each synchronous dependency between members.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    sync = sorted((d for d in ctx.internal if d.kind == "sync"), key=lambda d: (d.source, d.target))
    if not sync:
        return None
    shown = "; ".join(f"{d.source} calls {d.target}" for d in sync[:6])
    if len(sync) > 6:
        shown += f"; and {len(sync) - 6} more"
    return Signal("ADV111", "sync-calls", "for", round(weight * min(len(sync), 3), 3), shown,
                  tuple(sorted({s for d in sync for s in (d.source, d.target)})), evidence_of(sync))


RULE = Rule("ADV111", "sync-calls", "for", 0.5, evaluate, doc=__doc__ or "")
