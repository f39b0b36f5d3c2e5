"""single-consumer-topic (ADV105): a topic or queue with one producer and one consumer, both members.

What it detects: a messaging destination whose only producer and only consumer are in the group
and, when both owners are known, owned by the same team.

Why it matters: a private topic between two services of one team is a method call with a broker
in the middle: it adds a moving part, delivery semantics to get right and lag, and decouples
nothing since nobody else listens.

Evidence: the produce and consume dependencies on the destination.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, pair
from inventory.model import Dependency


def private_topics(ctx: GroupContext) -> list[tuple[str, str, str, str, list[Dependency]]]:
    """(kind, name, producer, consumer, dependencies) for each private destination."""
    out: list[tuple[str, str, str, str, list[Dependency]]] = []
    candidates = {t for m in ctx.members for t in ctx.index.destinations_of.get(m, ())}
    for rid in sorted(candidates):
        res = ctx.index.resources[rid]
        users = [d for d in ctx.index.incoming.get(rid, ()) if d.source in ctx.index.services]
        producers = {d.source for d in users if d.role != "consume"}
        consumers = {d.source for d in users if d.role == "consume"}
        if len(producers) != 1 or len(consumers) != 1 or producers == consumers:
            continue
        if not (producers | consumers) <= ctx.member_set:
            continue
        owners = {ctx.index.services[s].owner for s in producers | consumers}
        if len(owners) > 1 and None not in owners:
            continue
        out.append((res.kind, res.name, next(iter(producers)), next(iter(consumers)), users))
    return out


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return [pair(p, c) for _, _, p, c, _ in private_topics(ctx)]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = private_topics(ctx)
    if not found:
        return None
    summary = "; ".join(f"{kind} {name}: {p} is its only producer and {c} its only consumer"
                        for kind, name, p, c, _ in found[:4])
    if len(found) > 4:
        summary += f"; and {len(found) - 4} more"
    return Signal("ADV105", "single-consumer-topic", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for _, _, p, c, _ in found for s in (p, c)})),
                  evidence_of([d for *_, ds in found for d in ds]))


RULE = Rule("ADV105", "single-consumer-topic", "for", 1.5, evaluate, pairs, doc=__doc__ or "")
