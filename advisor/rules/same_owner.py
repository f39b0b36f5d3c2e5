"""same-owner (ADV107): every member is owned by the same team.

What it detects: all members have a known owner and it is the same one.

Why it matters: a team that owns several tightly coupled services pays for every seam (a
repository, a pipeline, a deployment, an on-call page) without the benefit service boundaries
exist for, which is letting teams work independently.

Evidence: where each member's owner was read.
"""

from __future__ import annotations

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, limited_evidence


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    owners = {ctx.service(m).owner for m in ctx.members}
    if len(owners) != 1 or None in owners:
        return None
    owner = next(iter(owners))
    evidence = limited_evidence({e for m in ctx.members for e in ctx.service(m).evidence})
    return Signal("ADV107", "same-owner", "for", round(weight, 3), f"all {len(ctx.members)} are owned by {owner}",
                  ctx.members, evidence)


RULE = Rule("ADV107", "same-owner", "for", 1.0, evaluate, doc=__doc__ or "")
