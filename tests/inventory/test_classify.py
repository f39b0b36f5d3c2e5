"""Telling datastores, brokers and observability plumbing from application services."""

from __future__ import annotations

import pytest

from inventory.classify import classify, image_repository, image_tag, is_observability


@pytest.mark.parametrize(
    ("name", "images", "expected"),
    [
        ("redis-cart", ["redis:alpine"], ("cache", "redis")),
        ("valkey-cart", ["valkey/valkey:8.1-alpine"], ("cache", "redis")),
        ("cache", ["docker.io/library/memcached:1.6"], ("cache", "memcached")),
        ("orders-db", ["postgres:16"], ("database", "postgres")),
        ("postgresql", ["docker.io/bitnami/postgresql:16.2.0"], ("database", "postgres")),
        ("catalogue-db", ["weaveworksdemos/catalogue-db:0.3.0"], ("database", None)),
        ("user-db", ["mongo:3.4"], ("database", "mongodb")),
        ("mongodb", ["docker.io/istio/examples-bookinfo-mongodb:1.20.3"], ("database", "mongodb")),
        ("mysqldb", ["registry.istio.io/release/examples-bookinfo-mysqldb:1.20.3"], ("database", "mysql")),
        ("search", ["opensearchproject/opensearch:2"], ("search", "opensearch")),
        ("es", ["docker.elastic.co/elasticsearch/elasticsearch:8.13.0"], ("search", "elasticsearch")),
        ("objects", ["minio/minio:latest"], ("storage", "s3")),
        ("kafka", ["ghcr.io/open-telemetry/demo:2.1.3-kafka"], ("broker", "kafka")),
        ("kafka", ["bitnami/kafka:3.7"], ("broker", "kafka")),
        ("rabbitmq", ["rabbitmq:3.6.8"], ("broker", "rabbitmq")),
        ("events", ["nats:2.10"], ("broker", "nats")),
        ("otel-collector", ["otel/opentelemetry-collector-contrib:0.100.0"], ("other", "otel-collector")),
        ("jaeger", ["jaegertracing/all-in-one:1.57"], ("other", "jaeger")),
        ("prometheus", ["quay.io/prometheus/prometheus:v2.52.0"], ("other", "prometheus")),
        ("orders", ["weaveworksdemos/orders:0.4.7"], ("service", None)),
        ("cartservice", ["us-central1-docker.pkg.dev/x/cartservice:v0.10.0"], ("service", None)),
        ("cart", ["ghcr.io/open-telemetry/demo:2.1.3-cart"], ("service", None)),
    ],
)
def test_classify_by_image_then_name(name: str, images: list[str], expected: tuple[str, str | None]) -> None:
    assert classify(name, images) == expected


@pytest.mark.parametrize(
    ("name", "images"),
    [
        ("rabbitmq-exporter", ["kbudde/rabbitmq-exporter"]),
        ("redis-exporter", ["oliver006/redis_exporter:v1.58.0"]),
        ("mongo-express", ["mongo-express:1.0"]),
        ("kafka-ui", ["provectuslabs/kafka-ui:latest"]),
        ("pgadmin", ["dpage/pgadmin4:8"]),
        ("db-migrate", ["flyway/flyway:10"]),
    ],
)
def test_tooling_around_a_datastore_is_not_the_datastore(name: str, images: list[str]) -> None:
    assert classify(name, images)[0] not in ("database", "cache", "search", "broker")


def test_name_decides_when_there_is_no_image() -> None:
    assert classify("orders-db") == ("database", None)
    assert classify("mongodb-geo") == ("database", "mongodb")
    assert classify("payments") == ("service", None)
    assert classify("kafka") == ("broker", "kafka")


def test_image_parts() -> None:
    assert image_repository("registry.example.com:5000/team/orders:1.2@sha256:abc") == "orders"
    assert image_tag("registry.example.com:5000/team/orders:1.2@sha256:abc") == "1.2"
    assert image_tag("orders") == ""


def test_observability_technologies() -> None:
    assert is_observability("jaeger") and is_observability("otel-collector")
    assert not is_observability("kafka") and not is_observability(None)
