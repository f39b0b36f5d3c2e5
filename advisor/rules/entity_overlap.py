"""entity-overlap (ADV110): members work on the same entities.

What it detects: member pairs whose entity names overlap by at least 80% (MSANose's "inappropriate
service intimacy" threshold), where the inventory knows them: the resources named in the operations
traces observed on their incoming calls (``GET /orders/{id}`` names ``orders``), the APIs a
catalog says they provide or consume, and the topics they produce to or consume from.

Why it matters: two services that own, read and publish the same entities hold one domain model
between them; every change to it is a coordinated change across a boundary.

Evidence: the dependencies that name the shared entities.
"""

from __future__ import annotations

import re

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, fmt_list, pair
from inventory.model import Dependency

THRESHOLD = 0.8
MIN_ENTITIES = 2
_WORD = re.compile(r"[a-z][a-z0-9]+")
_NOISE = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "api", "v1", "v2", "v3", "http",
                    "https", "grpc", "rpc", "id", "ids", "by", "list", "find", "create", "update", "remove",
                    "health", "healthz", "ready", "live", "metrics", "internal", "public", "the", "and", "for"})


def _entities(ctx: GroupContext, service: str) -> tuple[set[str], list[Dependency]]:
    found: set[str] = set()
    deps: list[Dependency] = []
    for d in ctx.index.incoming.get(service, ()):
        words = {w.rstrip("s") for op in d.operations for w in _WORD.findall(op.lower()) if w not in _NOISE}
        if words:
            found |= words
            deps.append(d)
    for d in ctx.index.outgoing.get(service, ()):
        if d.kind == "declared" and d.via:
            found.add(f"api:{d.via.lower()}")
            deps.append(d)
        res = ctx.index.resources.get(d.target)
        if res is not None and res.kind in ("topic", "queue"):
            found.add(f"{res.kind}:{res.name.lower()}")
            deps.append(d)
    for d in ctx.index.incoming.get(service, ()):
        if d.kind == "declared" and d.via:
            found.add(f"api:{d.via.lower()}")
            deps.append(d)
    return found, deps


def overlaps(ctx: GroupContext) -> list[tuple[str, str, set[str], list[Dependency]]]:
    per: dict[str, tuple[set[str], list[Dependency]]] = {m: _entities(ctx, m) for m in ctx.members}
    out = []
    members = sorted(m for m, (e, _) in per.items() if len(e) >= MIN_ENTITIES)
    for i, a in enumerate(members):
        for b in members[i + 1:]:
            ea, eb = per[a][0], per[b][0]
            shared = ea & eb
            if len(shared) >= MIN_ENTITIES and len(shared) / max(len(ea), len(eb)) >= THRESHOLD:
                out.append((a, b, shared, per[a][1] + per[b][1]))
    return out


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = overlaps(ctx)
    if not found:
        return None
    summary = "; ".join(f"{a} and {b} share the entities {fmt_list(sorted(shared)[:6])}"
                        for a, b, shared, _ in found[:4])
    return Signal("ADV110", "entity-overlap", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({s for a, b, *_ in found for s in pair(a, b)})),
                  evidence_of([d for *_, ds in found for d in ds]))


RULE = Rule("ADV110", "entity-overlap", "for", 1.5, evaluate, doc=__doc__ or "")
