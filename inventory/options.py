"""Options that change how inputs are read, passed explicitly to every reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from inventory.documents import DEFAULT_LIMITS, Limits

#: Label and annotation keys that name the owning team, first match wins.
DEFAULT_OWNER_KEYS: tuple[str, ...] = (
    "team",
    "owner",
    "squad",
    "app.kubernetes.io/owner",
    "app.kubernetes.io/team",
    "backstage.io/owner",
    "owner.team",
    "com.company.team",
)


@dataclass(frozen=True)
class ReadOptions:
    """How to read inputs and join identities.

    ``aliases`` maps a canonical service name to other names it has in other sources; ``owners``
    maps a team to the services it owns (both from ``advisor.yaml`` or the native inventory).
    """

    owner_keys: tuple[str, ...] = DEFAULT_OWNER_KEYS
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    limits: Limits = DEFAULT_LIMITS
    normalise_names: bool = True
    external_datastores: bool = True


DEFAULT_OPTIONS = ReadOptions()
