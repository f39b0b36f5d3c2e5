"""shared-datastore (ADV101): two or more members use the same database or schema.

What it detects: members with a datastore dependency on the same resource and, when connection
strings name one, the same database/schema. Two services on one *cluster* with different schemas
do not share a datastore; a use whose schema is unknown may be any schema, so it shares with each.

Why it matters: shared persistence is the clearest sign that two services are one. They cannot be
deployed, migrated or scaled independently, every schema change is a cross-team release, and the
network hop between them buys nothing the database does not already couple.

Evidence: the dependency of every member on the datastore (env var, connection string, trace).
A datastore used by more services (or teams) than ``infrastructure`` allows is a platform, not
coupling, and is never cited.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, fmt_list, pair
from inventory.model import Dependency


def shared(ctx: GroupContext) -> list[tuple[str, str | None, list[str], list[Dependency]]]:
    """(datastore id, schema, members using it, their dependencies) for each shared datastore."""
    keys = {k for m in ctx.members for k in ctx.index.datastores_of.get(m, ())}
    out = []
    for key in sorted(keys, key=lambda k: (k[0], k[1] or "")):
        users = ctx.index.shared_datastores.get(key)
        if users is None:
            continue  # private, or so widely shared that it is infrastructure
        inside = sorted(users & ctx.member_set)
        if len(inside) >= 2:
            deps = [d for d in ctx.index.sharing[key] if d.source in ctx.member_set]
            out.append((key[0], key[1], inside, deps))
    return out


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return [pair(a, b) for _, _, inside, _ in shared(ctx) for i, a in enumerate(inside) for b in inside[i + 1:]]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = shared(ctx)
    if not found:
        return None
    parts = []
    for resource, schema, inside, _ in found:
        name = ctx.index.resources[resource].name
        parts.append(f"{fmt_list(inside)} use {name}" + (f" (schema {schema})" if schema else ""))
    services = tuple(sorted({s for _, _, inside, _ in found for s in inside}))
    deps = [d for *_, ds in found for d in ds]
    return Signal("ADV101", "shared-datastore", "for", round(weight * min(len(found), 2), 3),
                  "; ".join(parts), services, evidence_of(deps))


RULE = Rule("ADV101", "shared-datastore", "for", 3.0, evaluate, pairs, doc=__doc__ or "")
