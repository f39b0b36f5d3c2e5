"""different-runtime (ADV202): the members are written in different languages or runtimes.

What it detects: members whose known runtimes (from catalog tags, labels or the native inventory)
differ.

Why it matters: merging a Java service and a Go service is a rewrite of one of them, not a
merge; colocating them (stage 1 of the plan) still works, merging the code does not come cheap.

Evidence: where each member's runtime was read.
"""

from __future__ import annotations

from collections import defaultdict

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, fmt_list, limited_evidence


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    by_runtime: dict[str, list[str]] = defaultdict(list)
    for m in ctx.members:
        runtime = ctx.service(m).runtime
        if runtime:
            by_runtime[runtime.lower()].append(m)
    if len(by_runtime) < 2:
        return None
    summary = "different runtimes: " + "; ".join(
        f"{r} ({fmt_list(sorted(ms))})" for r, ms in sorted(by_runtime.items()))
    evidence = limited_evidence({e for ms in by_runtime.values() for m in ms for e in ctx.service(m).evidence})
    return Signal("ADV202", "different-runtime", "against", round(weight, 3), summary,
                  tuple(sorted(m for ms in by_runtime.values() for m in ms)), evidence)


RULE = Rule("ADV202", "different-runtime", "against", 1.0, evaluate, doc=__doc__ or "")
