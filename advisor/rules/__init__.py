"""The merge rules: one module per rule, registered here in code order.

Every rule can be switched off or re-weighted in ``advisor.yaml``::

    proposals:
      rules:
        chatty-pair: {enabled: false}
        shared-datastore: {weight: 4}
"""

from __future__ import annotations

from advisor.rules import (
    chatty_pair,
    cross_team,
    declared_dependency,
    different_runtime,
    entity_overlap,
    hub,
    independent_release,
    lockstep_change,
    mutual_calls,
    nano_service,
    pass_through,
    same_owner,
    scaling_mismatch,
    security_boundary,
    shared_datastore,
    single_consumer_topic,
    sync_calls,
    sync_cycle,
    traffic_tooling,
)
from advisor.rules.base import GroupContext, Indexes, Rule

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            m.RULE
            for m in (
                shared_datastore, sync_cycle, mutual_calls, chatty_pair, single_consumer_topic, lockstep_change,
                same_owner, entity_overlap, independent_release,
                pass_through, nano_service, sync_calls, declared_dependency, cross_team, different_runtime,
                scaling_mismatch, hub, security_boundary, traffic_tooling,
            )
        ),
        key=lambda r: r.code,
    )
)
RULES_BY_NAME = {r.name: r for r in RULES}

__all__ = ["RULES", "RULES_BY_NAME", "GroupContext", "Indexes", "Rule"]
