"""The bundled example inventory (``examples/``): what reading it must give.

These tests pin down facts of the inventory itself: the services the readers find, the edges
with their kinds, via and evidence, the unresolved references, the skipped documents, and the
planted secrets that must never come out. The advisor's conclusions (proposals, hubs, decoys) are
written in ``examples/expected.yaml``; here only its inventory-level entries are checked against
what the readers produce, so that the expectations and the example cannot drift apart.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from advisor.config import load_config
from inventory.documents import SafeLoader
from inventory.model import Dependency, Inventory
from inventory.reading import read_paths

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
INVENTORY = EXAMPLES / "inventory"
CONFIG = EXAMPLES / "advisor.yaml"
EXPECTED = EXAMPLES / "expected.yaml"

#: Every service the Kubernetes manifests describe (29 of the 35).
K8S_SERVICES = frozenset({
    "accounts", "admin-portal", "audit-log", "auth", "carrier-gateway", "cart", "catalog", "checkout",
    "coupon-validator", "feature-flags", "fraud-scoring", "fulfilment", "loyalty", "notifications",
    "order-history", "orders", "packing", "payments", "picking", "recommendations", "returns", "reviews",
    "search", "search-indexer", "shipping-quotes", "storefront", "support-desk", "tracking", "wishlist",
})
RDS = "database:accounts.cluster-c8x2kq1vz0ab.eu-central-1.rds.amazonaws.com"


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    """The example read with the default options (no advisor.yaml)."""
    return read_paths([INVENTORY])


@pytest.fixture(scope="module")
def configured() -> Inventory:
    """The example read with examples/advisor.yaml, as the expectations assume."""
    return read_paths([INVENTORY], load_config(CONFIG).read_options())


@pytest.fixture(scope="module")
def expected() -> dict:
    data = yaml.load(EXPECTED.read_text(encoding="utf-8"), Loader=SafeLoader)
    assert isinstance(data, dict)
    return data


def _edge(inv: Inventory, source: str, target: str, kind: str, via: str | None = None) -> Dependency:
    hits = [d for d in inv.dependencies
            if d.source == source and d.target == target and d.kind == kind and (via is None or d.via == via)]
    assert hits, f"no {kind} edge {source} -> {target} (via {via})"
    return hits[0]


def _line(path: Path, needle: str) -> int:
    """The 1-based line of the first line of ``path`` containing ``needle``."""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")


def _users(inv: Inventory, target: str, reader: str | None = None) -> set[str]:
    return {d.source for d in inv.dependencies
            if d.target == target and (reader is None or any(e.reader == reader for e in d.evidence))}


# --------------------------------------------------------------------------------------------
# Services
# --------------------------------------------------------------------------------------------


def test_every_kubernetes_service_is_read(inventory: Inventory) -> None:
    assert {s.id for s in inventory.services if "kubernetes" in s.sources} == K8S_SERVICES


def test_services_across_all_sources(inventory: Inventory, configured: Inventory, expected: dict) -> None:
    assert len(inventory.services) == 37  # web-shop and notification-service stay apart without aliases
    assert {s.id for s in inventory.services} - {s.id for s in configured.services} == {
        "web-shop", "notification-service"}
    assert sorted(s.id for s in configured.services) == sorted(expected["services"])
    assert {s.id for s in configured.services if s.sources == ("compose",) or "compose" in s.sources} == {
        "inventory", "label-printer", "replenishment", "stock-ledger", "warehouse-gateway"}


def test_canary_and_stable_deployments_are_one_service(inventory: Inventory) -> None:
    checkout = inventory.service("checkout")
    assert checkout is not None
    assert checkout.workloads == ("Deployment/checkout", "Deployment/checkout-canary")
    assert checkout.replicas == 5


def test_nano_service_resources(inventory: Inventory) -> None:
    nano = inventory.service("coupon-validator")
    assert nano is not None
    assert (nano.cpu_request, nano.memory_request, nano.replicas) == (0.01, 16 * 1024 * 1024, 1)
    cart = inventory.service("cart")
    assert cart is not None
    assert (cart.cpu_request, cart.replicas) == (0.08, 2)


def test_namespaces_of_list_and_helm_output(inventory: Inventory) -> None:
    namespaces = {s.id: s.namespace for s in inventory.services}
    assert {namespaces[s] for s in ("accounts", "loyalty", "wishlist", "support-desk")} == {"customer"}
    assert namespaces["notifications"] is None  # helm template output carries no metadata.namespace
    assert namespaces["payments"] == "payments"


def test_owners_from_labels_and_configuration(inventory: Inventory, configured: Inventory) -> None:
    owners = {s.id: s.owner for s in inventory.services}
    assert {owners[s] for s in ("orders", "order-history", "returns")} == {"team-orders"}
    assert {owners[s] for s in ("fulfilment", "picking", "packing")} == {"team-fulfilment"}
    assert {owners[s] for s in ("cart", "coupon-validator")} == {"team-basket"}
    assert (owners["shipping-quotes"], owners["carrier-gateway"]) == ("team-shipping", "team-integrations")
    assert owners["notifications"] is None and owners["feature-flags"] is None
    with_config = {s.id: s.owner for s in configured.services}
    assert with_config["notifications"] == "team-comms"  # acme.io/team in owner_keys
    assert with_config["feature-flags"] == "team-platform"  # owners: in advisor.yaml


def test_security_label_only_on_payments(inventory: Inventory) -> None:
    payments, fraud = inventory.service("payments"), inventory.service("fraud-scoring")
    assert payments is not None and fraud is not None
    assert payments.labels.get("security-zone") == "pci"
    assert "security-zone" not in fraud.labels


# --------------------------------------------------------------------------------------------
# Edges from the Kubernetes manifests
# --------------------------------------------------------------------------------------------

K8S_EDGES = [
    # planted group 1: ordering
    ("orders", "order-history", "sync", None),
    ("order-history", "orders", "sync", None),
    ("orders", "returns", "sync", None),
    ("returns", "orders", "sync", None),
    ("orders", "database:orders-db", "datastore", "orders"),
    ("order-history", "database:orders-db", "datastore", "orders"),
    ("returns", "database:orders-db", "datastore", "orders"),
    # planted group 2: fulfilment
    ("fulfilment", "database:fulfilment-db", "datastore", "fulfilment"),
    ("picking", "database:fulfilment-db", "datastore", "fulfilment"),
    ("packing", "database:fulfilment-db", "datastore", "fulfilment"),
    ("packing", "fulfilment", "sync", None),
    # planted group 3: nano-service
    ("cart", "coupon-validator", "sync", None),
    ("coupon-validator", "cart", "sync", None),
    ("cart", "cache:cart-cache", "datastore", None),
    ("coupon-validator", "cache:cart-cache", "datastore", None),
    # decoys
    ("payments", "fraud-scoring", "sync", None),
    ("fraud-scoring", "payments", "sync", None),
    ("shipping-quotes", "carrier-gateway", "sync", None),
    ("carrier-gateway", "shipping-quotes", "sync", None),
    ("checkout", "payments", "sync", None),
    # other address forms
    ("notifications", "broker:rabbitmq", "async", None),
    ("accounts", RDS, "datastore", "accounts"),
    ("search", "search:search-es", "datastore", None),
    ("reviews", "database:reviews-db", "datastore", "reviews"),
    ("storefront", "wishlist", "sync", None),
    ("checkout", "shipping-quotes", "sync", None),
]


@pytest.mark.parametrize(("source", "target", "kind", "via"), K8S_EDGES,
                         ids=[f"{s}->{t}" for s, t, _, _ in K8S_EDGES])
def test_kubernetes_edge(inventory: Inventory, source: str, target: str, kind: str, via: str | None) -> None:
    edge = _edge(inventory, source, target, kind, via)
    assert any(e.reader == "kubernetes" for e in edge.evidence)


def test_external_rds_database_is_a_resource(inventory: Inventory) -> None:
    rds = next(r for r in inventory.resources if r.id == RDS)
    assert (rds.kind, rds.technology, rds.external) == ("database", "postgres", True)


def test_config_map_key_ref_evidence(inventory: Inventory) -> None:
    edge = _edge(inventory, "storefront", "catalog", "sync")
    (evidence,) = [e for e in edge.evidence if e.reader == "kubernetes"]
    assert "ConfigMap/storefront-config[catalog.url]" in evidence.detail
    path = INVENTORY / "k8s" / "shop" / "storefront.yaml"
    assert evidence.location.endswith(f"storefront.yaml:{_line(path, 'name: CATALOG_URL')}")


def test_env_from_config_map_evidence(inventory: Inventory) -> None:
    edge = _edge(inventory, "checkout", "orders", "sync")
    details = [e.detail for e in edge.evidence if e.reader == "kubernetes"]
    assert details and all("envFrom ConfigMap/checkout-endpoints ORDERS_URL=" in d for d in details)
    # the stable and the canary Deployment both read it
    assert {d.split(" in ")[-1] for d in details} == {
        "Deployment/checkout container checkout", "Deployment/checkout-canary container checkout"}


def test_init_container_wait_is_a_datastore_edge(inventory: Inventory) -> None:
    waits = [e for d in inventory.dependencies if (d.source, d.target) == ("orders", "database:orders-db")
             for e in d.evidence if "init container wait-for-db" in e.detail]
    assert len(waits) == 1
    assert "nc -z orders-db 5432" in waits[0].detail
    path = INVENTORY / "k8s" / "shop" / "orders.yaml"
    assert waits[0].location.endswith(f"orders.yaml:{_line(path, 'until nc -z orders-db')}")


def test_mounted_application_yaml_edge(inventory: Inventory) -> None:
    edge = _edge(inventory, "picking", "database:fulfilment-db", "datastore", "fulfilment")
    (evidence,) = [e for e in edge.evidence if e.reader == "kubernetes"]
    assert evidence.detail == ("ConfigMap/picking-config application.yaml: spring.data.mongodb.uri "
                               "mounted into Deployment/picking")
    path = INVENTORY / "k8s" / "logistics" / "fulfilment.yaml"
    assert evidence.location.endswith(f"fulfilment.yaml:{_line(path, 'uri: mongodb://fulfilment-db')}")


def test_password_from_secret_ref_is_masked_in_evidence(inventory: Inventory) -> None:
    edge = _edge(inventory, "notifications", "broker:rabbitmq", "async")
    (evidence,) = [e for e in edge.evidence if e.reader == "kubernetes"]
    assert "amqp://notifications:***@rabbitmq.platform.svc:5672" in evidence.detail


def test_shared_infrastructure_users(inventory: Inventory) -> None:
    assert _users(inventory, "cache:session-cache", "kubernetes") == {
        "accounts", "admin-portal", "auth", "cart", "checkout", "recommendations", "storefront",
        "support-desk", "wishlist"}
    assert _users(inventory, "broker:kafka", "kubernetes") == {
        "audit-log", "cart", "catalog", "fulfilment", "loyalty", "orders", "picking", "recommendations",
        "reviews", "search-indexer", "tracking", "wishlist"}
    assert _users(inventory, "broker:rabbitmq", "kubernetes") == {"loyalty", "notifications", "tracking"}


def test_hub_callers(inventory: Inventory) -> None:
    auth_callers = {d.source for d in inventory.dependencies
                    if d.target == "auth" and d.kind == "sync" and inventory.service(d.source)}
    assert auth_callers == {
        "accounts", "admin-portal", "cart", "catalog", "checkout", "fulfilment", "loyalty", "orders",
        "payments", "returns", "reviews", "search", "storefront", "support-desk", "wishlist"}
    assert _users(inventory, "notifications") == {
        "accounts", "checkout", "loyalty", "orders", "packing", "returns", "support-desk", "tracking"}


def test_few_callers_of_the_non_hubs(inventory: Inventory, expected: dict) -> None:
    for service in expected["not_hubs"]:
        callers = {d.source for d in inventory.dependencies
                   if d.target == service and d.kind in ("sync", "declared") and inventory.service(d.source)}
        assert 1 <= len(callers) <= 4, (service, callers)


def test_unused_config_map_key_is_no_reference(inventory: Inventory) -> None:
    text = repr(inventory.dependencies) + repr(inventory.unresolved)
    assert "solr" not in text
    assert "192.168.40.21" not in text


# --------------------------------------------------------------------------------------------
# Compose and AsyncAPI facts the expectations rest on
# --------------------------------------------------------------------------------------------


def test_compose_shared_database_through_dotenv(inventory: Inventory) -> None:
    for source in ("inventory", "stock-ledger"):
        edge = _edge(inventory, source, "database:stock-db", "datastore", "warehouse_stock")
        assert any(e.reader == "compose" and ".env" in e.detail for e in edge.evidence)
    _edge(inventory, "inventory", "stock-ledger", "sync")
    _edge(inventory, "stock-ledger", "inventory", "sync")


def test_compose_link_alias_and_dotenv_host(inventory: Inventory) -> None:
    assert _users(inventory, "broker:warehouse-mq") == {"label-printer", "replenishment"}
    assert "broker:rabbitmq" not in {d.target for d in inventory.dependencies if d.source == "replenishment"}


def test_topics_as_expected(inventory: Inventory, expected: dict) -> None:
    for topic, ends in expected["topics"].items():
        producers = {d.source for d in inventory.dependencies if d.target == topic and d.role == "produce"}
        consumers = {d.source for d in inventory.dependencies if d.target == topic and d.role == "consume"}
        assert sorted(producers) == sorted(ends["producers"]), topic
        assert sorted(consumers) == sorted(ends["consumers"]), topic
    _edge(inventory, "fulfilment", "picking", "async", "fulfilment.pick-requested")


def test_shared_datastores_as_expected(inventory: Inventory, expected: dict) -> None:
    for resource, users in expected["shared_datastores"].items():
        assert _users(inventory, resource) == set(users), resource


# --------------------------------------------------------------------------------------------
# Unresolved references, skipped documents, identity, secrets
# --------------------------------------------------------------------------------------------


def test_planted_unresolved_references(inventory: Inventory) -> None:
    found = {(u.source, u.reference) for u in inventory.unresolved}
    assert ("checkout", "legacy-pricing.shop.svc.cluster.local") in found
    assert ("payments", "api.psp.example.com") in found


def test_unresolved_exactly_as_expected(inventory: Inventory, expected: dict) -> None:
    found = sorted((u.source, u.reference) for u in inventory.unresolved)
    assert found == sorted((u["source"], u["reference"]) for u in expected["unresolved"])


def test_no_dependency_starts_at_a_resource(inventory: Inventory) -> None:
    assert [d for d in inventory.dependencies if inventory.service(d.source) is None] == []


def test_skipped_documents(inventory: Inventory, expected: dict) -> None:
    for item in expected["skipped"]:
        hits = [s for s in inventory.skipped if s.location.split(" (")[0].endswith(item["location"])]
        assert len(hits) == 1, item
        assert item["reason_contains"] in hits[0].reason
    assert len(inventory.skipped) >= expected["skipped_min"]


def test_broken_document_does_not_sink_its_file(inventory: Inventory) -> None:
    (account,) = [a for a in inventory.inputs if a.location.endswith("k8s/logistics/shipping.yaml")]
    assert (account.documents, account.used, account.skipped) == (7, 6, 1)
    tracking = inventory.service("tracking")
    assert tracking is not None and tracking.workloads == ("Deployment/tracking",)


def test_identity_joins(configured: Inventory, expected: dict) -> None:
    joins = {j.id: j for j in configured.joins}
    for service, names in expected["joins"].items():
        assert set(names) <= set(joins[service].names), service
    assert "configured alias" in joins["storefront"].rule
    assert "configured alias" in joins["notifications"].rule


def test_planted_secrets_are_in_the_files(expected: dict) -> None:
    files = [p.read_text(encoding="utf-8") for p in INVENTORY.rglob("*") if p.is_file()]
    encoded = {base64.b64decode(s).decode() for s in expected["secrets"] if s.endswith("=")}
    for secret in expected["secrets"]:
        assert secret in encoded or any(secret in text for text in files), secret


def test_planted_secrets_never_leave_the_readers(inventory: Inventory, configured: Inventory,
                                                 expected: dict) -> None:
    for inv in (inventory, configured):
        text = repr(inv)
        leaked = [s for s in expected["secrets"] if s in text]
        assert leaked == []


# --------------------------------------------------------------------------------------------
# The configuration and the expectations file
# --------------------------------------------------------------------------------------------


def test_example_configuration_loads() -> None:
    config = load_config(CONFIG)
    assert config.never_merge == (("search", "search-indexer"),)
    assert config.aliases == {"storefront": ("web-shop",), "notifications": ("notification-service",)}
    assert "acme.io/team" in config.owner_keys
    assert config.proposals.security_labels == ("security-zone", "pci", "data-classification")


def test_expectations_partition_the_services(expected: dict) -> None:
    services = set(expected["services"])
    in_proposals = [m for p in expected["proposals"] for m in (*p["members"], *p.get("optional_members", ()))]
    assert len(in_proposals) == len(set(in_proposals))
    assert set(in_proposals) | set(expected["never_proposed"]) == services
    assert not set(in_proposals) & set(expected["never_proposed"])
    assert set(expected["hubs"]) <= set(expected["never_proposed"])


def test_expected_resources_exist(configured: Inventory, expected: dict) -> None:
    resources = {r.id for r in configured.resources}
    assert set(expected["infrastructure"]) <= resources
    assert set(expected["shared_datastores"]) <= resources
    assert set(expected["topics"]) <= resources
    for proposal in expected["proposals"]:
        assert proposal["shared_datastore"]["resource"] in resources
        owners = {s.owner for s in configured.services if s.id in proposal["members"]}
        assert owners == {proposal["owner"]}, proposal["name"]
