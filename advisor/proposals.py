"""From clusters to ranked merge proposals, each with its signals, counter-signals, impact and plan.

A cluster from community detection is where to look, not yet advice. Inside each cluster the
members joined by *strong* evidence (a shared datastore, mutual calls, a synchronous cycle, a
private topic, a chatty pair, a pass-through, a nano-service next to its only partner, lockstep
change) form the candidate groups; members that are only near the others by a one-way call or a
shared team stay out. Every registered rule (:mod:`advisor.rules`) then speaks for or against the
candidate; the score is the net of their points squashed into 0..1::

    score = net / (net + 3)      where net = sum(points for) - sum(points against), 0 if negative

so that a shared database plus mutual calls within one team (3 + 2 + 1, plus 0.5 for each of the
two calls = 7) scores 0.7, and a lone sync call (0.5) scores 0.14 and is never proposed. A
candidate becomes a proposal when it has at least one strong signal and a score above 0 that
reaches ``proposals.min_score`` (a score of 0 means the reasons against outweigh those for).
Ids are derived from the members, so a decision recorded against a proposal sticks across runs
as long as the group is the same.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence

import networkx as nx

from advisor.impact import compute_impact
from advisor.model import Proposal, Signal, SystemMetrics
from advisor.planning import plan_merge
from advisor.rules import RULES, GroupContext, Indexes, Rule

SCORE_SCALE = 3.0


def proposal_id(members: Iterable[str]) -> str:
    """A stable id for a group of services: the same members always give the same id.

    >>> proposal_id(["orders", "order-history"]) == proposal_id(["order-history", "orders"])
    True
    """
    digest = hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()
    return f"P-{digest[:8]}"


def _rule_settings(rule: Rule, index: Indexes) -> tuple[bool, float]:
    settings = index.config.proposals.rules.get(rule.name, {})
    enabled = bool(settings.get("enabled", True))
    weight = settings.get("weight", rule.weight)
    return enabled, float(weight) if isinstance(weight, int | float) and not isinstance(weight, bool) else rule.weight


def evaluate_group(members: Sequence[str], index: Indexes, system: SystemMetrics, *, rank: int = 0,
                   cluster: str | None = None) -> Proposal:
    """Evaluate any set of services as a merge: signals, counter-signals, score, impact, plan.

    Used for the clusters' candidate groups and for groups a user picks (what-if).
    """
    members = tuple(sorted(set(members)))
    ctx = GroupContext(members, index)
    signals: list[Signal] = []
    counter: list[Signal] = []
    for rule in RULES:
        enabled, weight = _rule_settings(rule, index)
        if not enabled:
            continue
        signal = rule.evaluate(ctx, weight)
        if signal is None:
            continue
        (signals if rule.direction == "for" else counter).append(signal)
    net = sum(s.points for s in signals) - sum(s.points for s in counter)
    score = round(net / (net + SCORE_SCALE), 4) if net > 0 else 0.0
    impact = compute_impact(ctx, system)
    return Proposal(
        id=proposal_id(members), rank=rank, members=members, score=score,
        signals=tuple(signals), counter_signals=tuple(counter), impact=impact,
        title=_title(members), cluster=cluster, plan=plan_merge(ctx, signals, counter),
    )


def _title(members: Sequence[str]) -> str:
    names = list(members)
    if len(names) <= 4:
        shown = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    else:
        shown = ", ".join(names[:3]) + f" and {len(names) - 3} more"
    return f"Merge {shown}"


def strong_pairs(members: Sequence[str], index: Indexes) -> dict[tuple[str, str], set[str]]:
    """Pairs of members joined by strong evidence, with the names of the rules that join them."""
    ctx = GroupContext(tuple(sorted(set(members))), index)
    pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for rule in RULES:
        enabled, _ = _rule_settings(rule, index)
        if rule.pairs is None or not enabled:
            continue
        for a, b in rule.pairs(ctx):
            pairs[(a, b)].add(rule.name)
    return dict(pairs)


def _never_merge_violations(members: set[str], index: Indexes) -> list[tuple[str, ...]]:
    lowered = {m.lower(): m for m in members}
    out = []
    for group in index.config.never_merge:
        present = [lowered[n.lower()] for n in group if n.lower() in lowered]
        if len(present) >= 2:
            out.append(tuple(present))
    return out


def candidate_groups(cluster_members: Sequence[str], index: Indexes) -> list[tuple[str, ...]]:
    """The strongly joined groups inside one cluster (hubs and keep-separate services excluded)."""
    keep_separate = {k.lower() for k in index.config.keep_separate}
    members = [m for m in cluster_members if m not in index.hubs and m.lower() not in keep_separate]
    pairs = strong_pairs(members, index)
    g = nx.Graph()
    g.add_edges_from(pairs)
    groups = []
    for component in nx.connected_components(g):
        comp = set(component)
        for violation in _never_merge_violations(comp, index):
            # keep the member most strongly tied to the rest; drop the others of the forbidden set
            def ties(s: str, comp: set[str] = comp) -> int:
                return sum(1 for p in pairs if s in p and (p[0] in comp and p[1] in comp))
            keep = max(violation, key=lambda s: (ties(s), s))
            comp -= set(violation) - {keep}
        if len(comp) >= 2:
            sub = g.subgraph(comp)
            for part in nx.connected_components(sub):
                if len(part) >= 2:
                    groups.append(tuple(sorted(part)))
    return sorted(groups)


def propose_merges(clusters: Sequence[tuple[str, Sequence[str]]], index: Indexes, system: SystemMetrics
                   ) -> list[Proposal]:
    """Ranked proposals from ``(cluster id, members)`` pairs."""
    strong_rules = {r.name for r in RULES if r.strong}
    min_score = index.config.proposals.min_score
    found: list[Proposal] = []
    for cluster_id, members in clusters:
        for group in candidate_groups(members, index):
            proposal = evaluate_group(group, index, system, cluster=cluster_id)
            if not any(s.name in strong_rules for s in proposal.signals):
                continue
            if proposal.score <= 0 or proposal.score < min_score:
                continue
            found.append(proposal)
    found.sort(key=lambda p: (-p.score, p.members))
    return [_with_rank(p, i + 1) for i, p in enumerate(found)]


def _with_rank(p: Proposal, rank: int) -> Proposal:
    from dataclasses import replace

    return replace(p, rank=rank)
