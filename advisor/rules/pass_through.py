"""pass-through (ADV108): a member that is called, owns no data and only forwards to one other member.

What it detects: a service that others call, whose only outgoing dependency is one other member
(which does not call it back), and which has no datastore of its own: a gateway in front of a
single aggregator, a facade that forwards every call. On its own (without an owner in common or
another strong signal) it does not reach the proposal threshold.

Why it matters: a pass-through adds a hop, a deployment and a failure mode while deciding nothing
itself; folding it into the service it forwards to keeps its API and removes the hop.

Evidence: the single forwarding dependency.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, pair
from inventory.model import Dependency


def forwarders(ctx: GroupContext) -> list[tuple[str, str, list[Dependency]]]:
    out = []
    for m in ctx.members:
        deps = [d for d in ctx.index.outgoing.get(m, ()) if d.target != m]
        targets = {d.target for d in deps}
        if len(targets) != 1:
            continue
        (target,) = tuple(targets)
        if target not in ctx.member_set:
            continue
        if not any(d.source != target for d in ctx.index.incoming.get(m, ())):
            continue  # nobody else calls it: a client or a job, not a pass-through
        if any(d.target == m for d in ctx.index.outgoing.get(target, ())):
            continue  # the target calls back: that is mutual-calls (or a cycle), not forwarding
        out.append((m, target, deps))
    return out


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return [pair(m, t) for m, t, _ in forwarders(ctx)]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = forwarders(ctx)
    if not found:
        return None
    summary = "; ".join(f"{m} only forwards to {t} and owns no data" for m, t, _ in found)
    return Signal("ADV108", "pass-through", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for m, t, _ in found for s in (m, t)})),
                  evidence_of([d for *_, ds in found for d in ds]))


RULE = Rule("ADV108", "pass-through", "for", 0.75, evaluate, pairs, doc=__doc__ or "")
