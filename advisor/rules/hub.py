"""hub (ADV204): a member is called by a large share of the system.

What it detects: a member that the analysis identified as a hub (called by at least
``hubs.min_callers`` services and ``hubs.min_share`` of all services): auth, notifications, a
gateway's backend. Hubs are kept out of clustering, so this fires on user-chosen groups.

Why it matters: merging a hub into one group makes every other caller depend on that group's
release cycle and failure modes; a shared capability belongs in its own service.

Evidence: the callers' dependencies on the hub (a sample).
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of
from inventory.model import Dependency


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    hubs = sorted(m for m in ctx.members if m in ctx.index.hubs)
    if not hubs:
        return None
    parts: list[str] = []
    deps: list[Dependency] = []
    for h in hubs:
        callers = {d.source for d in ctx.index.incoming.get(h, ()) if d.source in ctx.index.services}
        parts.append(f"{h} is called by {len(callers)} services")
        deps.extend(ctx.index.incoming.get(h, ())[:4])
    return Signal("ADV204", "hub", "against", round(weight * len(hubs), 3), "; ".join(parts), tuple(hubs),
                  evidence_of(deps))


RULE = Rule("ADV204", "hub", "against", 3.0, evaluate, doc=__doc__ or "")
