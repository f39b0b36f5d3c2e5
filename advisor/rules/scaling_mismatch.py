"""scaling-mismatch (ADV203): the members scale an order of magnitude apart.

What it detects: replica counts, or CPU requests per replica, that differ by a factor of ten or
more between members (nano-services are left out of the CPU comparison: folding a service that
requests next to nothing into a bigger one is the point, not a mismatch).

Why it matters: one merged deployment must be sized for its hungriest part; a service that runs
40 replicas merged with one that runs 2 either over-provisions the small one twenty-fold or loses
the independent scaling that justified the split.

Evidence: where the replica counts and requests were read.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, limited_evidence
from advisor.rules.nano_service import is_nano

FACTOR = 10.0


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    services = [ctx.service(m) for m in ctx.members]
    parts = []
    involved: set[str] = set()
    with_replicas = [s for s in services if s.replicas]
    if len(with_replicas) >= 2:
        lo = min(with_replicas, key=lambda s: (s.replicas or 0, s.id))
        hi = max(with_replicas, key=lambda s: (s.replicas or 0, s.id))
        if (hi.replicas or 0) >= FACTOR * (lo.replicas or 1):
            parts.append(f"{hi.id} runs {hi.replicas} replicas, {lo.id} runs {lo.replicas}")
            involved |= {hi.id, lo.id}
    with_cpu = [s for s in services if s.cpu_request and not is_nano(s)]
    if len(with_cpu) >= 2:
        lo = min(with_cpu, key=lambda s: (s.cpu_request or 0, s.id))
        hi = max(with_cpu, key=lambda s: (s.cpu_request or 0, s.id))
        if (hi.cpu_request or 0) >= FACTOR * (lo.cpu_request or 0):
            parts.append(f"{hi.id} requests {hi.cpu_request:g} cores per replica, {lo.id} {lo.cpu_request:g}")
            involved |= {hi.id, lo.id}
    if not parts:
        return None
    evidence = limited_evidence({e for s in services if s.id in involved for e in s.evidence})
    return Signal("ADV203", "scaling-mismatch", "against", round(weight, 3), "; ".join(parts),
                  tuple(sorted(involved)), evidence)


RULE = Rule("ADV203", "scaling-mismatch", "against", 1.0, evaluate, doc=__doc__ or "")
