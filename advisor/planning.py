"""A staged plan for one merge: deploy together, then merge code and pipelines, then merge data.

Each stage lists what changes (which calls become local, which topics become method calls, which
datastores are merged) and the risks that the counter-signals named, so that a team can stop
after any stage with something working.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.model import PlanStep, Signal
from advisor.rules.base import GroupContext, fmt_list
from inventory.model import DATASTORE_KINDS


def plan_merge(ctx: GroupContext, signals: Sequence[Signal], counter: Sequence[Signal]) -> tuple[PlanStep, ...]:
    members = list(ctx.members)
    sync = sorted({(d.source, d.target) for d in ctx.internal if d.kind == "sync"})
    topics = sorted({d.via for d in ctx.internal if d.kind == "async" and d.via})
    datastores = sorted({
        d.target for m in members for d in ctx.index.outgoing.get(m, ())
        if d.target in ctx.index.resources and ctx.index.resources[d.target].kind in DATASTORE_KINDS
    })
    risks = [f"{s.name}: {s.summary}" for s in counter]

    stage1 = [f"run {fmt_list(members)} in one pod (or one process) behind their existing APIs and Service names"]
    stage1 += [f"{a} → {b} becomes a loopback call" for a, b in sync[:10]]
    if len(sync) > 10:
        stage1.append(f"and {len(sync) - 10} more calls become loopback calls")
    stage2 = ["merge the repositories and pipelines into one build and one release",
              "replace the loopback calls with method calls; keep the public APIs the callers outside the group use"]
    stage2 += [f"topic {t} becomes an in-process call or event" for t in topics]
    stage3 = [f"merge the data in {ctx.index.resources[r].name} under one owner and schema" for r in datastores] or [
        "no datastore to merge: the members keep no data of their own"]
    shared = [s for s in signals if s.name == "shared-datastore"]
    if shared:
        stage3.append("the shared schema stops being a cross-service contract")
    return (
        PlanStep("deploy-together", "Deploy together", tuple(stage1),
                 tuple(r for r in risks if r.startswith(("scaling-mismatch", "security-boundary")))),
        PlanStep("merge-code", "Merge code and pipelines", tuple(stage2),
                 tuple(r for r in risks if r.startswith(("cross-team", "different-runtime", "hub")))),
        PlanStep("merge-data", "Merge the data", tuple(stage3),
                 tuple(r for r in risks if r.startswith("security-boundary"))),
    )
