"""Telling a datastore, a broker or observability plumbing from an application service.

A workload is classified by its main container image (repository name, and the tag's suffix for
images that carry the component there, like ``demo:2.1.3-kafka``), then by its name
(``mongodb-geo``, ``orders-db``). Tooling around a datastore (``redis-exporter``,
``mongo-express``, ``kafka-ui``) is *not* the datastore.
"""

from __future__ import annotations

import functools
import re

from inventory.model import EntityRole

#: technology -> role, matched against name/image tokens.
TECHNOLOGY_ROLE: dict[str, tuple[str, EntityRole]] = {
    "postgres": ("postgres", "database"), "postgresql": ("postgres", "database"), "postgis": ("postgres", "database"),
    "timescaledb": ("postgres", "database"), "cockroach": ("cockroachdb", "database"),
    "cockroachdb": ("cockroachdb", "database"), "yugabyte": ("yugabytedb", "database"),
    "mysql": ("mysql", "database"), "mariadb": ("mysql", "database"), "percona": ("mysql", "database"),
    "mongo": ("mongodb", "database"), "mongodb": ("mongodb", "database"),
    "cassandra": ("cassandra", "database"), "scylla": ("cassandra", "database"), "scylladb": ("cassandra", "database"),
    "couchdb": ("couchdb", "database"), "couchbase": ("couchbase", "database"), "neo4j": ("neo4j", "database"),
    "influxdb": ("influxdb", "database"), "clickhouse": ("clickhouse", "database"), "mssql": ("mssql", "database"),
    "sqlserver": ("mssql", "database"), "oracle": ("oracle", "database"), "dynamodb": ("dynamodb", "database"),
    "redis": ("redis", "cache"), "valkey": ("redis", "cache"), "keydb": ("redis", "cache"),
    "dragonfly": ("redis", "cache"), "memcached": ("memcached", "cache"), "hazelcast": ("hazelcast", "cache"),
    "elasticsearch": ("elasticsearch", "search"), "opensearch": ("opensearch", "search"), "solr": ("solr", "search"),
    "meilisearch": ("meilisearch", "search"), "typesense": ("typesense", "search"),
    "minio": ("s3", "storage"),
    "kafka": ("kafka", "broker"), "redpanda": ("kafka", "broker"), "rabbitmq": ("rabbitmq", "broker"),
    "nats": ("nats", "broker"), "pulsar": ("pulsar", "broker"), "activemq": ("activemq", "broker"),
    "artemis": ("activemq", "broker"), "nsq": ("nsq", "broker"), "nsqd": ("nsq", "broker"),
    "mosquitto": ("mqtt", "broker"), "emqx": ("mqtt", "broker"), "zookeeper": ("zookeeper", "other"),
    "etcd": ("etcd", "other"), "consul": ("consul", "other"),
    # observability plumbing: real, but never business coupling
    "jaeger": ("jaeger", "other"), "zipkin": ("zipkin", "other"), "prometheus": ("prometheus", "other"),
    "grafana": ("grafana", "other"), "loki": ("loki", "other"), "tempo": ("tempo", "other"),
    "otel-collector": ("otel-collector", "other"), "opentelemetry-collector": ("otel-collector", "other"),
    "opentelemetry-collector-contrib": ("otel-collector", "other"), "fluentd": ("fluentd", "other"),
    "fluent-bit": ("fluent-bit", "other"), "vector": ("vector", "other"), "datadog": ("datadog", "other"),
    "alertmanager": ("alertmanager", "other"),
}

OBSERVABILITY = frozenset({
    "jaeger", "zipkin", "prometheus", "grafana", "loki", "tempo", "otel-collector", "fluentd", "fluent-bit",
    "vector", "datadog", "alertmanager",
})

# Tokens that mark tooling around a datastore rather than the datastore itself.
_TOOLING = frozenset({
    "exporter", "operator", "ui", "admin", "commander", "express", "insight", "sidecar", "client", "cli",
    "dashboard", "manager", "proxy", "adminer", "pgadmin", "phpmyadmin", "init", "migrate", "migrations",
    "migration", "backup", "setup", "connect", "schema", "registry", "rest", "web", "console", "bridge",
    "agent", "mirror", "mirrormaker", "test", "job", "seed", "seeder", "loader",
})
_TOKEN = re.compile(r"[a-z0-9]+")
_DB_SUFFIX = re.compile(r"(?:^|[-_])(db|database|datastore|store)$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+)*$")
_TAG_PARTS = re.compile(r"[-_]")


def image_repository(image: str) -> str:
    """``registry/org/name:tag@digest`` -> ``name``."""
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


def image_tag(image: str) -> str:
    image = image.split("@", 1)[0]
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1].lower() if ":" in last else ""


#: What :func:`_match` answered is remembered, by text: a workload's image is most often named as
#: the workload is, and both are matched (long texts are not remembered).
_MATCHED_ENTRIES = 20_000
_MATCHED_LENGTH = 200


def _match(text: str) -> tuple[str, EntityRole] | None:
    return _matched(text) if len(text) <= _MATCHED_LENGTH else _match_tokens(text)


def _match_tokens(text: str) -> tuple[str, EntityRole] | None:
    text = text.lower()
    tokens = _TOKEN.findall(text)
    if not tokens or _TOOLING.intersection(tokens):
        return None
    if text in TECHNOLOGY_ROLE:
        return TECHNOLOGY_ROLE[text]
    for size in (3, 2):
        for i in range(len(tokens) - size + 1):
            joined = "-".join(tokens[i : i + size])
            if joined in TECHNOLOGY_ROLE:
                return TECHNOLOGY_ROLE[joined]
    for token in tokens:
        if token in TECHNOLOGY_ROLE:
            return TECHNOLOGY_ROLE[token]
    for token in tokens:
        # ``mysqldb``, ``redisdb``: a datastore technology with ``db`` glued on
        hit = TECHNOLOGY_ROLE.get(token[:-2]) if token.endswith("db") else None
        if hit and hit[1] in ("database", "cache", "search"):
            return hit
    return None


_matched = functools.lru_cache(maxsize=_MATCHED_ENTRIES)(_match_tokens)


def classify(name: str, images: tuple[str, ...] | list[str] = ()) -> tuple[EntityRole, str | None]:
    """The role and technology of a workload from its main image and its name.

    >>> classify("redis-cart", ["redis:alpine"])
    ('cache', 'redis')
    >>> classify("kafka", ["ghcr.io/open-telemetry/demo:2.1.3-kafka"])
    ('broker', 'kafka')
    >>> classify("catalogue-db", ["weaveworksdemos/catalogue-db:0.3.0"])
    ('database', None)
    >>> classify("orders", ["weaveworksdemos/orders:0.4.7"])
    ('service', None)
    >>> classify("rabbitmq-exporter", ["kbudde/rabbitmq-exporter"])
    ('service', None)
    """
    if images:
        main = images[0]
        repo = image_repository(main)
        hit = _match(repo)
        if hit is None:
            tag = image_tag(main)
            # component carried in the tag (``demo:2.1.3-kafka``): use the non-version part
            parts = [p for p in _TAG_PARTS.split(tag) if p and not _VERSION.match(p)]
            if parts and _VERSION.match(tag.split("-", 1)[0] or "x"):
                hit = _match("-".join(parts))
        if hit:
            return hit[1], hit[0]
        if _DB_SUFFIX.search(repo):
            return "database", None
    hit = _match(name)
    if hit:
        return hit[1], hit[0]
    if _DB_SUFFIX.search(name.lower()):
        return "database", None
    return "service", None


def is_observability(technology: str | None) -> bool:
    return technology in OBSERVABILITY
