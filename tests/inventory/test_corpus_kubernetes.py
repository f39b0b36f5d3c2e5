"""Real public systems from ``../shared/corpus`` against their ``truth.yaml`` (skipped when absent).

Truth names map to inventory ids the way the report spells them: application services by their
plain lowercase name, resources as ``kind:name`` (``cache:redis-cart``, ``database:postgresql``,
``broker:kafka``, observability plumbing ``other:otel-collector``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from inventory.model import Inventory
from inventory.reading import read_paths

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

pytestmark = pytest.mark.corpus


def corpus(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


def truth(system: str) -> dict[str, Any]:
    data = yaml.safe_load(corpus(system, "truth.yaml").read_text())
    assert isinstance(data, dict)
    return data


def truth_id(name: str, facts: dict[str, Any]) -> str:
    """The inventory id a truth.yaml name should have, from the type the truth gives it."""
    entry = next((s for s in facts.get("services", []) + facts.get("optional_services", []) if s["name"] == name), {})
    kind, tech = entry.get("type"), str(entry.get("tech", ""))
    if kind == "datastore":
        return ("cache:" if any(t in tech for t in ("redis", "valkey", "memcached")) else "database:") + name
    if kind == "broker":
        return f"broker:{name}"
    if kind == "observability":
        return f"other:{name}"
    return name


def truth_edge(edge: dict[str, Any], facts: dict[str, Any]) -> tuple[str, str]:
    source, target = truth_id(edge["from"], facts), truth_id(edge["to"], facts)
    # truth writes a consumer as ``broker -> consumer``; the inventory has ``consumer -> broker``
    return (target, source) if edge.get("role") == "consume" else (source, target)


def pairs(inv: Inventory) -> set[tuple[str, str]]:
    return {(d.source, d.target) for d in inv.dependencies}


def accounted(inv: Inventory) -> bool:
    return all(a.documents == a.used + a.skipped for a in inv.inputs)


# ---------------------------------------------------------------------------------------------
# Online Boutique
# ---------------------------------------------------------------------------------------------


def _boutique_expected() -> set[tuple[str, str]]:
    facts = truth("online-boutique")
    return {truth_edge(e, facts) for e in facts["edges"]}


@pytest.mark.parametrize(
    "where",
    [("release", "kubernetes-manifests.yaml"), ("kubernetes-manifests",), ("kustomize", "base")],
    ids=["release-file", "per-service-folder", "kustomize-base"],
)
def test_online_boutique_gives_exactly_the_16_truth_edges(where: tuple[str, ...]) -> None:
    expected = _boutique_expected()
    assert len(expected) == 16
    assert ("cartservice", "cache:redis-cart") in expected
    inv = read_paths([corpus("online-boutique", *where)])
    assert pairs(inv) == expected
    assert [(u.source, u.reference) for u in inv.unresolved] == [("frontend", "shoppingassistantservice")]
    assert sorted(s.id for s in inv.services) == sorted(
        s["name"] for s in truth("online-boutique")["services"] if s["type"] != "datastore"
    )
    assert [r.id for r in inv.resources] == ["cache:redis-cart"]
    assert accounted(inv)


def test_online_boutique_edge_kinds_and_evidence() -> None:
    inv = read_paths([corpus("online-boutique", "release", "kubernetes-manifests.yaml")])
    kinds = {(d.source, d.target): d.kind for d in inv.dependencies}
    assert kinds[("cartservice", "cache:redis-cart")] == "datastore"
    assert {k for pair, k in kinds.items() if pair != ("cartservice", "cache:redis-cart")} == {"sync"}
    email = next(d for d in inv.dependencies if (d.source, d.target) == ("checkoutservice", "emailservice"))
    [evidence] = email.evidence
    assert evidence.location.endswith("release/kubernetes-manifests.yaml:653")
    assert evidence.detail == ("env EMAIL_SERVICE_ADDR=emailservice:5000 in Deployment/checkoutservice "
                               "container server")
    frontend = inv.service("frontend")
    assert frontend is not None and frontend.aliases == ("frontend-external",)


# ---------------------------------------------------------------------------------------------
# Bookinfo
# ---------------------------------------------------------------------------------------------


def test_bookinfo_services_without_edges() -> None:
    facts = truth("bookinfo")
    assert all(e["visible_in_manifest"] is False for e in facts["edges"])
    inv = read_paths([corpus("bookinfo", "samples", "bookinfo", "platform", "kube", "bookinfo.yaml")])
    assert [s.id for s in inv.services] == ["details", "productpage", "ratings", "reviews"]
    assert sorted(s["name"] for s in facts["services"]) == [s.id for s in inv.services]
    reviews = inv.service("reviews")
    assert reviews is not None
    assert reviews.workloads == ("Deployment/reviews-v1", "Deployment/reviews-v2", "Deployment/reviews-v3")
    assert inv.dependencies == () and inv.resources == () and inv.unresolved == ()
    assert accounted(inv)


def test_bookinfo_gateway_routes_to_productpage() -> None:
    base = corpus("bookinfo", "samples", "bookinfo")
    inv = read_paths([base / "platform" / "kube" / "bookinfo.yaml", base / "networking" / "bookinfo-gateway.yaml"])
    assert pairs(inv) == {("other:bookinfo-gateway", "productpage")}
    [gateway] = inv.resources
    assert gateway.technology == "istio-gateway"
    [dep] = inv.dependencies
    assert (dep.kind, dep.protocol) == ("sync", "http")


def test_bookinfo_ratings_v2_uses_the_mongodb_datastore() -> None:
    kube = corpus("bookinfo", "samples", "bookinfo", "platform", "kube")
    inv = read_paths([kube / "bookinfo.yaml", kube / "bookinfo-ratings-v2.yaml", kube / "bookinfo-db.yaml"])
    assert pairs(inv) == {("ratings", "database:mongodb")}
    [dep] = inv.dependencies
    assert (dep.kind, dep.via) == ("datastore", "test")
    ratings = inv.service("ratings")
    assert ratings is not None and ratings.workloads == ("Deployment/ratings-v1", "Deployment/ratings-v2")
    [db] = inv.resources
    assert (db.kind, db.technology, db.external) == ("database", "mongodb", False)


def test_bookinfo_ratings_v2_mysql_uses_the_mysql_datastore_and_leaks_nothing() -> None:
    kube = corpus("bookinfo", "samples", "bookinfo", "platform", "kube")
    files = [kube / "bookinfo.yaml", kube / "bookinfo-ratings-v2-mysql.yaml", kube / "bookinfo-mysql.yaml"]
    inv = read_paths(files)
    assert pairs(inv) == {("ratings", "database:mysqldb")}
    assert inv.unresolved == ()
    # the plain-text password in bookinfo-ratings-v2-mysql.yaml (MYSQL_DB_PASSWORD) never leaves the reader
    assert "value: password" in files[1].read_text()
    assert "'password'" not in repr(inv)


# ---------------------------------------------------------------------------------------------
# Sock Shop
# ---------------------------------------------------------------------------------------------


def test_sock_shop_shows_only_what_its_manifests_show() -> None:
    facts = truth("sock-shop")
    visible = {truth_edge(e, facts) for e in facts["edges"]
               if e.get("visible_in_manifest") is True and e.get("only_in") != "docker-compose"}
    assert visible == {("user", "database:user-db")}  # env `mongo: user-db:27017`
    inv = read_paths([corpus("sock-shop", "deploy", "kubernetes", "complete-demo.yaml")])
    assert pairs(inv) == visible
    # front-end -> session-db is only a SESSION_REDIS=true flag: not an edge, and not a reference
    assert ("front-end", "cache:session-db") not in pairs(inv)
    assert [(u.source, u.reference) for u in inv.unresolved] == [("shipping", "zipkin.jaeger.svc.cluster.local")]
    apps = sorted(s["name"] for s in facts["services"] if s["type"] == "app")
    assert [s.id for s in inv.services] == apps
    assert [r.id for r in inv.resources] == [
        "broker:rabbitmq", "cache:session-db", "database:carts-db", "database:catalogue-db", "database:orders-db",
        "database:user-db",
    ]
    assert "fake_password" not in repr(inv)
    assert accounted(inv)


# ---------------------------------------------------------------------------------------------
# OpenTelemetry demo (Helm output)
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def otel() -> Inventory:
    return read_paths([corpus("otel-demo", "kubernetes", "opentelemetry-demo.yaml")])


def test_otel_demo_finds_every_edge_its_manifest_shows(otel: Inventory) -> None:
    facts = truth("otel-demo")
    visible = {truth_edge(e, facts) for e in facts["edges"] if e.get("visible_in_manifest") is True}
    assert len(visible) == 31
    assert {("frontend", "cart"), ("cart", "cache:valkey-cart"), ("accounting", "database:postgresql")} <= visible
    assert visible - pairs(otel) == set()


def test_otel_demo_kafka_users_are_async_edges_to_the_broker(otel: Inventory) -> None:
    facts = truth("otel-demo")
    queue_users = {truth_edge(e, facts) for e in facts["edges"] if e["kind"] == "queue"}
    assert queue_users == {("checkout", "broker:kafka"), ("accounting", "broker:kafka"),
                           ("fraud-detection", "broker:kafka")}
    kinds = {(d.source, d.target): d.kind for d in otel.dependencies}
    assert {kinds.get(pair) for pair in queue_users} == {"async"}
    assert kinds[("accounting", "database:postgresql")] == "datastore"
    assert kinds[("cart", "cache:valkey-cart")] == "datastore"


def test_otel_demo_extra_edges_are_observability_or_a_flag_lookup_the_manifest_shows(otel: Inventory) -> None:
    facts = truth("otel-demo")
    known = {truth_edge(e, facts) for e in facts["edges"]}
    extra = pairs(otel) - known
    business = {(s, t) for s, t in extra if not s.startswith("other:") and not t.startswith("other:")}
    # frontend sets FLAGD_HOST=flagd; the truth calls the edge a low-confidence non-edge (browser-side only)
    assert business == {("frontend", "flagd")}
    observability = {(truth_id(e["from"], facts), truth_id(e["to"], facts)) for e in facts["observability_edges"]}
    exporters = {(s, t) for s, t in extra if t == "other:otel-collector"}
    assert len(exporters) == 18  # every workload exports telemetry to the collector
    assert extra - business - exporters == {
        ("frontend-proxy", "other:grafana"), ("frontend-proxy", "other:jaeger"), ("other:jaeger", "other:prometheus"),
        ("other:otel-collector", "cache:valkey-cart"), ("other:otel-collector", "database:postgresql"),
        ("other:otel-collector", "frontend-proxy"), ("other:otel-collector", "image-provider"),
        ("other:otel-collector", "other:jaeger"), ("other:otel-collector", "other:prometheus"),
        ("other:otel-collector", "search:opensearch"),
    }
    assert ("other:otel-collector", "database:postgresql") in observability


def test_otel_demo_flagd_ui_is_the_expected_dangling_reference(otel: Inventory) -> None:
    refs = {(u.source, u.reference) for u in otel.unresolved}
    assert ("frontend-proxy", "flagd-ui") in refs
    assert all(u.reason.startswith("no service or resource named") for u in otel.unresolved)
    # nothing unresolved is a secret or a plain word taken for a host
    assert {u.reference for u in otel.unresolved} == {
        "flagd-ui", "kubernetes.default.svc", "creativecommons.org", "publicdomainreview.org",
        "opensearch-cluster-master-headless",
    }
    assert accounted(otel)
