"""sync-cycle (ADV102): members call each other synchronously in a cycle of three or more.

What it detects: a strongly connected component of synchronous calls among the members that
includes at least three services (two services calling each other are ``mutual-calls``) and no
more than ``clustering.max_size`` (a cycle through half the system is a distributed monolith to
untangle, not one merge).

Why it matters: a synchronous cycle means none of its services can be deployed, started or
reasoned about alone; failures and latency circulate. It is a distributed monolith already.

Evidence: every synchronous dependency on the cycle.
"""

from __future__ import annotations

from advisor.graph import strong_components
from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, fmt_list, pair
from inventory.model import Dependency


def cycles(ctx: GroupContext) -> tuple[list[list[str]], list[Dependency]]:
    sync = [d for d in ctx.internal if d.kind == "sync"]
    largest = ctx.config.clustering.max_size
    found = sorted((sorted(c) for c in strong_components((d.source, d.target) for d in sync)
                    if 3 <= len(c) <= largest), key=lambda c: c[0])
    cycle_of = {s: i for i, c in enumerate(found) for s in c}
    on_one = [d for d in sync if d.source in cycle_of and cycle_of[d.source] == cycle_of.get(d.target)]
    return found, on_one


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    _, deps = cycles(ctx)
    return [pair(d.source, d.target) for d in deps]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found, deps = cycles(ctx)
    if not found:
        return None
    summary = "; ".join(f"{fmt_list(c)} call each other synchronously in a cycle" for c in found)
    return Signal("ADV102", "sync-cycle", "for", round(weight * len(found), 3), summary,
                  tuple(sorted({s for c in found for s in c})), evidence_of(deps))


RULE = Rule("ADV102", "sync-cycle", "for", 2.0, evaluate, pairs, doc=__doc__ or "")
