"""nano-service (ADV109): a member so small it costs more as a service than it does as code.

What it detects: a member with tiny resource requests (at most 0.05 cores and 64 MiB per replica)
running a single replica, whose only dependency partner in the system is one other member.

Why it matters: the fixed costs of a service (pipeline, deployment, dashboards, on-call, a
network hop for every use) dominate when the service itself does almost nothing and serves one
partner.

Evidence: where the member's resources were read, and its dependencies on the partner.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, evidence_of, limited_evidence, pair
from inventory.model import Service

MAX_CPU = 0.05
MAX_MEMORY = 64 * 1024 * 1024


def is_nano(s: Service) -> bool:
    # a request of 0 is no request at all (a Kubernetes BestEffort pod): it says nothing about size
    return (s.cpu_request is not None and s.memory_request is not None and 0 < s.cpu_request <= MAX_CPU
            and 0 < s.memory_request <= MAX_MEMORY and (s.replicas or 1) <= 1)


def nano_partners(ctx: GroupContext) -> list[tuple[Service, str]]:
    out = []
    for m in ctx.members:
        s = ctx.service(m)
        if not is_nano(s):
            continue
        partners = {d.target for d in ctx.index.outgoing.get(m, ()) if d.target in ctx.index.services}
        partners |= {d.source for d in ctx.index.incoming.get(m, ()) if d.source in ctx.index.services}
        partners.discard(m)
        if len(partners) == 1 and partners <= ctx.member_set:
            out.append((s, next(iter(partners))))
    return out


def pairs(ctx: GroupContext) -> list[tuple[str, str]]:
    return [pair(s.id, p) for s, p in nano_partners(ctx)]


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = nano_partners(ctx)
    if not found:
        return None
    summary = "; ".join(
        f"{s.id} requests {(s.cpu_request or 0) * 1000:.0f}m CPU and {(s.memory_request or 0) // (1024 * 1024)} MiB "
        f"on one replica and serves only {p}" for s, p in found
    )
    deps = [d for s, p in found for d in ctx.internal if {d.source, d.target} == {s.id, p}]
    evidence = limited_evidence(set(evidence_of(deps)) | {e for s, _ in found for e in s.evidence})
    return Signal("ADV109", "nano-service", "for", round(weight * min(len(found), 2), 3), summary,
                  tuple(sorted({x for s, p in found for x in (s.id, p)})), evidence)


RULE = Rule("ADV109", "nano-service", "for", 0.75, evaluate, pairs, doc=__doc__ or "")
