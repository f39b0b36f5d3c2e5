"""The advisor's configuration (``advisor.yaml``) and every default, documented in one place.

All coupling weights, thresholds and clustering settings live here. A missing file means the
defaults; an unknown key or a value of the wrong type is a :class:`ConfigError` naming the key,
so that a typo never silently changes the advice.

Coupling weights (what one piece of evidence adds to the coupling of two services):

``sync``              1.0  one service calls the other synchronously (HTTP, gRPC ...)
``sync_volume``       1.0  extra for call volume, on a log scale: the busiest edge gets the full amount
``mutual``            2.0  extra when both call each other
``cycle``             1.0  extra when both sit on one synchronous cycle (strongly connected component)
``shared_datastore``  3.0  both use the same database/schema: the clearest sign they are one service
``async``             1.0  producer and consumer of one topic or queue, divided by its number of consumers
``declared``          0.3  a dependency only declared (catalog ``dependsOn``), not seen in config or traffic
``co_change``         2.0  changed together across repositories (scaled by the degree of coupling)
``same_team``         1.25 multiplier when both services have the same owner
``cross_team``        0.5  multiplier when their owners differ (merging across teams is expensive)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import yaml

from inventory.documents import DEFAULT_LIMITS, Limits, safe_load
from inventory.errors import ConfigError
from inventory.live import LiveSource, parse_lookback
from inventory.options import DEFAULT_OWNER_KEYS, ReadOptions


@dataclass(frozen=True)
class Weights:
    sync: float = 1.0
    sync_volume: float = 1.0
    mutual: float = 2.0
    cycle: float = 1.0
    shared_datastore: float = 3.0
    async_: float = 1.0
    declared: float = 0.3
    co_change: float = 2.0
    same_team: float = 1.25
    cross_team: float = 0.5


@dataclass(frozen=True)
class Infrastructure:
    """When something shared stops being coupling and becomes infrastructure.

    A datastore used by more than ``max_datastore_users`` services, or by services of more than
    ``max_datastore_teams`` owners, is a shared platform (a company-wide cache, a cluster); a
    topic with more than ``max_topic_consumers`` consumers is a broadcast. Neither couples its users.
    """

    max_datastore_users: int = 12
    max_datastore_teams: int = 3
    max_topic_consumers: int = 8


@dataclass(frozen=True)
class Hubs:
    """A service called by at least ``min_callers`` services and ``min_share`` of all services is a
    hub (auth, notifications, a gateway's backend): it is reported and never merged into a cluster."""

    min_callers: int = 5
    min_share: float = 0.1


@dataclass(frozen=True)
class Clustering:
    """Community detection settings.

    ``resolution`` is ``"auto"`` (modularity resolution ``factor * N / <k>`` on the coupling graph,
    which keeps groups of 2-12 services at every inventory size) or a fixed number.
    """

    resolution: float | str = "auto"
    factor: float = 0.16
    min_size: int = 2
    max_size: int = 12
    seeds: int = 8
    resolution_spread: tuple[float, ...] = (0.7, 1.0, 1.4)


@dataclass(frozen=True)
class Proposals:
    """Which clusters become proposals, and per-rule switches (``rules: {chatty-pair: {enabled: false}}``)."""

    min_score: float = 0.3
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    security_labels: tuple[str, ...] = ("pci", "security-zone", "data-classification", "compliance")
    per_pod_overhead_cpu: float = 0.1
    per_pod_overhead_memory: int = 128 * 1024 * 1024
    per_service_cost: Mapping[str, float] = field(default_factory=lambda: {
        "pipelines": 1.0, "dashboards": 1.0, "on_call_rotations": 0.2, "repositories": 1.0,
    })


@dataclass(frozen=True)
class CoChange:
    """Change coupling from git history (code-maat's definition and minimums).

    Commits are grouped into logical commits by the ticket id ``ticket_pattern`` finds in the
    subject, else by author and day. A pair counts when both services changed in at least
    ``min_revs`` logical commits, shared at least ``min_shared_revs``, with a degree of coupling
    (shared / average changes) of at least ``min_coupling``; logical commits touching more than
    ``max_changeset_size`` services are ignored. ``repositories`` are read when no ``--git`` is given.
    """

    ticket_pattern: str = r"\b[A-Z][A-Z0-9]+-\d+\b"
    min_revs: int = 5
    min_shared_revs: int = 5
    min_coupling: float = 0.30
    max_changeset_size: int = 30
    max_commits: int = 100_000
    since: str = ""
    repositories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Live:
    """Live sources read over HTTP on every analysis (tokens only from the environment:
    ``ADVISOR_JAEGER_TOKEN``, ``ADVISOR_BACKSTAGE_TOKEN``, ``ADVISOR_PROMETHEUS_TOKEN``).

    ``jaeger``, ``backstage`` and ``prometheus`` are base URLs (empty: not read); the lookbacks are
    durations such as ``7d`` or ``24h``; ``prometheus_query`` replaces the default PromQL sum over
    ``istio_requests_total``.
    """

    jaeger: str = ""
    jaeger_lookback: str = "7d"
    backstage: str = ""
    prometheus: str = ""
    prometheus_lookback: str = "7d"
    prometheus_query: str = ""


@dataclass(frozen=True)
class Config:
    """Everything the advisor can be told. ``Config()`` is the documented default."""

    seed: int = 42
    weights: Weights = field(default_factory=Weights)
    infrastructure: Infrastructure = field(default_factory=Infrastructure)
    hubs: Hubs = field(default_factory=Hubs)
    clustering: Clustering = field(default_factory=Clustering)
    proposals: Proposals = field(default_factory=Proposals)
    co_change: CoChange = field(default_factory=CoChange)
    live: Live = field(default_factory=Live)
    never_merge: tuple[tuple[str, ...], ...] = ()
    keep_separate: tuple[str, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    owner_keys: tuple[str, ...] = DEFAULT_OWNER_KEYS
    limits: Limits = DEFAULT_LIMITS
    store: str | None = None
    source: str | None = None

    def read_options(self) -> ReadOptions:
        return ReadOptions(owner_keys=self.owner_keys, aliases=self.aliases, owners=self.owners, limits=self.limits)

    def live_sources(self) -> list[LiveSource]:
        """The live sources this configuration names (a bad lookback is a ConfigError)."""
        out: list[LiveSource] = []
        live = self.live
        if live.jaeger:
            out.append(LiveSource("jaeger", live.jaeger, parse_lookback(live.jaeger_lookback)))
        if live.backstage:
            out.append(LiveSource("backstage", live.backstage))
        if live.prometheus:
            out.append(LiveSource("prometheus", live.prometheus, parse_lookback(live.prometheus_lookback),
                                  live.prometheus_query or None))
        return out


_SECTION_TYPES: dict[str, type] = {
    "weights": Weights, "infrastructure": Infrastructure, "hubs": Hubs, "clustering": Clustering,
    "proposals": Proposals, "limits": Limits, "co_change": CoChange, "live": Live,
}
_FIELD_ALIASES = {"async": "async_"}


def _coerce(value: Any, default: Any, key: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, not {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be a whole number, not {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key} must be a number, not {value!r}")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key} must be a list, not {value!r}")
        return tuple(value)
    if isinstance(default, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{key} must be a mapping, not {value!r}")
        return dict(value)
    return value


def _section(cls: type, data: Any, name: str) -> Any:
    if data is None:
        return cls()
    if not isinstance(data, Mapping):
        raise ConfigError(f"'{name}' must be a mapping of settings, not {data!r}")
    defaults = cls()
    known = {f.name: f for f in fields(cls)}
    changes: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = _FIELD_ALIASES.get(str(raw_key), str(raw_key).replace("-", "_"))
        if key not in known:
            allowed = ", ".join(sorted(k.rstrip("_") for k in known))
            raise ConfigError(f"unknown setting '{name}.{raw_key}'; known settings are: {allowed}")
        default = getattr(defaults, key)
        if key == "resolution":
            if value != "auto" and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
                raise ConfigError(f"{name}.resolution must be 'auto' or a positive number, not {value!r}")
            changes[key] = value if value == "auto" else float(value)
            continue
        changes[key] = _coerce(value, default, f"{name}.{raw_key}")
        if cls is Proposals and key == "rules":
            changes[key] = _rule_settings(changes[key])
    return replace(defaults, **changes)


def _rule_settings(value: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``proposals.rules``: every name must be a registered rule, with ``enabled``/``weight`` only."""
    from advisor.rules import RULES_BY_NAME  # rules import this module: resolve the registry lazily

    out: dict[str, dict[str, Any]] = {}
    for name, settings in value.items():
        if name not in RULES_BY_NAME:
            known = ", ".join(sorted(RULES_BY_NAME))
            raise ConfigError(f"unknown rule '{name}' in proposals.rules; rules are: {known}")
        if not isinstance(settings, Mapping):
            raise ConfigError(f"proposals.rules.{name} must be a mapping such as {{enabled: false}} or {{weight: 2}}")
        checked: dict[str, Any] = {}
        for key, v in settings.items():
            if key == "enabled":
                if not isinstance(v, bool):
                    raise ConfigError(f"proposals.rules.{name}.enabled must be true or false, not {v!r}")
            elif key == "weight":
                if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                    raise ConfigError(f"proposals.rules.{name}.weight must be a number of points >= 0, not {v!r}")
            else:
                raise ConfigError(f"unknown setting '{key}' for rule {name}; use enabled or weight")
            checked[str(key)] = v
        out[str(name)] = checked
    return out


def _names_map(data: Any, key: str) -> dict[str, tuple[str, ...]]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"'{key}' must map a name to a list of names")
    out: dict[str, tuple[str, ...]] = {}
    for k, v in data.items():
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"'{key}.{k}' must be a list of names")
        out[str(k)] = tuple(v)
    return out


def parse_config(data: Any, *, source: str | None = None) -> Config:
    """A :class:`Config` from already-loaded YAML data (a mapping, or None for the defaults).

    >>> parse_config({"weights": {"shared_datastore": 5}}).weights.shared_datastore
    5.0
    """
    if data is None:
        return Config(source=source)
    if not isinstance(data, Mapping):
        raise ConfigError("the configuration must be a mapping of settings")
    known = {f.name for f in fields(Config)} - {"source"}
    changes: dict[str, Any] = {"source": source}
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in known:
            raise ConfigError(f"unknown setting '{raw_key}'; known settings are: {', '.join(sorted(known))}")
        if key in _SECTION_TYPES:
            changes[key] = _section(_SECTION_TYPES[key], value, key)
        elif key == "seed":
            changes[key] = _coerce(value, 0, "seed")
        elif key in ("aliases", "owners"):
            changes[key] = _names_map(value, key)
        elif key == "never_merge":
            if not isinstance(value, list) or not all(
                isinstance(g, list) and len(g) >= 2 and all(isinstance(x, str) for x in g) for g in value
            ):
                raise ConfigError("'never_merge' must be a list of lists of at least two service names")
            changes[key] = tuple(tuple(g) for g in value)
        elif key in ("keep_separate", "owner_keys"):
            if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                raise ConfigError(f"'{raw_key}' must be a list of names")
            changes[key] = tuple(value)
        elif key == "store":
            if value is not None and not isinstance(value, str):
                raise ConfigError("'store' must be a file path")
            changes[key] = value
    return replace(Config(), **changes)


def load_config(path: str | os.PathLike[str] | None) -> Config:
    """Read ``advisor.yaml``; ``None`` gives the defaults."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration {p}: {exc.strerror}") from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"the configuration {p} is not valid YAML: {exc}") from None
    config = parse_config(data, source=str(p))
    if config.store is None:
        config = replace(config, store=str(p.parent / ".advisor" / "decisions.sqlite"))
    elif not os.path.isabs(config.store):
        config = replace(config, store=str(p.parent / config.store))
    return config


def config_as_dict(config: Config) -> dict[str, Any]:
    """The settings that shaped a report, for the report itself (plain data, stable order)."""
    def plain(obj: Any) -> Any:
        if hasattr(obj, "__dataclass_fields__"):
            return {f.name.rstrip("_"): plain(getattr(obj, f.name)) for f in fields(obj)}
        if isinstance(obj, Mapping):
            return {str(k): plain(v) for k, v in sorted(obj.items())}
        if isinstance(obj, tuple | list):
            return [plain(v) for v in obj]
        return obj

    out = plain(config)
    out.pop("source", None)
    out.pop("store", None)
    return out
