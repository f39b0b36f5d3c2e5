"""From clusters to ranked merge proposals, each with its signals, counter-signals, impact and plan.

Services joined by *strong* evidence (a shared datastore, mutual calls, a synchronous cycle, a
private topic, a chatty pair, a pass-through, a nano-service next to its only partner, lockstep
change) form the candidate groups; services that are only near the others by a one-way call or a
shared team stay out, and services of different teams are joined only by shared data or lockstep
change (calls across a team boundary are an interface). Community detection bounds the groups: a
strongly joined component larger than ``clustering.max_size`` is cut along the clusters. Every
registered rule (:mod:`advisor.rules`) then speaks for or against the candidate; the score is the
net of their points squashed into 0..1::

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
from dataclasses import replace

from advisor.impact import compute_impact
from advisor.model import Proposal, Signal, SystemMetrics
from advisor.planning import plan_merge
from advisor.rules import RULES, RULES_BY_NAME, GroupContext, Indexes, Rule

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


def _enabled_rules(index: Indexes) -> list[tuple[Rule, float]]:
    """The enabled rules with their weights, in registry order (worked out once per analysis)."""
    cached = index.memo.get("enabled-rules")
    if cached is None:
        cached = index.memo["enabled-rules"] = [
            (rule, weight) for rule in RULES for enabled, weight in [_rule_settings(rule, index)] if enabled]
    return cached  # type: ignore[return-value]


def evaluate_group(members: Sequence[str], index: Indexes, system: SystemMetrics, *, rank: int = 0,
                   cluster: str | None = None) -> Proposal:
    """Evaluate any set of services as a merge: signals, counter-signals, score, impact, plan.

    Used for the clusters' candidate groups and for groups a user picks (what-if).
    """
    members = tuple(sorted(set(members)))
    ctx = GroupContext(members, index)
    signals: list[Signal] = []
    counter: list[Signal] = []
    for rule, weight in _enabled_rules(index):
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


#: Evidence strong enough to put services of different teams into one candidate group: they share
#: data or a release cycle. Calls alone across a team boundary are an interface, not a merge.
CROSS_TEAM_JOINERS = frozenset({"shared-datastore", "lockstep-change"})
#: Strong evidence that makes a group on its own but never extends a group joined by other
#: evidence: a synchronous cycle through an unrelated neighbour is a problem to untangle, not a
#: reason to pull the neighbour into the merge.
STANDALONE_ONLY = frozenset({"sync-cycle"})


def _joins(pair: tuple[str, str], kinds: set[str], index: Indexes) -> bool:
    """Whether a strongly coupled pair may sit in one candidate group (team boundaries count
    unless the ``cross-team`` rule is switched off)."""
    a, b = (index.services[s].owner for s in pair)
    if not (a and b and a != b) or kinds & CROSS_TEAM_JOINERS:
        return True
    enabled, _ = _rule_settings(RULES_BY_NAME["cross-team"], index)
    return not enabled


def _never_merge_violations(members: set[str], index: Indexes) -> list[tuple[str, ...]]:
    if not index.config.never_merge:
        return []
    lowered = {m.lower(): m for m in members}
    out = []
    for group in index.config.never_merge:
        present = [lowered[n.lower()] for n in group if n.lower() in lowered]
        if len(present) >= 2:
            out.append(tuple(present))
    return out


def _strong_graph(members: Sequence[str], index: Indexes) -> tuple[Adjacency, dict[tuple[str, str], set[str]]]:
    keep_separate = {k.lower() for k in index.config.keep_separate}
    kept = [m for m in members if m not in index.hubs and m.lower() not in keep_separate]
    pairs = strong_pairs(kept, index)
    g = _adjacency(p for p, kinds in pairs.items()
                   if kinds - STANDALONE_ONLY and _joins(p, kinds - STANDALONE_ONLY, index))
    # a group joined by nothing but standalone evidence is its own candidate when it touches no other
    standalone = _adjacency(p for p, kinds in pairs.items() if kinds & STANDALONE_ONLY and _joins(p, kinds, index))
    for component in _components(standalone):
        if not any(n in g for n in component):
            for n in component:
                g[n] = standalone[n]
    return g, pairs


#: An undirected graph as plain sets of neighbours (every node with an edge is a key). The
#: candidate search only asks for neighbours and connected components, which plain dicts answer
#: several times faster than networkx graphs and their subgraph views.
Adjacency = dict[str, set[str]]


def _adjacency(edges: Iterable[tuple[str, str]]) -> Adjacency:
    adj: Adjacency = {}
    for a, b in edges:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    return adj


def _components(adj: Adjacency, within: set[str] | None = None) -> list[set[str]]:
    """The connected components of ``adj``, or of the subgraph induced by ``within`` (nodes of ``adj``)."""
    seen: set[str] = set()
    out: list[set[str]] = []
    for start in adj if within is None else within:
        if start in seen:
            continue
        component = {start}
        frontier = [start]
        while frontier:
            for n in adj[frontier.pop()]:
                if n not in component and (within is None or n in within):
                    component.add(n)
                    frontier.append(n)
        seen |= component
        out.append(component)
    return out


def _apply_never_merge(comp: set[str], g: Adjacency, index: Indexes) -> list[set[str]]:
    """Drop all but the best-tied member of every never-merge set; the rest may fall apart.

    ``comp`` is a connected component of ``g``: when no never-merge set applies it stays whole."""
    violations = _never_merge_violations(comp, index)
    if not violations:
        return [set(comp)] if len(comp) >= 2 else []
    for violation in violations:
        keep = max(violation, key=lambda s: (sum(1 for n in g[s] if n in comp), s))
        comp = comp - (set(violation) - {keep})
    return [part for part in _components(g, comp) if len(part) >= 2]


def candidate_groups(cluster_members: Sequence[str], index: Indexes) -> list[tuple[str, ...]]:
    """The strongly joined groups among ``cluster_members`` (hubs and keep-separate services excluded)."""
    g, _ = _strong_graph(cluster_members, index)
    groups: list[tuple[str, ...]] = []
    for component in _components(g):
        groups.extend(tuple(sorted(part)) for part in _apply_never_merge(component, g, index))
    return sorted(groups)


def system_candidates(clusters: Sequence[tuple[str, Sequence[str]]], index: Indexes
                      ) -> list[tuple[tuple[str, ...], str | None]]:
    """Candidate groups for the whole system, each with the cluster that holds most of it.

    The groups are the components of the strong-evidence graph over all services, so a group that
    community detection cut in two (two schemas joined by one mutual pair) is still proposed whole.
    A component larger than ``clustering.max_size`` is too big to be one merge: it is split along
    the clusters, and each piece keeps only what strong evidence still joins.
    """
    cluster_of = {m: cid for cid, members in clusters for m in members}
    g, _ = _strong_graph(sorted(index.services), index)
    max_size = index.config.clustering.max_size
    out: list[tuple[tuple[str, ...], str | None]] = []

    def home(members: Iterable[str]) -> str | None:
        counts: dict[str, int] = defaultdict(int)
        for m in members:
            if cluster_of.get(m):
                counts[cluster_of[m]] += 1
        return min(counts, key=lambda c: (-counts[c], c)) if counts else None

    for component in sorted(_components(g), key=lambda c: sorted(c)):
        for part in _apply_never_merge(component, g, index):
            if len(part) <= max_size:
                out.append((tuple(sorted(part)), home(part)))
                continue
            by_cluster: dict[str | None, set[str]] = defaultdict(set)
            for m in part:
                by_cluster[cluster_of.get(m)].add(m)
            for cid, piece in sorted(by_cluster.items(), key=lambda kv: (kv[0] or "", sorted(kv[1]))):
                for sub in _components(g, piece):
                    if len(sub) >= 2:
                        out.append((tuple(sorted(sub)), cid))
    return sorted(out)


def propose_merges(clusters: Sequence[tuple[str, Sequence[str]]], index: Indexes, system: SystemMetrics
                   ) -> list[Proposal]:
    """Ranked proposals for the system, from its strong-evidence groups (see :func:`system_candidates`)."""
    return rank_candidates(system_candidates(clusters, index), index, system)


def rank_candidates(candidates: Iterable[tuple[tuple[str, ...], str | None]], index: Indexes,
                    system: SystemMetrics) -> list[Proposal]:
    """The candidates (from :func:`system_candidates`) that make proposals, evaluated and ranked."""
    strong_rules = {r.name for r in RULES if r.strong}
    min_score = index.config.proposals.min_score
    found: list[Proposal] = []
    for group, cluster_id in candidates:
        proposal = evaluate_group(group, index, system, cluster=cluster_id)
        if not any(s.name in strong_rules for s in proposal.signals):
            continue
        if proposal.score <= 0 or proposal.score < min_score:
            continue
        found.append(proposal)
    found.sort(key=lambda p: (-p.score, p.members))
    return [_with_rank(p, i + 1) for i, p in enumerate(found)]


def _with_rank(p: Proposal, rank: int) -> Proposal:
    return replace(p, rank=rank)
