"""Scoring an analysis of a generated inventory against what :mod:`bench.generate` planted in it.

Everything is compared by service *name* (the Deployment name, which the generator keeps unique), read
from the JSON report (schema_version 1): ``services[].id/name``, ``resources[].id/name``,
``proposals[].members`` and ``dependencies[]``. The JSON report is the contract, so the scores do
not depend on the advisor's internal objects.

Merge groups
------------
* A planted group *G* is **recovered** when some proposal *P* has Jaccard(P, G) = |P ∩ G| / |P ∪ G|
  of at least :data:`MATCH_JACCARD` (0.8). For a pair that means an exact match; for five services
  one member missing or one extra is still a match (4/5, 5/6). **Exact recall** counts P == G only.
* **Group recall** = recovered planted groups / planted groups.
* **Group precision** = proposals that match some planted group (Jaccard >= 0.8) / proposals.
  A proposal of services that belong to no planted group is a miss.
* **Pairwise** scores look at co-membership: the predicted pairs are all unordered pairs of services
  that share a proposal, the true pairs all pairs inside a planted group. Pair precision =
  |predicted ∩ true| / |predicted|, pair recall = |predicted ∩ true| / |true|, pair F1 their
  harmonic mean (0 when both are 0).

Decoys
------
A proposal is a **decoy proposal** when it contains a hub, an infrastructure resource (the broker,
the shared cache, the collector, a domain's shared Postgres cluster), both services of a cross-team
pair, or both services of a loosely coupled neighbour pair. ``decoys`` counts proposals per reason
(one proposal can have several); ``decoy_proposals`` counts proposals with any reason. Proposals whose
members belong to more than one team are counted separately as ``mixed_team_proposals``: a planted
group never mixes teams.

Edges (a check of the readers, not of the advisor)
-------------------------------------------------
For every category the generator wrote, how many planted edges the report's dependencies contain:
``sync`` (a ``sync`` dependency source -> target), ``datastore`` and ``cache`` (a ``datastore``
dependency; ``datastore_schema`` also needs ``via`` = the schema the connection string names),
``broker`` (an ``async`` dependency on the broker), ``telemetry`` (any dependency on the collector),
``messaging`` (an ``async`` producer -> consumer dependency ``via`` the topic). ``unplanted_service_edges``
counts service -> service dependencies the generator did not write. ``unresolved`` is compared with
the planted external references, and ``secrets_leaked`` counts planted secret values found anywhere
in the report text (it must be 0).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from bench.generate import Truth

MATCH_JACCARD = 0.8


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _pairs(members: Iterable[str]) -> set[tuple[str, str]]:
    items = sorted(set(members))
    return {(x, y) for i, x in enumerate(items) for y in items[i + 1:]}


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score_groups(proposals: Sequence[Sequence[str]], truth: Truth) -> dict[str, object]:
    """Group recall/precision, exact recall, pairwise precision/recall/F1 and decoys.

    >>> from bench.generate import Truth
    >>> t = Truth(1, 4, "inventory", 1, 1, 1, groups=(("a", "b"), ("c", "d", "e")), hubs=("auth",),
    ...           infrastructure=("kafka",), cross_team_pairs=(("x", "y"),), neighbours=(("a", "c"),),
    ...           broadcast_topics={}, private_topics=(), teams={}, edges=(), external_references=0,
    ...           secrets=())
    >>> s = score_groups([["a", "b"], ["c", "d"], ["x", "y"]], t)
    >>> s["group_recall"], s["group_precision"], s["pair_f1"], s["decoy_proposals"]
    (0.5, 0.3333333333333333, 0.5714285714285715, 1)
    """
    planted = [frozenset(g) for g in truth.groups]
    predicted = [frozenset(p) for p in proposals]
    index: dict[str, list[int]] = {}
    for i, group in enumerate(planted):
        for name in group:
            index.setdefault(name, []).append(i)
    best_for_group = [0.0] * len(planted)
    exact = [False] * len(planted)
    matched_proposals = 0
    for proposal in predicted:
        best = 0.0
        for gi in {gi for name in proposal for gi in index.get(name, ())}:
            score = jaccard(proposal, planted[gi])
            best = max(best, score)
            best_for_group[gi] = max(best_for_group[gi], score)
            if proposal == planted[gi]:
                exact[gi] = True
        if best >= MATCH_JACCARD:
            matched_proposals += 1
    recovered = sum(1 for s in best_for_group if s >= MATCH_JACCARD)

    true_pairs: set[tuple[str, str]] = set()
    for group in planted:
        true_pairs |= _pairs(group)
    predicted_pairs: set[tuple[str, str]] = set()
    for proposal in predicted:
        predicted_pairs |= _pairs(proposal)
    hit = len(true_pairs & predicted_pairs)
    pair_precision = _ratio(hit, len(predicted_pairs))
    pair_recall = _ratio(hit, len(true_pairs))
    p, r = pair_precision or 0.0, pair_recall or 0.0
    pair_f1 = 2 * p * r / (p + r) if p + r else 0.0

    hubs = set(truth.hubs)
    infra = set(truth.infrastructure)
    decoys = {"hub": 0, "infrastructure": 0, "cross_team_pair": 0, "neighbours": 0}
    examples: dict[str, list[str]] = {}
    decoy_proposals = 0
    mixed_team = 0
    for proposal in predicted:
        reasons = []
        if proposal & hubs:
            reasons.append("hub")
        if proposal & infra:
            reasons.append("infrastructure")
        if any(a in proposal and b in proposal for a, b in truth.cross_team_pairs):
            reasons.append("cross_team_pair")
        if any(a in proposal and b in proposal for a, b in truth.neighbours):
            reasons.append("neighbours")
        for reason in reasons:
            decoys[reason] += 1
            examples.setdefault(reason, sorted(proposal)[:12])
        decoy_proposals += bool(reasons)
        teams = {truth.teams.get(name) for name in proposal if name in truth.teams}
        mixed_team += len(teams) > 1
    return {
        "planted_groups": len(planted),
        "proposals": len(predicted),
        "recovered_groups": recovered,
        "group_recall": _ratio(recovered, len(planted)),
        "group_precision": _ratio(matched_proposals, len(predicted)),
        "exact_recall": _ratio(sum(exact), len(planted)),
        "pair_precision": pair_precision,
        "pair_recall": pair_recall,
        "pair_f1": pair_f1,
        "decoys": decoys,
        "decoy_proposals": decoy_proposals,
        "decoy_examples": examples,
        "mixed_team_proposals": mixed_team,
    }


def _items(report: Mapping[str, object], key: str) -> list[dict[str, object]]:
    value = report.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _names(report: Mapping[str, object]) -> dict[str, str]:
    names: dict[str, str] = {}
    for key in ("services", "resources"):
        for item in _items(report, key):
            if "id" in item:
                names[str(item["id"])] = str(item.get("name") or item["id"])
    return names


def proposal_members(report: Mapping[str, object]) -> list[list[str]]:
    """The members of every proposal of a JSON report, as service names."""
    names = _names(report)
    out = []
    for proposal in _items(report, "proposals"):
        members = proposal.get("members")
        if isinstance(members, list):
            out.append([names.get(str(m), str(m)) for m in members])
    return out


def score_edges(report: Mapping[str, object], truth: Truth) -> dict[str, object]:
    """How many planted edges of each category the report's dependencies contain."""
    names = _names(report)
    service_ids = {str(s.get("id")) for s in _items(report, "services")}
    found: dict[tuple[str, str], set[tuple[str, str | None]]] = {}
    service_edges: set[tuple[str, str]] = set()
    for dep in _items(report, "dependencies"):
        src, tgt = str(dep.get("source")), str(dep.get("target"))
        pair = (names.get(src, src), names.get(tgt, tgt))
        via = dep.get("via")
        found.setdefault(pair, set()).add((str(dep.get("kind")), str(via) if via is not None else None))
        if src in service_ids and tgt in service_ids:
            service_edges.add(pair)
    wanted_kind = {"sync": "sync", "datastore": "datastore", "cache": "datastore", "broker": "async",
                   "telemetry": None, "messaging": "async"}
    planted: dict[str, int] = {}
    hits: dict[str, int] = {}
    missing: dict[str, list[list[str | None]]] = {}
    schema_planted = schema_hits = 0
    planted_service_edges: set[tuple[str, str]] = set()
    for src, tgt, category, via in truth.edges:
        if category in ("sync", "messaging"):
            planted_service_edges.add((src, tgt))
        planted[category] = planted.get(category, 0) + 1
        got = found.get((src, tgt), set())
        kind = wanted_kind.get(category)
        ok = any(kind is None or k == kind for k, _ in got)
        if category == "messaging":
            ok = any(k == "async" and v == via for k, v in got)
        if category == "datastore" and via is not None:
            schema_planted += 1
            schema_hits += any(k == "datastore" and v == via for k, v in got)
        if ok:
            hits[category] = hits.get(category, 0) + 1
        elif len(missing.setdefault(category, [])) < 5:
            missing[category].append([src, tgt, via])
    categories = {c: {"planted": n, "found": hits.get(c, 0), "recall": _ratio(hits.get(c, 0), n)}
                  for c, n in sorted(planted.items())}
    categories["datastore_schema"] = {"planted": schema_planted, "found": schema_hits,
                                      "recall": _ratio(schema_hits, schema_planted)}
    unresolved = _items(report, "unresolved")
    return {
        "categories": categories,
        "missing_examples": missing,
        "unplanted_service_edges": len(service_edges - planted_service_edges),
        "unplanted_examples": sorted(service_edges - planted_service_edges)[:5],
        "unresolved": len(unresolved),
        "expected_unresolved": truth.external_references,
    }


def secrets_leaked(text: str, truth: Truth) -> int:
    """How many planted secret values appear anywhere in ``text``."""
    return sum(1 for secret in truth.secrets if secret and secret in text)


def score_report(text: str, truth: Truth) -> dict[str, object]:
    """Every score for one rendered JSON report."""
    report = json.loads(text)
    summary = {
        key: len(report.get(key) or ())
        for key in ("services", "resources", "dependencies", "clusters", "proposals", "skipped", "unresolved")
    }
    return {
        "counts": summary,
        "groups": score_groups(proposal_members(report), truth),
        "edges": score_edges(report, truth),
        "secrets_leaked": secrets_leaked(text, truth),
    }
