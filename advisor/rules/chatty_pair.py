"""chatty-pair (ADV104): the call volume between two members dwarfs their other traffic.

What it detects: when traces or mesh metrics give call counts, a member pair whose calls to each
other are at least half of the quieter side's observed traffic and at least 100 calls.

Why it matters: a service that spends most of its traffic talking to one other service pays a
network hop, serialisation and a failure mode on nearly every request for a boundary that does
not isolate anything.

Evidence: the observed dependencies with their call counts.
"""

from __future__ import annotations

from collections import defaultdict

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, pair
from inventory.model import Dependency

MIN_CALLS = 100
MIN_SHARE = 0.5


def _traffic(ctx: GroupContext, service: str) -> float:
    """The observed calls of a service, both ways (calls from outside the services included)."""
    total = 0.0
    for d in ctx.index.outgoing.get(service, ()):
        if "observed" in d.bases:
            total += d.weight
    for d in ctx.index.incoming.get(service, ()):
        if "observed" in d.bases and d.source in ctx.index.services:
            total += d.weight
    return total


def chatty(ctx: GroupContext) -> list[tuple[tuple[str, str], float, float, list[Dependency]]]:
    calls: dict[tuple[str, str], float] = defaultdict(float)
    deps: dict[tuple[str, str], list[Dependency]] = defaultdict(list)
    for d in ctx.internal:
        if d.kind == "sync" and "observed" in d.bases:
            key = pair(d.source, d.target)
            calls[key] += d.weight
            deps[key].append(d)
    # the traffic only of the members in an observed pair: for the whole system (the candidate
    # search) most services are in none, and without traces none is
    traffic: dict[str, float] = {}
    out = []
    for key, n in sorted(calls.items()):
        for member in key:
            if member not in traffic:
                traffic[member] = _traffic(ctx, member)
        quieter = min(traffic[key[0]], traffic[key[1]]) or n
        if n >= MIN_CALLS and n / quieter >= MIN_SHARE:
            out.append((key, n, n / quieter, deps[key]))
    return out


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return [key for key, *_ in chatty(ctx)]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = chatty(ctx)
    if not found:
        return None
    summary = "; ".join(f"{a} and {b} exchange {int(n):,} calls, {share:.0%} of the quieter side's traffic"
                        for (a, b), n, share, _ in found)
    return Signal("ADV104", "chatty-pair", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for key, *_ in found for s in key})),
                  evidence_of([d for *_, ds in found for d in ds]))


RULE = Rule("ADV104", "chatty-pair", "for", 1.5, evaluate, pairs, doc=__doc__ or "")
