"""traffic-tooling (ADV207): a member is a load generator or an edge proxy, not application code.

What it detects: members whose name or image says they generate test traffic (``load-generator``,
``loadgen``, ``user-sim``, Locust, k6, JMeter, Gatling, Vegeta) or sit at the edge as a proxy
(a name ending in ``-proxy``/``-edge``/``edge-router``, or an Envoy, HAProxy, Traefik or Caddy image).

Why it matters: a load generator calls the front door and a proxy routes back to its web UI, so
the two often look mutually coupled; neither is business logic, and folding tooling or the edge
into an application service ties the application's releases to them.

Evidence: where the member's workload or image was read.
"""

from __future__ import annotations

import re

from advisor.model import Signal
from advisor.rules.base import GroupContext, Rule, limited_evidence

_LOAD = re.compile(r"(?:^|[-_/])(?:load-?gen(?:erator)?|loadtest|user-?sim|locust|k6|jmeter|gatling|vegeta)(?:$|[-_:])")
_EDGE_NAME = re.compile(r"(?:-proxy|-edge|^edge-router|^edge-proxy)$")
_EDGE_IMAGE = re.compile(r"(?:^|/)(?:envoy|envoyproxy|haproxy|traefik|caddy)(?::|$|-)")


def _kind(service_name: str, images: tuple[str, ...]) -> str | None:
    name = service_name.lower()
    repos = [i.lower().split("@", 1)[0] for i in images]
    if _LOAD.search(name) or any(_LOAD.search(i) for i in repos):
        return "a load generator"
    if _EDGE_NAME.search(name) or any(_EDGE_IMAGE.search(i) for i in repos):
        return "an edge proxy"
    return None


def evaluate(ctx: GroupContext, weight: float) -> Signal | None:
    found = [(m, kind) for m in ctx.members if (kind := _kind(ctx.service(m).name, ctx.service(m).images))]
    if not found:
        return None
    summary = "; ".join(f"{m} is {kind}, not application code" for m, kind in found)
    evidence = limited_evidence({e for m, _ in found for e in ctx.service(m).evidence})
    return Signal("ADV207", "traffic-tooling", "against", round(weight, 3), summary,
                  tuple(m for m, _ in found), evidence)


RULE = Rule("ADV207", "traffic-tooling", "against", 4.0, evaluate, doc=__doc__ or "")
