"""A generator of realistic service inventories whose structure is known.

``generate(out_dir, services=1000, seed=1)`` writes what a platform team would dump from its
clusters, and a ``truth.json`` that says what is planted in it::

    out_dir/
      inventory/                      <- point the advisor here
        infrastructure/*.yaml         Kafka (messaging), shared Redis (platform), OTel collector
        platform/platform.yaml        the hubs (auth, notifications, ...) and their databases
        <domain>/deployments.yaml     three domains in four: ``kubectl get -o yaml`` style, split by
        <domain>/services.yaml          kind, with live metadata and ``last-applied-configuration``
        <domain>/config.yaml
        <domain>/<namespace>.yaml     the others: ``helm template`` style, one file per namespace
        <domain>/asyncapi.yaml        AsyncAPI 2.6 documents of the services that use topics
      truth.json                      what was planted (see :class:`Truth`)

The same ``services`` and ``seed`` give byte-identical output. ``services`` counts the
application Deployments (hubs included); datastores, the broker, the cache and the collector come
on top. At 20,000 services the inventory is about 80 MB and 57,000 YAML documents (issue 7 names
75 MB and 55,000); libyaml needs about 2.5 µs per node and these files hold about 225 nodes per
service.

What is planted
---------------
* **Domains** of 20-60 services, one namespace each (two for the larger ones), with 2-5 teams;
  every workload carries a ``team:`` label.
* **Merge groups** of 2-12 services (about two thirds of the services): one team, small requests,
  one or two replicas. Most (88%) share a database *schema* (a dedicated StatefulSet, or a schema of
  the domain's shared Postgres cluster; half the groups over six services have two schemas
  bridged by a mutual pair instead of one); all have a spanning tree of sync calls with mutual
  pairs, sometimes a three-cycle, and often a private topic with one producer and one consumer.
  Groups that share no schema have more mutual pairs and always a private topic.
* **Hubs** (``auth``, ``notifications``, ...) called by 11-35% of all services.
* **Infrastructure**: one Kafka cluster used by every service that touches a topic, a Redis that a
  quarter of all services use (across every team), an OpenTelemetry collector that most services
  export to, and per domain a Postgres cluster whose *schemas* belong to different groups and
  services.
* **Decoys**: cross-team pairs (mutual sync calls between services of different teams), loosely
  coupled neighbours (one-way calls between groups and singletons, inside and across domains),
  broadcast topics with 9-40 consumers, a few references to external APIs (which must come out as
  unresolved references), and planted secrets (Secret data, a few passwords written into
  connection strings) that must never appear in any output.

References are written in the forms real manifests use: ``name:port``, ``http://name:port/path``,
``http://name.ns.svc.cluster.local:port/path``, ``name.ns.svc:port``, ``$(NAME_SERVICE_HOST)``,
``jdbc:postgresql://db:5432/schema``, ``postgres://user:$(DB_PASSWORD)@db:5432/schema``,
``mongodb://db.ns.svc.cluster.local:27017/schema``, separate ``DB_HOST``/``DB_NAME``, a
``configMapKeyRef``, ``envFrom`` a ConfigMap, a mounted Spring ``application.yaml``, and an init
container that waits for its database with ``nc``.

Usage::

    python -m bench.generate --services 5000 --seed 1 --out /tmp/inv5000
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
INVENTORY_DIR = "inventory"
TRUTH_FILE = "truth.json"

DOMAIN_WORDS = (
    "billing", "payments", "orders", "catalog", "inventory", "shipping", "checkout", "pricing", "customers",
    "loyalty", "marketing", "fulfilment", "returns", "reviews", "recommendations", "ads", "fraud", "risk",
    "accounts", "ledger", "tax", "invoicing", "subscriptions", "promotions", "warehouse", "logistics",
    "delivery", "routing", "fleet", "drivers", "merchants", "partners", "onboarding", "support", "content",
    "media", "documents", "contracts", "quotes", "claims", "underwriting", "bookings", "reservations",
    "travel",
    "hotels", "flights", "tickets", "venues", "payroll", "learning", "courses", "devices", "firmware",
    "maps", "places", "weather", "trading", "portfolio", "settlement", "clearing", "lending", "cards",
    "wallets", "rewards", "gifting", "carts", "wishlist", "sellers", "listings", "auctions", "chat", "feeds",
    "social", "scheduling", "appointments", "clinics", "patients", "prescriptions", "labs", "insurance",
)
NOUNS = (
    "ledger", "invoice", "account", "balance", "statement", "refund", "charge", "payout", "quote", "order",
    "cart", "item", "sku", "price", "discount", "coupon", "voucher", "shipment", "parcel", "label", "carrier",
    "route", "slot", "booking", "ticket", "seat", "fare", "schedule", "calendar", "profile", "address",
    "preference", "review", "rating", "comment", "image", "thumbnail", "document", "contract", "claim",
    "policy", "premium", "alert", "report", "batch", "reconcile", "transfer", "wallet", "card", "limit",
    "quota", "plan", "usage", "meter", "tariff", "receipt", "journal", "dispute", "chargeback", "mandate",
    "beneficiary", "merchant", "terminal", "device", "reading", "forecast", "allocation", "picking",
    "packing", "dispatch", "tracking", "eta", "driver", "vehicle", "zone", "tenant", "member", "badge",
)
SUFFIXES = (
    "api", "worker", "sync", "processor", "scheduler", "reader", "writer", "engine", "gateway", "bff",
    "importer", "publisher", "projector", "validator", "calculator", "manager", "web", "admin", "jobs",
)
TEAM_WORDS = (
    "falcons", "otters", "lynx", "herons", "badgers", "orcas", "foxes", "ravens", "bisons", "pumas",
    "cranes", "wolves", "geckos", "hawks", "koalas", "moose",
)
EVENTS = (
    "created", "updated", "cancelled", "completed", "failed", "approved", "rejected", "scheduled",
    "settled", "expired", "assigned", "released",
)
#: Hubs, with the share of all services that call them.
HUBS = (
    ("auth", 0.35), ("notifications", 0.25), ("audit-log", 0.2), ("feature-flags", 0.18),
    ("user-profile", 0.15), ("rate-limiter", 0.14), ("geo-ip", 0.13), ("currency-rates", 0.12),
    ("tenant-directory", 0.12), ("email-sender", 0.11), ("document-render", 0.11), ("id-generator", 0.11),
)
#: Hubs call a few other hubs.
HUB_CALLS = (("notifications", "user-profile"), ("notifications", "email-sender"), ("user-profile", "auth"),
             ("document-render", "feature-flags"))
GROUP_SIZES = (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
GROUP_SIZE_WEIGHTS = (20, 20, 15, 12, 10, 6, 5, 4, 3, 2, 2)
RUNTIMES = ("java", "go", "node", "python", "dotnet")
DEFAULT_PORTS = {"java": 8080, "go": 8080, "node": 3000, "python": 8000, "dotnet": 5000}
STORE_TECH = {
    # tech: (image, port, data path)
    "postgres": ("postgres:15.6-alpine", 5432, "/var/lib/postgresql/data"),
    "mysql": ("mysql:8.0.36", 3306, "/var/lib/mysql"),
    "mongodb": ("mongo:6.0.14", 27017, "/data/db"),
}
REDIS_URL = "redis://redis-shared.platform.svc.cluster.local:6379/0"
OTEL_ENDPOINT = "http://otel-collector.observability.svc.cluster.local:4317"
KAFKA_HOSTS = ",".join(f"kafka-{i}.kafka-headless.messaging.svc.cluster.local:9092" for i in range(3))
EXTERNAL_APIS = (
    ("PAYMENT_PROVIDER_URL", "https://api.payments-provider.example.com/v2"),
    ("ADDRESS_LOOKUP_URL", "https://geo.address-lookup.example.net/v1/search"),
    ("SMS_GATEWAY_URL", "https://sms.gateway-partner.example.org/api"),
    ("CRM_BASE_URL", "https://crm.saas-vendor.example.com/rest"),
)


# --------------------------------------------------------------------------------------------
# The truth
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Truth:
    """What one generated inventory contains, for scoring an analysis of it.

    ``groups`` are the planted merge groups (service names, sorted). ``hubs`` and
    ``infrastructure`` (resource names: broker, shared cache, collector, shared Postgres clusters)
    must never be proposed for a merge. ``cross_team_pairs`` and ``neighbours`` are pairs that must
    not end up in one proposal. ``edges`` lists every dependency written into the manifests as
    ``[source, target, category, via]`` with category ``sync``, ``datastore``, ``cache``, ``broker``,
    ``telemetry`` or ``messaging`` (producer -> consumer through topic ``via``). ``secrets`` are the
    secret values planted in the inventory: none may appear in any output.
    """

    seed: int
    services: int
    inventory: str
    files: int
    documents: int
    bytes: int
    groups: tuple[tuple[str, ...], ...]
    hubs: tuple[str, ...]
    infrastructure: tuple[str, ...]
    cross_team_pairs: tuple[tuple[str, str], ...]
    neighbours: tuple[tuple[str, str], ...]
    broadcast_topics: Mapping[str, tuple[str, ...]]
    private_topics: tuple[str, ...]
    teams: Mapping[str, str]
    edges: tuple[tuple[str, str, str, str | None], ...]
    external_references: int
    secrets: tuple[str, ...]
    group_details: tuple[Mapping[str, object], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "services": self.services,
            "inventory": self.inventory,
            "files": self.files,
            "documents": self.documents,
            "bytes": self.bytes,
            "groups": [list(g) for g in self.groups],
            "group_details": list(self.group_details),
            "hubs": list(self.hubs),
            "infrastructure": list(self.infrastructure),
            "cross_team_pairs": [list(p) for p in self.cross_team_pairs],
            "neighbours": [list(p) for p in self.neighbours],
            "broadcast_topics": {k: list(v) for k, v in self.broadcast_topics.items()},
            "private_topics": list(self.private_topics),
            "teams": dict(self.teams),
            "edges": [list(e) for e in self.edges],
            "external_references": self.external_references,
            "secrets": list(self.secrets),
        }


def load_truth(path: str | Path) -> Truth:
    """Read a ``truth.json`` written by :func:`generate`."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return Truth(
        seed=data["seed"],
        services=data["services"],
        inventory=data["inventory"],
        files=data["files"],
        documents=data["documents"],
        bytes=data["bytes"],
        groups=tuple(tuple(g) for g in data["groups"]),
        hubs=tuple(data["hubs"]),
        infrastructure=tuple(data["infrastructure"]),
        cross_team_pairs=tuple((a, b) for a, b in data["cross_team_pairs"]),
        neighbours=tuple((a, b) for a, b in data["neighbours"]),
        broadcast_topics={k: tuple(v) for k, v in data["broadcast_topics"].items()},
        private_topics=tuple(data["private_topics"]),
        teams=dict(data["teams"]),
        edges=tuple((s, t, c, v) for s, t, c, v in data["edges"]),
        external_references=data["external_references"],
        secrets=tuple(data["secrets"]),
        group_details=tuple(data.get("group_details", ())),
    )


# --------------------------------------------------------------------------------------------
# The plan: what exists and who uses what
# --------------------------------------------------------------------------------------------


@dataclass
class _Store:
    name: str
    namespace: str
    domain: str
    tech: str
    team: str
    cluster: bool = False
    password: str = ""


@dataclass
class _App:
    name: str
    domain: str
    namespace: str
    team: str
    runtime: str
    port: int
    service_port: int
    grpc: bool
    replicas: int
    cpu_m: int
    memory_mi: int
    version: str
    style: str
    group: int | None = None
    hub: bool = False
    calls: dict[str, None] = field(default_factory=dict)
    store: tuple[_Store, str | None] | None = None
    cache: bool = False
    kafka: bool = False
    otel: bool = False
    produces: list[str] = field(default_factory=list)
    consumes: list[str] = field(default_factory=list)
    external: list[tuple[str, str]] = field(default_factory=list)
    literal_password: str | None = None
    wait_for_db: bool = False


@dataclass
class _Domain:
    name: str
    namespaces: list[str]
    teams: list[str]
    apps: list[_App] = field(default_factory=list)
    stores: list[_Store] = field(default_factory=list)
    layout: str = "helm"


@dataclass
class _Plan:
    apps: dict[str, _App]
    hubs: list[_App]
    domains: list[_Domain]
    platform_stores: list[_Store]
    groups: list[list[str]]
    group_details: list[dict[str, object]]
    cross_team: list[tuple[str, str]]
    neighbours: list[tuple[str, str]]
    broadcast: dict[str, tuple[str, ...]]
    private_topics: list[str]


class _Names:
    """Globally unique service and store names."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, name: str) -> bool:
        if name in self.taken:
            return False
        self.taken.add(name)
        return True


def _domain_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        word = DOMAIN_WORDS[i % len(DOMAIN_WORDS)]
        rnd = i // len(DOMAIN_WORDS)
        names.append(word if rnd == 0 else f"{word}{rnd + 1}")
    return names


def _domain_sizes(total: int, rng: random.Random) -> list[int]:
    sizes: list[int] = []
    remaining = total
    while remaining > 0:
        if remaining <= 60:
            sizes.append(remaining)
            break
        size = rng.randint(20, 60)
        if remaining - size < 20:
            size = remaining - 20 if remaining - 20 >= 20 else remaining
        sizes.append(size)
        remaining -= size
    return sizes


def _resources(rng: random.Random, small: bool) -> tuple[int, int, int]:
    if small:
        return (rng.choice((50, 50, 100, 100, 150)), rng.choice((64, 96, 128, 128, 192)),
                rng.choice((1, 1, 1, 2)))
    return (rng.choice((250, 500, 500, 750, 1000, 1500)), rng.choice((384, 512, 768, 1024, 1536, 2048)),
            rng.choice((2, 2, 3, 3, 4, 6)))


def _new_app(name: str, domain: str, namespace: str, team: str, rng: random.Random, *, small: bool,
             hub: bool = False) -> _App:
    runtime = rng.choice(RUNTIMES)
    grpc = runtime in ("go", "java") and rng.random() < 0.25
    port = 50051 if grpc else DEFAULT_PORTS[runtime]
    service_port = port if grpc or rng.random() < 0.7 else 80
    cpu, mem, replicas = _resources(rng, small)
    if hub:
        cpu, mem, replicas = rng.choice((500, 1000, 2000)), rng.choice((1024, 2048)), rng.randint(4, 12)
    r = rng.random()
    style = ("spring" if runtime == "java" and r < 0.3 else
             "keyref" if r > 0.9 else "envfrom" if r > 0.82 else "env")
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}"
    return _App(name, domain, namespace, team, runtime, port, service_port, grpc, replicas, cpu, mem, version,
                style, hub=hub)


def _service_name(domain: str, noun: str, names: _Names, rng: random.Random) -> str:
    for _ in range(50):
        name = f"{domain}-{noun}-{rng.choice(SUFFIXES)}"
        if names.claim(name):
            return name
        noun = rng.choice(NOUNS)
    i = 2
    while not names.claim(f"{domain}-{noun}-{i}"):
        i += 1
    return f"{domain}-{noun}-{i}"


def _plan(total: int, seed: int) -> _Plan:
    rng = random.Random(seed)
    names = _Names()
    apps: dict[str, _App] = {}
    n_hubs = min(len(HUBS), max(3, round(2 + total / 2000)))
    n_hubs = min(n_hubs, max(1, total // 10))
    hubs: list[_App] = []
    platform_stores: list[_Store] = []
    for hub_name, _share in HUBS[:n_hubs]:
        names.claim(hub_name)
        team = "team-identity" if hub_name == "auth" else "team-platform"
        app = _new_app(hub_name, "platform", "platform", team, rng, small=False, hub=True)
        hubs.append(app)
        apps[hub_name] = app
        if rng.random() < 0.7:
            store = _Store(f"{hub_name}-db", "platform", "platform", "postgres", app.team,
                           password=_password(rng))
            names.claim(store.name)
            platform_stores.append(store)
            app.store = (store, hub_name.replace("-", "_"))

    domains: list[_Domain] = []
    sizes = _domain_sizes(total - n_hubs, rng)
    groups: list[list[str]] = []
    group_details: list[dict[str, object]] = []
    private_topics: list[str] = []
    neighbours: list[tuple[str, str]] = []
    for dname, size in zip(_domain_names(len(sizes)), sizes, strict=True):
        namespaces = [dname] if size <= 45 else [dname, f"{dname}-core"]
        n_teams = min(len(TEAM_WORDS), max(2, min(5, round(size / 12))))
        teams = [f"{dname}-{w}" for w in rng.sample(TEAM_WORDS, n_teams)]
        domain = _Domain(dname, namespaces, teams, layout="helm" if rng.random() < 0.25 else "kubectl")
        domains.append(domain)
        cluster = _Store(f"{dname}-pg", namespaces[0], dname, "postgres", "platform-dba", cluster=True,
                         password=_password(rng))
        names.claim(cluster.name)
        cluster_used = False
        used_stems: set[str] = set()

        grouped_target = round(size * 0.6)
        filled = 0
        domain_groups: list[list[_App]] = []
        while size - filled >= 2 and filled < grouped_target:
            k = rng.choices(GROUP_SIZES, GROUP_SIZE_WEIGHTS)[0]
            k = min(k, size - filled)
            if k < 2:
                break
            team = rng.choice(teams)
            namespace = rng.choice(namespaces)
            stem = _stem_noun(used_stems, rng)
            shared_stem = rng.random() < 0.6
            members = []
            for _ in range(k):
                noun = stem if shared_stem else rng.choice(NOUNS)
                name = _service_name(dname, noun, names, rng)
                app = _new_app(name, dname, namespace, team, rng, small=True)
                app.group = len(groups)
                members.append(app)
            filled += k
            domain_groups.append(members)
            detail = _plant_group(members, domain, cluster, stem, rng, names, private_topics)
            if detail.pop("uses_cluster"):
                cluster_used = True
            groups.append(sorted(a.name for a in members))
            detail["members"] = sorted(a.name for a in members)
            detail["team"] = team
            detail["domain"] = dname
            group_details.append(detail)
            for a in members:
                domain.apps.append(a)
        singles: list[_App] = []
        for _ in range(size - filled):
            app = _new_app(_service_name(dname, rng.choice(NOUNS), names, rng), dname, rng.choice(namespaces),
                           rng.choice(teams), rng, small=False)
            singles.append(app)
            domain.apps.append(app)
            r = rng.random()
            if r < 0.25:
                tech = rng.choice(("postgres", "mysql", "mongodb"))
                store = _Store(f"{app.name}-db", app.namespace, dname, tech, app.team,
                               password=_password(rng))
                names.claim(store.name)
                domain.stores.append(store)
                app.store = (store, app.name.split("-", 1)[1].replace("-", "_"))
                app.wait_for_db = rng.random() < 0.2
            elif r < 0.45:
                cluster_used = True
                app.store = (cluster, app.name.split("-", 1)[1].replace("-", "_"))
        if cluster_used:
            domain.stores.insert(0, cluster)
        for app in domain.apps:
            apps[app.name] = app
        # loosely coupled neighbours inside the domain: one-way calls between groups and singletons
        for members in domain_groups:
            if rng.random() < 0.6:
                src = rng.choice(members)
                others = [a for a in domain.apps if a.group != src.group]
                if others:
                    tgt = rng.choice(others)
                    if tgt.name not in src.calls and src.name not in tgt.calls:
                        src.calls[tgt.name] = None
                        neighbours.append((src.name, tgt.name))
        for app in singles:
            for _ in range(rng.choice((0, 1, 1, 2))):
                tgt = rng.choice(domain.apps)
                if tgt is app or tgt.name in app.calls or app.name in tgt.calls:
                    continue
                app.calls[tgt.name] = None
                neighbours.append((app.name, tgt.name))
        for store in domain.stores:
            names.claim(store.name)

    app_list = [a for d in domains for a in d.apps]
    # neighbours across domains (fully qualified names)
    for _ in range(len(app_list) // 25):
        src, tgt = rng.choice(app_list), rng.choice(app_list)
        if src.domain == tgt.domain or tgt.name in src.calls or src.name in tgt.calls:
            continue
        src.calls[tgt.name] = None
        neighbours.append((src.name, tgt.name))

    # cross-team pairs: mutual sync calls between services that different teams own
    cross_team: list[tuple[str, str]] = []
    paired: set[str] = set()
    singles_all = [a for a in app_list if a.group is None]
    want = max(1, total // 100)
    for _ in range(want * 20):
        if len(cross_team) >= want:
            break
        pool = singles_all if rng.random() < 0.7 and singles_all else app_list
        a, b = rng.choice(pool), rng.choice(app_list)
        if a.team == b.team or a.name in paired or b.name in paired or a is b:
            continue
        if a.name in b.calls or b.name in a.calls:
            continue
        a.calls[b.name] = None
        b.calls[a.name] = None
        paired.update((a.name, b.name))
        cross_team.append((a.name, b.name) if a.name < b.name else (b.name, a.name))

    # broadcast topics: one producer, many consumers across domains
    broadcast: dict[str, tuple[str, ...]] = {}
    for i in range(max(1, total // 400)):
        producer = rng.choice(app_list)
        topic = f"{producer.domain}.{producer.name.split('-')[1]}.{rng.choice(EVENTS)}.v{i % 3 + 1}"
        if topic in broadcast or len(app_list) < 12:
            continue
        n_consumers = rng.randint(9, max(9, min(40, len(app_list) // 4)))
        sample = rng.sample(app_list, min(len(app_list), n_consumers + 1))
        consumers = [a for a in sample if a is not producer]
        consumers = consumers[:n_consumers]
        producer.produces.append(topic)
        for c in consumers:
            c.consumes.append(topic)
        broadcast[topic] = tuple(sorted(c.name for c in consumers))

    # hubs, shared cache, broker, collector, external APIs
    for app in app_list:
        for hub, (_n, share) in zip(hubs, HUBS, strict=False):
            if rng.random() < share:
                app.calls[hub.name] = None
        app.cache = rng.random() < 0.25
        app.otel = rng.random() < 0.7
        app.kafka = bool(app.produces or app.consumes) or rng.random() < 0.05
        if rng.random() < 0.03:
            app.external.append(rng.choice(EXTERNAL_APIS))
    for hub in hubs:
        hub.otel = True
        hub.cache = rng.random() < 0.5
    by_name = {h.name: h for h in hubs}
    for caller, callee in HUB_CALLS:
        if caller in by_name and callee in by_name:
            by_name[caller].calls[callee] = None
    for app in app_list:
        if app.store is not None and not app.store[0].cluster and rng.random() < 0.02:
            app.literal_password = app.store[0].password
    return _Plan(apps, hubs, domains, platform_stores, groups, group_details, cross_team, neighbours,
                 broadcast, private_topics)


def _stem_noun(used: set[str], rng: random.Random) -> str:
    """A noun no other group of the domain uses (it names the group's schema and database)."""
    for _ in range(100):
        noun = rng.choice(NOUNS)
        if noun not in used:
            used.add(noun)
            return noun
    noun = f"{rng.choice(NOUNS)}{len(used)}"
    used.add(noun)
    return noun


def _password(rng: random.Random) -> str:
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(rng.choice(alphabet) for _ in range(20))


def _plant_group(members: list[_App], domain: _Domain, cluster: _Store, stem: str, rng: random.Random,
                 names: _Names, private_topics: list[str]) -> dict[str, object]:
    """Wire one merge group: shared schema(s), sync calls with mutual pairs, maybe a private topic."""
    k = len(members)
    signals: list[str] = ["same-team"]
    uses_cluster = False
    stores: list[str] = []
    shares_data = rng.random() < 0.88
    split = k > 6 and rng.random() < 0.5
    subsets = [members[: k // 2], members[k // 2:]] if split else [members]
    if shares_data:
        for i, subset in enumerate(subsets):
            users = list(subset)
            if len(users) >= 4 and rng.random() < 0.25:
                users.pop(rng.randrange(len(users)))
            schema = f"{stem}{'_' + str(i + 1) if len(subsets) > 1 else ''}"
            if rng.random() < 0.3:
                store, uses_cluster = cluster, True
                stores.append(f"{cluster.name}/{schema}")
            else:
                suffix = f"-{i + 1}" if len(subsets) > 1 else ""
                tech = rng.choice(("postgres", "postgres", "mysql", "mongodb"))
                store = _Store(f"{domain.name}-{stem}{suffix}-db", users[0].namespace, domain.name, tech,
                               users[0].team, password=_password(rng))
                names.claim(store.name)
                domain.stores.append(store)
                stores.append(f"{store.name}/{schema}")
            wait = rng.random() < 0.3 and not store.cluster
            for app in users:
                app.store = (store, schema)
                app.wait_for_db = wait and rng.random() < 0.5
        signals.append("shared-datastore")
    # a spanning tree of sync calls, some made mutual, sometimes a three-cycle
    tree: list[tuple[_App, _App]] = []
    for i in range(1, k):
        a, b = members[i], members[rng.randrange(i)]
        if rng.random() < 0.5:
            a, b = b, a
        a.calls[b.name] = None
        tree.append((a, b))
    if tree:
        # without a shared schema the calls and the topic must hold the group together: more mutual pairs
        for a, b in rng.sample(tree, max(1, k // 3 if shares_data else (k - 1) // 2)):
            b.calls[a.name] = None
        signals.append("mutual-calls")
    if len(subsets) > 1 and shares_data:
        # the two schemas of a large group are bridged by a mutual pair
        a, b = rng.choice(subsets[0]), rng.choice(subsets[1])
        a.calls[b.name] = None
        b.calls[a.name] = None
    if k >= 3 and rng.random() < 0.3:
        a, b, c = rng.sample(members, 3)
        for x, y in ((a, b), (b, c), (c, a)):
            x.calls[y.name] = None
        signals.append("sync-cycle")
    if rng.random() < 0.5 or not shares_data:
        producer, consumer = rng.sample(members, 2)
        topic = f"{domain.name}.{stem}.{rng.choice(EVENTS)}"
        n = 2
        while topic in private_topics:
            topic = f"{domain.name}.{stem}.{rng.choice(EVENTS)}.{n}"
            n += 1
        producer.produces.append(topic)
        consumer.consumes.append(topic)
        private_topics.append(topic)
        signals.append("single-consumer-topic")
    return {"signals": signals, "datastores": stores, "uses_cluster": uses_cluster}


# --------------------------------------------------------------------------------------------
# Rendering: plain string templates (much faster than yaml.dump, and the shape real dumps have)
# --------------------------------------------------------------------------------------------


def _env_name(name: str) -> str:
    return name.upper().replace("-", "_").replace(".", "_")


def _host(target: _App | _Store, source_ns: str, fqdn: bool) -> str:
    if target.namespace != source_ns or fqdn:
        return f"{target.name}.{target.namespace}.svc.cluster.local"
    return target.name


def _sync_reference(src: _App, tgt: _App, rng: random.Random) -> tuple[str, str, str]:
    """(env var name, value, form) for a call from src to tgt."""
    short = tgt.name.removeprefix(f"{src.domain}-") if tgt.domain == src.domain else tgt.name
    var = _env_name(short)
    same = tgt.namespace == src.namespace
    fqdn = f"{tgt.name}.{tgt.namespace}.svc.cluster.local"
    port = tgt.service_port
    portpart = "" if port == 80 and rng.random() < 0.5 else f":{port}"
    r = rng.random()
    if tgt.grpc:
        if same and r < 0.5:
            return f"{var}_ADDR", f"{tgt.name}:{port}", "hostport"
        if r < 0.75:
            return f"{var}_GRPC_TARGET", f"{tgt.name}.{tgt.namespace}.svc:{port}", "hostport-ns"
        return f"{var}_ADDR", f"{tgt.name}.{tgt.namespace}.svc.cluster.local:{port}", "hostport-fqdn"
    path = rng.choice(("", "/api", "/api/v1", "/v1", "/v2", "/internal"))
    if same:
        if r < 0.3:
            return f"{var}_ADDR", f"{tgt.name}:{port}", "hostport"
        if r < 0.6:
            return f"{var}_URL", f"http://{tgt.name}{portpart}{path}", "url"
        if r < 0.85:
            return f"{var}_BASE_URL", f"http://{fqdn}{portpart}{path}", "url-fqdn"
        if r < 0.95:
            return f"{var}_HOST", f"{tgt.name}.{tgt.namespace}", "bare-ns"
        return (f"{var}_URL", f"http://$({_env_name(tgt.name)}_SERVICE_HOST):$({_env_name(tgt.name)}_SERVICE_PORT)",
                "kubelet")
    if r < 0.6:
        return f"{var}_BASE_URL", f"http://{fqdn}{portpart}{path}", "url-fqdn"
    if r < 0.8:
        return f"{var}_URL", f"http://{tgt.name}.{tgt.namespace}.svc{portpart}{path}", "url-svc"
    return f"{var}_ADDR", f"{tgt.name}.{tgt.namespace}:{port}", "hostport-ns"


def _store_references(src: _App, store: _Store, schema: str | None,
                      rng: random.Random) -> list[tuple[str, str]]:
    """Env vars (name, value) that connect src to its datastore."""
    host = _host(store, src.namespace, rng.random() < 0.3)
    port = STORE_TECH[store.tech][1]
    user = (schema or "app").replace("_", "")[:16]
    password = src.literal_password or "$(DB_PASSWORD)"
    r = rng.random()
    if store.tech == "mongodb":
        if r < 0.7:
            return [("MONGODB_URI", f"mongodb://{user}:{password}@{host}:{port}/{schema}?authSource=admin")]
        return [("SPRING_DATA_MONGODB_URI", f"mongodb://{host}:{port}/{schema}")]
    scheme = "postgresql" if store.tech == "postgres" else "mysql"
    if not store.cluster and r < 0.2:
        return [("DB_HOST", host), ("DB_PORT", str(port)), ("DB_NAME", str(schema)), ("DB_USER", user)]
    if r < 0.6:
        return [("SPRING_DATASOURCE_URL", f"jdbc:{scheme}://{host}:{port}/{schema}"),
                ("SPRING_DATASOURCE_USERNAME", user)]
    url_scheme = "postgres" if store.tech == "postgres" else "mysql"
    query = "?sslmode=disable" if store.tech == "postgres" else "?charset=utf8mb4"
    return [("DATABASE_URL", f"{url_scheme}://{user}:{password}@{host}:{port}/{schema}{query}")]


def _q(value: str) -> str:
    return f'"{value}"'


def _env(name: str, value: str) -> str:
    """One ``env`` entry of a container (at the indentation the templates use)."""
    return f"            - name: {name}\n              value: {_q(value)}\n"


def _runtime_env(app: _App) -> tuple[str, str, str]:
    """A setting of the service's runtime, as its manifests often carry one."""
    if app.runtime == "go":
        return ("v", "GOMAXPROCS", str(max(1, app.cpu_m // 1000)))
    if app.runtime == "node":
        return ("v", "NODE_ENV", "production")
    if app.runtime == "python":
        return ("v", "GUNICORN_WORKERS", "3")
    return ("v", "ASPNETCORE_URLS", f"http://+:{app.port}")


def _env_yaml(entries: Sequence[tuple[str, ...]]) -> str:
    """``("v", name, value)`` and ``("r", name, source, ref, key)`` entries as YAML."""
    return "".join(_env(e[1], e[2]) if e[0] == "v" else _env_ref(e[1], e[2], e[3], e[4]) for e in entries)


def _last_applied(app: _App, entries: Sequence[tuple[str, ...]], cpu_limit: int | None) -> str:
    """What ``kubectl apply`` leaves in ``kubectl.kubernetes.io/last-applied-configuration``: compact JSON."""
    env = [{"name": e[1], "value": e[2]} if e[0] == "v" else
           {"name": e[1], "valueFrom": {e[2]: {"key": e[4], "name": e[3]}}} for e in entries]
    labels = {"app": app.name, "app.kubernetes.io/part-of": app.domain, "team": app.team}
    resources = {"requests": {"cpu": f"{app.cpu_m}m", "memory": f"{app.memory_mi}Mi"}}
    if cpu_limit:
        resources["limits"] = {"cpu": f"{cpu_limit}m", "memory": f"{app.memory_mi * 2}Mi"}
    container = {
        "env": env, "image": f"registry.example.com/{app.domain}/{app.name}:{app.version}",
        "name": app.name.rsplit("-", 1)[-1],
        "ports": [{"containerPort": app.port, "name": "grpc" if app.grpc else "http"}],
        "resources": resources,
    }
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"annotations": {}, "labels": labels, "name": app.name, "namespace": app.namespace},
        "spec": {"replicas": app.replicas, "selector": {"matchLabels": {"app": app.name}},
                 "template": {"metadata": {"labels": {"app": app.name, "team": app.team}},
                              "spec": {"containers": [container]}}},
    }
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def _env_ref(name: str, source: str, ref: str, key: str) -> str:
    """An ``env`` entry from a ConfigMap key (``configMapKeyRef``) or a Secret key (``secretKeyRef``)."""
    return (f"            - name: {name}\n              valueFrom:\n                {source}:\n"
            f"                  name: {ref}\n                  key: {key}\n")


_SECURITY = """          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop:
                - ALL
"""


class _Renderer:
    """Turns the plan into files. Counts documents and bytes as it goes."""

    def __init__(self, plan: _Plan, root: Path, seed: int) -> None:
        self.plan = plan
        self.root = root
        self.rng = random.Random(seed * 7919 + 17)
        self.files = 0
        self.documents = 0
        self.bytes = 0
        self.edges: list[tuple[str, str, str, str | None]] = []
        self.external = 0
        self.secrets: list[str] = []
        self.called = {t for a in plan.apps.values() for t in a.calls}

    # -- files ---------------------------------------------------------------------------------

    def write(self, relative: str, docs: Sequence[str]) -> None:
        text = "".join(docs)
        data = text.encode("utf-8")
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.documents += len(docs)
        self.bytes += len(data)

    # -- Kubernetes objects ----------------------------------------------------------------------

    def deployment(self, app: _App, source: str | None) -> tuple[str, list[str]]:
        """The Deployment and the ConfigMaps it needs."""
        rng = self.rng
        plan = self.plan
        env: list[tuple[str, ...]] = []
        cm_data: list[tuple[str, str]] = []
        envfrom_data: list[tuple[str, str]] = []
        spring: list[tuple[str, str]] = []
        cm_name = f"{app.name}-config"
        if not app.otel:
            env.append(("v", "SERVICE_NAME", app.name))
        if rng.random() < 0.2:
            env.append(("v", "LOG_LEVEL", rng.choice(("info", "info", "warn", "debug"))))
        if app.runtime == "java":
            env.append(("v", "JAVA_TOOL_OPTIONS", "-XX:MaxRAMPercentage=75 -XX:+UseG1GC"))
        elif rng.random() < 0.5:
            env.append(_runtime_env(app))
        used_vars: set[str] = set()

        def put(var: str, value: str, channel: str) -> None:
            if var in used_vars:
                return
            used_vars.add(var)
            if channel == "keyref":
                key = var.lower().replace("_", ".")
                cm_data.append((key, value))
                env.append(("r", var, "configMapKeyRef", cm_name, key))
            elif channel == "envfrom":
                envfrom_data.append((var, value))
            elif channel == "spring":
                spring.append((var, value))
            else:
                env.append(("v", var, value))

        channel_default = app.style
        for target_name in app.calls:
            tgt = plan.apps[target_name]
            var, value, form = _sync_reference(app, tgt, rng)
            channel = channel_default if form != "kubelet" else "env"
            if channel != "env" and rng.random() < 0.3:
                channel = "env"
            put(var, value, channel)
            self.edges.append((app.name, tgt.name, "sync", None))
        init: list[str] = []
        if app.store is not None:
            store, schema = app.store
            refs = _store_references(app, store, schema, rng)
            channel = channel_default if channel_default in ("keyref", "spring") and len(refs) == 2 else "env"
            if channel == "spring" and refs[0][0] != "SPRING_DATASOURCE_URL":
                channel = "env"
            for var, value in refs:
                put(var, value, channel if "$(" not in value else "env")
            if any("$(DB_PASSWORD)" in v for _, v in refs):
                env.insert(0, ("r", "DB_PASSWORD", "secretKeyRef", f"{store.name}-credentials", "password"))
            names_schema = any(f"/{schema}" in v for _, v in refs)
            self.edges.append((app.name, store.name, "datastore", schema if names_schema else None))
            if app.wait_for_db:
                port = STORE_TECH[store.tech][1]
                host = _host(store, app.namespace, False)
                wait = f"until nc -z {host} {port}; do echo waiting for {store.name}; sleep 2; done"
                init.append(
                    f"        - name: wait-for-db\n          image: busybox:1.36\n          command:\n"
                    f"            - sh\n            - -c\n            - {wait}\n"
                    f"          resources:\n            requests:\n              cpu: 10m\n"
                    f"              memory: 16Mi\n")
        if app.cache:
            put("REDIS_URL", REDIS_URL, "env")
            self.edges.append((app.name, "redis-shared", "cache", None))
        if app.kafka:
            put("KAFKA_BOOTSTRAP_SERVERS", KAFKA_HOSTS, "env" if channel_default != "envfrom" else "envfrom")
            if app.consumes:
                put("KAFKA_CONSUMER_GROUP", app.name, "env")
            self.edges.append((app.name, "kafka", "broker", None))
        if app.otel:
            put("OTEL_EXPORTER_OTLP_ENDPOINT", OTEL_ENDPOINT, "env")
            self.edges.append((app.name, "otel-collector", "telemetry", None))
        for var, value in app.external:
            put(var, value, "env")
            self.external += 1
        if app.literal_password:
            self.secrets.append(app.literal_password)

        configmaps: list[str] = []
        helm = source is not None
        volumes = ["        - name: tmp\n          emptyDir: {}\n"] if helm else []
        mounts = ["            - name: tmp\n              mountPath: /tmp\n"] if helm else []
        if cm_data or envfrom_data or rng.random() < 0.04:
            items = cm_data + envfrom_data
            extra = [("feature.new-checkout", rng.choice(("true", "false"))),
                     ("http.timeout-ms", str(rng.choice((500, 1000, 2000, 5000)))),
                     ("retry.max-attempts", str(rng.randint(2, 5)))]
            lines = "".join(f"  {k}: {_q(v)}\n" for k, v in items + extra)
            configmaps.append(
                f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {cm_name}\n"
                f"  namespace: {app.namespace}\n"
                f"  labels:\n    app: {app.name}\n    app.kubernetes.io/part-of: {app.domain}\n"
                f"    team: {app.team}\n"
                f"data:\n{lines}")
        env_from = ""
        if envfrom_data:
            env_from = f"          envFrom:\n            - configMapRef:\n                name: {cm_name}\n"
        if spring:
            app_yaml = [
                "    server:\n", f"      port: {app.port}\n",
                "    management:\n      endpoints:\n        web:\n          exposure:\n",
                "            include: health,info,prometheus\n",
            ]
            datasource = ("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME")
            clients = [(k, v) for k, v in spring if k not in datasource]
            ds = dict(spring)
            if "SPRING_DATASOURCE_URL" in ds:
                app_yaml.append("    spring:\n      datasource:\n")
                app_yaml.append(f"        url: {ds['SPRING_DATASOURCE_URL']}\n")
                app_yaml.append(f"        username: {ds.get('SPRING_DATASOURCE_USERNAME', 'app')}\n")
                app_yaml.append("        hikari:\n          maximum-pool-size: 10\n")
            if clients:
                app_yaml.append("    clients:\n")
                for k, v in clients:
                    app_yaml.append(f"      {k.lower().replace('_', '-')}:\n        base-url: {v}\n"
                                    f"        timeout: {rng.choice((1, 2, 5))}s\n")
            configmaps.append(
                f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {app.name}-application\n"
                f"  namespace: {app.namespace}\n  labels:\n    app: {app.name}\n    team: {app.team}\n"
                f"data:\n  application.yaml: |\n{''.join(app_yaml)}")
            volumes.append(f"        - name: application-config\n          configMap:\n"
                           f"            name: {app.name}-application\n")
            mounts.append("            - name: application-config\n              mountPath: /config\n"
                          "              readOnly: true\n")
            env.append(("v", "SPRING_CONFIG_ADDITIONAL_LOCATION", "/config/"))

        probe = (f"tcpSocket:\n              port: {app.port}" if app.grpc
                 else "httpGet:\n              path: /healthz\n              port: http")
        probes = f"          livenessProbe:\n            {probe}\n            initialDelaySeconds: 20\n"
        if rng.random() < 0.25:
            probes = f"          readinessProbe:\n            {probe}\n            periodSeconds: 10\n{probes}"
        cpu_limit = app.cpu_m * rng.choice((2, 4)) if rng.random() < 0.4 else None
        limits = (f"            limits:\n              cpu: {cpu_limit}m\n"
                  f"              memory: {app.memory_mi * 2}Mi\n") if cpu_limit else ""
        init_block = ("      initContainers:\n" + "".join(init)) if init else ""
        if helm:
            worker = app.name.endswith(("worker", "processor", "jobs", "scheduler", "sync"))
            header = f"---\n# Source: {source}\n"
            labels = (f"    app.kubernetes.io/name: {app.name}\n    app.kubernetes.io/instance: {app.domain}\n"
                      f"    app.kubernetes.io/component: {'worker' if worker else 'backend'}\n"
                      f"    app.kubernetes.io/managed-by: Helm\n    helm.sh/chart: {app.domain}-{app.version}\n")
            annotations = (f"    meta.helm.sh/release-name: {app.domain}\n"
                           f"    meta.helm.sh/release-namespace: {app.namespace}\n")
            security = _SECURITY
            pod_annotations = "      annotations:\n        prometheus.io/scrape: \"true\"\n"
            version = f"    app.kubernetes.io/version: {_q(app.version)}\n"
        else:
            header, labels, security, pod_annotations, version = "---\n", "", "", "", ""
            applied = _last_applied(app, env, cpu_limit)
            annotations = (f"    kubectl.kubernetes.io/last-applied-configuration: |\n      {applied}\n"
                           f"    deployment.kubernetes.io/revision: {_q(str(rng.randint(1, 60)))}\n")
        volume_block = f"          volumeMounts:\n{''.join(mounts)}      volumes:\n{''.join(volumes)}" if mounts else ""
        doc = (
            f"{header}apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {app.name}\n"
            f"  namespace: {app.namespace}\n  labels:\n    app: {app.name}\n{labels}"
            f"    app.kubernetes.io/part-of: {app.domain}\n{version}    team: {app.team}\n"
            f"{self.live_metadata(helm)}  annotations:\n{annotations}"
            f"spec:\n  replicas: {app.replicas}\n  selector:\n    matchLabels:\n      app: {app.name}\n"
            f"  template:\n    metadata:\n      labels:\n        app: {app.name}\n"
            f"        team: {app.team}\n{pod_annotations}"
            f"    spec:\n{init_block}"
            f"      containers:\n        - name: {app.name.rsplit('-', 1)[-1]}\n"
            f"          image: registry.example.com/{app.domain}/{app.name}:{app.version}\n"
            f"          ports:\n            - name: {'grpc' if app.grpc else 'http'}\n"
            f"              containerPort: {app.port}\n"
            f"          env:\n{_env_yaml(env)}{env_from}"
            f"          resources:\n            requests:\n              cpu: {app.cpu_m}m\n"
            f"              memory: {app.memory_mi}Mi\n{limits}"
            f"{probes}{security}{volume_block}"
        )
        return doc, configmaps

    def live_metadata(self, helm: bool) -> str:
        """What a live object carries in ``kubectl get -o yaml`` (nothing for ``helm template`` output)."""
        if helm:
            return ""
        rng = self.rng
        uid = f"{rng.getrandbits(128):032x}"
        stamp = (f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                 f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z")
        return (f"  creationTimestamp: \"{stamp}\"\n  generation: {rng.randint(1, 90)}\n"
                f"  resourceVersion: \"{rng.randint(10**6, 10**9)}\"\n"
                f"  uid: {uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:]}\n")

    def has_service(self, app: _App) -> bool:
        """Whether the app has a Service: background workers that nobody calls often have none."""
        return app.name in self.called or app.hub or app.name.endswith(("api", "gateway", "web", "bff")) \
            or self.rng.random() < 0.55

    def service(self, app: _App, source: str | None) -> str:
        header = f"---\n# Source: {source}\n" if source else "---\n"
        name = "grpc" if app.grpc else "http"
        return (
            f"{header}apiVersion: v1\nkind: Service\nmetadata:\n  name: {app.name}\n"
            f"  namespace: {app.namespace}\n"
            f"  labels:\n    app: {app.name}\n    team: {app.team}\n"
            f"spec:\n  selector:\n    app: {app.name}\n"
            f"  ports:\n    - name: {name}\n      port: {app.service_port}\n      targetPort: {name}\n"
        )

    def store(self, store: _Store) -> list[str]:
        """The Secret (when the dump has it), StatefulSet and Service of one datastore."""
        image, port, data_path = STORE_TECH[store.tech]
        encoded = base64.b64encode(store.password.encode()).decode()
        with_secret = self.rng.random() < 0.35
        if with_secret:
            self.secrets.extend((store.password, encoded))
        secret = (
            f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {store.name}-credentials\n"
            f"  namespace: {store.namespace}\n  labels:\n    app: {store.name}\n    team: {store.team}\n"
            f"type: Opaque\ndata:\n  password: {encoded}\n"
        )
        tech_env = {
            "postgres": ("POSTGRES_PASSWORD", "PGDATA", f"{data_path}/pgdata"),
            "mysql": ("MYSQL_ROOT_PASSWORD", "MYSQL_DATABASE", "app"),
            "mongodb": ("MONGO_INITDB_ROOT_PASSWORD", "MONGO_INITDB_DATABASE", "app"),
        }[store.tech]
        replicas = 3 if store.cluster else 1
        cpu, mem = ("2", "8Gi") if store.cluster else ("250m", "512Mi")
        sts = (
            f"---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {store.name}\n"
            f"  namespace: {store.namespace}\n  labels:\n    app: {store.name}\n"
            f"    app.kubernetes.io/name: {store.tech}\n    team: {store.team}\n"
            f"spec:\n  serviceName: {store.name}\n  replicas: {replicas}\n"
            f"  selector:\n    matchLabels:\n      app: {store.name}\n"
            f"  template:\n    metadata:\n      labels:\n        app: {store.name}\n"
            f"    spec:\n      containers:\n"
            f"        - name: {store.tech}\n          image: {image}\n"
            f"          ports:\n            - name: db\n              containerPort: {port}\n"
            f"          env:\n            - name: {tech_env[0]}\n              valueFrom:\n"
            "                secretKeyRef:\n"
            f"                  name: {store.name}-credentials\n                  key: password\n"
            f"            - name: {tech_env[1]}\n              value: {_q(tech_env[2])}\n"
            f"          resources:\n            requests:\n              cpu: {cpu}\n"
            f"              memory: {mem}\n"
            f"          volumeMounts:\n            - name: data\n              mountPath: {data_path}\n"
            f"  volumeClaimTemplates:\n    - metadata:\n        name: data\n      spec:\n"
            f"        accessModes:\n          - ReadWriteOnce\n        resources:\n          requests:\n"
            f"            storage: {'200Gi' if store.cluster else '20Gi'}\n"
        )
        svc = (
            f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {store.name}\n"
            f"  namespace: {store.namespace}\n"
            f"  labels:\n    app: {store.name}\n    team: {store.team}\n"
            f"spec:\n  clusterIP: None\n  selector:\n    app: {store.name}\n"
            f"  ports:\n    - name: db\n      port: {port}\n      targetPort: db\n"
        )
        return [secret, sts, svc] if with_secret else [sts, svc]

    def asyncapi(self, app: _App) -> str:
        channels: list[str] = []
        messages: list[str] = []
        for role, topics in (("subscribe", app.produces), ("publish", app.consumes)):
            for topic in topics:
                event = "".join(p.capitalize() for p in topic.split(".")[1:3]) or "Event"
                partitions = (3, 6, 12, 24)[zlib.crc32(topic.encode()) % 4]
                op = ("publish" if role == "subscribe" else "on") + event
                group = (f"      bindings:\n        kafka:\n          groupId:\n            type: string\n"
                         f"            enum:\n              - {app.name}\n") if role == "publish" else ""
                channels.append(
                    f"  {topic}:\n    bindings:\n      kafka:\n        partitions: {partitions}\n"
                    f"    {role}:\n      operationId: {op}\n{group}"
                    f"      message:\n        $ref: '#/components/messages/{event}'\n")
                messages.append(
                    f"    {event}:\n      name: {event}\n      contentType: application/json\n"
                    "      payload:\n        type: object\n        properties:\n"
                    "          id:\n            type: string\n            format: uuid\n"
                    "          occurredAt:\n            type: string\n            format: date-time\n")
        unique_messages = "".join(dict.fromkeys(messages))
        return (
            f"---\nasyncapi: 2.6.0\n"
            f"info:\n  title: {app.name}\n  version: {app.version}\n"
            f"  description: {_q(f'Events that {app.name} of team {app.team} publishes and consumes.')}\n"
            "servers:\n  production:\n    url: kafka.messaging.svc.cluster.local:9092\n    protocol: kafka\n"
            f"channels:\n{''.join(channels)}"
            f"components:\n  messages:\n{unique_messages}"
        )

    # -- whole inventory -------------------------------------------------------------------------

    def render(self) -> None:
        plan = self.plan
        self.infrastructure()
        docs: list[str] = []
        for hub in plan.hubs:
            dep, cms = self.deployment(hub, f"platform/templates/{hub.name}/deployment.yaml")
            docs.extend([*cms, dep, self.service(hub, f"platform/templates/{hub.name}/service.yaml")])
        for store in plan.platform_stores:
            docs.extend(self.store(store))
        self.write("platform/platform.yaml", docs)
        for domain in plan.domains:
            self.render_domain(domain)
        consumers: dict[str, list[str]] = {}
        for app in plan.apps.values():
            for topic in app.consumes:
                consumers.setdefault(topic, []).append(app.name)
        for app in [*plan.hubs, *(a for d in plan.domains for a in d.apps)]:
            for topic in app.produces:
                for consumer in consumers.get(topic, ()):
                    self.edges.append((app.name, consumer, "messaging", topic))

    def render_domain(self, domain: _Domain) -> None:
        if domain.layout == "helm":
            for ns in domain.namespaces:
                docs: list[str] = []
                for store in domain.stores:
                    if store.namespace == ns:
                        docs.extend(self.store(store))
                for app in domain.apps:
                    if app.namespace != ns:
                        continue
                    base = f"{domain.name}/templates/{app.name.split('-', 1)[1]}"
                    dep, cms = self.deployment(app, f"{base}/deployment.yaml")
                    docs.extend(cms)
                    if self.has_service(app):
                        docs.append(self.service(app, f"{base}/service.yaml"))
                    docs.append(dep)
                self.write(f"{domain.name}/{ns}.yaml", docs)
        else:
            workloads: list[str] = []
            services: list[str] = []
            config: list[str] = []
            for store in domain.stores:
                *secret, sts, svc = self.store(store)
                config.extend(secret)
                workloads.append(sts)
                services.append(svc)
            for app in domain.apps:
                dep, cms = self.deployment(app, None)
                workloads.append(dep)
                config.extend(cms)
                if self.has_service(app):
                    services.append(self.service(app, None))
            self.write(f"{domain.name}/deployments.yaml", workloads)
            self.write(f"{domain.name}/services.yaml", services)
            if config:
                self.write(f"{domain.name}/config.yaml", config)
        async_docs = [self.asyncapi(a) for a in domain.apps if a.produces or a.consumes]
        if async_docs:
            self.write(f"{domain.name}/asyncapi.yaml", async_docs)

    def infrastructure(self) -> None:
        kafka = (
            "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: kafka\n  namespace: messaging\n"
            "  labels:\n    app: kafka\n    app.kubernetes.io/name: kafka\n    team: platform-messaging\n"
            "spec:\n  serviceName: kafka-headless\n  replicas: 3\n  selector:\n    matchLabels:\n"
            "      app: kafka\n"
            "  template:\n    metadata:\n      labels:\n        app: kafka\n    spec:\n      containers:\n"
            "        - name: kafka\n          image: confluentinc/cp-kafka:7.6.0\n          ports:\n"
            "            - name: kafka\n              containerPort: 9092\n          env:\n"
            "            - name: KAFKA_PROCESS_ROLES\n              value: \"broker,controller\"\n"
            "            - name: KAFKA_LISTENERS\n              value: \"PLAINTEXT://:9092,CONTROLLER://:9093\"\n"
            "          resources:\n            requests:\n              cpu: \"2\"\n"
            "              memory: 8Gi\n"
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: kafka\n  namespace: messaging\n"
            "  labels:\n    app: kafka\nspec:\n  selector:\n    app: kafka\n  ports:\n    - name: kafka\n"
            "      port: 9092\n"
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: kafka-headless\n  namespace: messaging\n"
            "  labels:\n    app: kafka\nspec:\n  clusterIP: None\n  selector:\n    app: kafka\n  ports:\n"
            "    - name: kafka\n      port: 9092\n"
        )
        redis = (
            "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: redis-shared\n"
            "  namespace: platform\n"
            "  labels:\n    app: redis-shared\n    team: team-platform\nspec:\n  serviceName: redis-shared\n"
            "  replicas: 3\n  selector:\n    matchLabels:\n      app: redis-shared\n  template:\n"
            "    metadata:\n"
            "      labels:\n        app: redis-shared\n    spec:\n      containers:\n        - name: redis\n"
            "          image: redis:7.2.4-alpine\n          ports:\n            - name: redis\n"
            "              containerPort: 6379\n          resources:\n            requests:\n"
            "              cpu: \"1\"\n              memory: 4Gi\n"
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: redis-shared\n  namespace: platform\n"
            "spec:\n  selector:\n    app: redis-shared\n  ports:\n    - name: redis\n      port: 6379\n"
        )
        otel = (
            "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: otel-collector\n"
            "  namespace: observability\n  labels:\n    app: otel-collector\n    team: team-observability\n"
            "spec:\n  selector:\n    matchLabels:\n      app: otel-collector\n  template:\n    metadata:\n"
            "      labels:\n        app: otel-collector\n    spec:\n      containers:\n"
            "        - name: collector\n"
            "          image: otel/opentelemetry-collector-contrib:0.98.0\n          ports:\n"
            "            - name: otlp-grpc\n              containerPort: 4317\n"
            "            - name: otlp-http\n              containerPort: 4318\n"
            "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: otel-collector\n"
            "  namespace: observability\n"
            "spec:\n  selector:\n    app: otel-collector\n  ports:\n    - name: otlp-grpc\n      port: 4317\n"
            "    - name: otlp-http\n      port: 4318\n"
        )
        self.write("infrastructure/kafka.yaml", _split_docs(kafka))
        self.write("infrastructure/redis.yaml", _split_docs(redis))
        self.write("infrastructure/otel-collector.yaml", _split_docs(otel))


def _split_docs(text: str) -> list[str]:
    return ["---" + part for part in text.split("---")[1:]]


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def generate(out_dir: str | Path, services: int = 1000, seed: int = 1) -> Truth:
    """Write an inventory of ``services`` application services under ``out_dir/inventory`` and
    ``out_dir/truth.json``; return the truth. Existing files of an earlier run are replaced.

    >>> import tempfile
    >>> truth = generate(tempfile.mkdtemp(), services=60, seed=3)
    >>> truth.services, all(2 <= len(g) <= 12 for g in truth.groups)
    (60, True)
    """
    if services < 10:
        raise ValueError(f"services={services} is too small to plant groups, hubs and decoys; use 10 or more")
    out = Path(out_dir)
    root = out / INVENTORY_DIR
    if root.exists() and any(root.iterdir()):
        if not _written_by_generator(out):
            raise ValueError(f"{root} is not empty and was not written by this generator; "
                             "choose a new or empty folder")
        for path in sorted(root.rglob("*"), reverse=True):
            if path.is_file():
                path.unlink()
            else:
                path.rmdir()
    root.mkdir(parents=True, exist_ok=True)
    plan = _plan(services, seed)
    renderer = _Renderer(plan, root, seed)
    renderer.render()
    infra = ["kafka", "redis-shared", "otel-collector"]
    infra += [d.stores[0].name for d in plan.domains if d.stores and d.stores[0].cluster]
    truth = Truth(
        seed=seed,
        services=services,
        inventory=INVENTORY_DIR,
        files=renderer.files,
        documents=renderer.documents,
        bytes=renderer.bytes,
        groups=tuple(tuple(g) for g in plan.groups),
        hubs=tuple(h.name for h in plan.hubs),
        infrastructure=tuple(infra),
        cross_team_pairs=tuple(plan.cross_team),
        neighbours=tuple(plan.neighbours),
        broadcast_topics=dict(sorted(plan.broadcast.items())),
        private_topics=tuple(plan.private_topics),
        teams={name: app.team for name, app in sorted(plan.apps.items())},
        edges=tuple(renderer.edges),
        external_references=renderer.external,
        secrets=tuple(dict.fromkeys(renderer.secrets)),
        group_details=tuple(plan.group_details),
    )
    (out / TRUTH_FILE).write_text(json.dumps(truth.as_dict(), sort_keys=True, separators=(",", ":")) + "\n",
                                  encoding="utf-8")
    return truth


def _written_by_generator(out: Path) -> bool:
    try:
        data = json.loads((out / TRUTH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "generator_version" in data


def describe(truth: Truth) -> str:
    """One line about a generated inventory."""
    return (f"{truth.services} services, {len(truth.groups)} planted groups "
            f"({sum(len(g) for g in truth.groups)} services), {len(truth.hubs)} hubs, {truth.files} files, "
            f"{truth.documents} documents, {truth.bytes / 1e6:.1f} MB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", required=True, help="folder to write inventory/ and truth.json into")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        truth = generate(args.out, services=args.services, seed=args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - start
    print(f"{describe(truth)} in {elapsed:.2f} s -> {Path(args.out) / INVENTORY_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
