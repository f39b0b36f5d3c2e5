"""The native inventory format and the JSON report read back as an inventory."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import native
from inventory.documents import Document, iter_documents
from inventory.model import Fragment, Inventory, NamedTarget
from inventory.native import parse_native
from inventory.reading import read_paths
from inventory.resolving import resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "native"
SCHEMA = Path(__file__).resolve().parents[2] / "inventory" / "schema" / "inventory.schema.json"


def _read(name: str) -> Fragment:
    docs = [d for d in iter_documents((FIXTURES / name).read_text(), name) if isinstance(d, Document)]
    assert all(native.recognise(d.data) for d in docs)
    return parse_native(docs)


def _parse_yaml(text: str, location: str = "inv.yaml") -> Fragment:
    return parse_native([Document(location, 1, 1, yaml.safe_load(text), text)])


def _targets(fragment: Fragment) -> list[tuple[str, NamedTarget]]:
    out = []
    for c in fragment.claims:
        assert isinstance(c.target, NamedTarget)
        out.append((c.source, c.target))
    return out


# --------------------------------------------------------------------------------------------
# Recognition
# --------------------------------------------------------------------------------------------


def test_recognition() -> None:
    assert native.recognise({"advisor": "inventory/v1", "services": []})
    assert native.recognise({"advisor": "inventory/v2"})  # recognised, then skipped with a reason
    assert native.recognise({"kind": "AdvisorInventory", "services": []})
    assert native.recognise({"schema_version": 1, "services": [], "dependencies": []})
    assert not native.recognise({"schema_version": True, "services": [], "dependencies": []})
    assert not native.recognise({"schema_version": 1, "services": {}, "dependencies": []})
    assert not native.recognise({"services": {"web": {"image": "nginx"}}})
    assert not native.recognise({"apiVersion": "apps/v1", "kind": "Deployment"})
    assert not native.recognise(["advisor", "inventory/v1"])


# --------------------------------------------------------------------------------------------
# The native inventory
# --------------------------------------------------------------------------------------------


def test_inventory_accounting_and_bad_entries() -> None:
    fragment = _read("shop-inventory-with-hints.yaml")
    assert (fragment.documents, fragment.used, len(fragment.skipped)) == (5, 1, 4)
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("shop-inventory-with-hints.yaml:24", "services[2] has no name; the entry was ignored"),
        ("shop-inventory-with-hints.yaml:26",
         "services[3] (fulfilment) has the unknown key 'colour'; it was ignored (known keys: aliases, "
         "cpu_request, description, images, labels, lifecycle, memory_request, name, namespace, owner, "
         "replicas, repo, runtime, system)"),
        ("shop-inventory-with-hints.yaml:26",
         "services[3] (fulfilment): replicas 'three' is not a whole number of 0 or more; it was ignored"),
        ("shop-inventory-with-hints.yaml:58",
         "dependencies[5] needs a target (a service or resource name); the entry was ignored"),
    ]


def test_inventory_records() -> None:
    fragment = _read("shop-inventory-with-hints.yaml")
    by_key = {e.key: e for e in fragment.entities}
    assert sorted(by_key) == ["native:cache:session-redis", "native:database:orders-db", "native:fulfilment",
                              "native:shipping", "native:shop/orders", "native:shop/payments",
                              "native:topic:order-events"]
    orders = by_key["native:shop/orders"]
    assert (orders.name, orders.role, orders.reader, orders.namespace, orders.owner) == (
        "orders", "service", "native", "shop", "team-orders")
    assert (orders.repo, orders.runtime, orders.replicas, orders.cpu_request, orders.memory_request) == (
        "https://github.com/acme/orders", "java", 3, 0.25, 512 * 1024 * 1024)
    assert dict(orders.labels) == {"tier": "backend", "pci": "false"}
    assert (orders.aliases, orders.images) == (("orders-svc",), ("acme/orders:1.4",))
    assert (orders.system, orders.lifecycle, orders.description) == ("shop", "production", "takes orders")
    assert orders.evidence.as_dict() == {"reader": "native", "location": "shop-inventory-with-hints.yaml:5",
                                         "detail": "service orders: takes orders"}
    payments = by_key["native:shop/payments"]
    assert (payments.owner, payments.cpu_request, payments.memory_request) == (
        "team-payments", 0.5, 268435456)
    assert by_key["native:fulfilment"].replicas is None  # the bad value was dropped, the service kept
    assert (by_key["native:database:orders-db"].role, by_key["native:database:orders-db"].technology) == (
        "database", "postgres")
    assert (by_key["native:cache:session-redis"].role, by_key["native:cache:session-redis"].technology) == (
        "cache", "redis")  # no kind given: from the name
    shipping = by_key["native:shipping"]
    assert shipping.role == "service"
    assert shipping.evidence.as_dict() == {
        "reader": "native", "location": "shop-inventory-with-hints.yaml:53",
        "detail": "shipping is the source of a dependency (not listed under services)"}
    assert fragment.aliases == {"payments": ("payment-service", "payments-v2")}
    assert fragment.owners == {"team-shipping": ("shipping",)}


def test_inventory_claims() -> None:
    fragment = _read("shop-inventory-with-hints.yaml")
    claims = [(c.source, c.target, c.kind, c.protocol, c.via, c.role, c.weight, c.evidence.location,
               c.evidence.detail) for c in fragment.claims]
    assert claims == [
        ("native:shop/orders", NamedTarget("native:database:orders-db"), "datastore", "postgres", "orders",
         None, 1.0, "shop-inventory-with-hints.yaml:39", "dependency orders -> orders-db (datastore)"),
        ("native:shop/orders", NamedTarget("native:shop/payments"), "sync", "grpc", None, None, 40.0,
         "shop-inventory-with-hints.yaml:44", "dependency orders -> payments (sync): charges the card"),
        ("native:shop/orders", NamedTarget("native:topic:order-events"), None, None, None, "produce", 1.0,
         "shop-inventory-with-hints.yaml:50", "dependency orders -> order-events"),
        ("native:shipping", NamedTarget("native:topic:order-events"), None, None, None, "consume", 1.0,
         "shop-inventory-with-hints.yaml:53", "dependency shipping -> order-events"),
        ("native:shop/payments", NamedTarget("fraud-check"), None, None, None, None, 1.0,
         "shop-inventory-with-hints.yaml:56", "dependency shop/payments -> fraud-check"),
        ("native:shop/orders", NamedTarget("native:cache:session-redis"), None, None, None, None, 1.0,
         "shop-inventory-with-hints.yaml:59", "dependency orders -> session-redis"),
    ]
    assert {c.evidence.basis for c in fragment.claims} == {"declared"}


def test_undefined_targets_are_looked_up_by_name_with_the_role_they_imply() -> None:
    fragment = _parse_yaml("""
advisor: inventory/v1
dependencies:
  - {source: web, target: database:billing-db}
  - {source: web, target: topic:invoices}
  - {source: web, target: payments/ledger}
  - {source: web, target: audit-log, role: produce}
  - {source: web, target: service:search}
  - {source: web, target: web}
""")
    assert _targets(fragment) == [
        ("native:web", NamedTarget("billing-db", role="datastore")),
        ("native:web", NamedTarget("invoices", role="topic", create=True)),
        ("native:web", NamedTarget("ledger", namespace="payments")),
        ("native:web", NamedTarget("audit-log", create=True)),
        ("native:web", NamedTarget("search", role="service")),
    ]
    assert [e.key for e in fragment.entities] == ["native:web"]
    assert [s.reason for s in fragment.skipped] == [
        "dependencies[5] (web -> web) names the same service at both ends; the entry was ignored"]


def test_names_shared_by_a_service_and_a_resource_must_be_qualified() -> None:
    fragment = _parse_yaml("""
advisor: inventory/v1
services: [orders, web]
resources: [{name: orders, kind: topic}]
dependencies:
  - {source: web, target: orders}
  - {source: web, target: topic:orders}
  - {source: web, target: service:orders}
""")
    assert _targets(fragment) == [("native:web", NamedTarget("native:topic:orders")),
                                  ("native:web", NamedTarget("native:orders"))]
    assert [s.reason for s in fragment.skipped] == [
        "dependencies[0] (web -> orders): 'orders' names more than one entry of this inventory; write "
        "service:name, kind:name or namespace/name; the entry was ignored"]


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("advisor: inventory/v2\nservices: [a]\n",
         ["an advisor inventory of version 'inventory/v2'; this advisor reads advisor: inventory/v1"]),
        ("advisor: inventory/v1\n",
         ["the advisor inventory lists no services, resources, dependencies, aliases or owners"]),
        ("advisor: inventory/v1\nservices: {orders: {}}\n",
         ["services is a dict, not a list; it was ignored"]),
        ("advisor: inventory/v1\nservices: [7]\nowners: [team-a]\n",
         ["services[0] is a int, not a mapping with a name; the entry was ignored",
          "owners is a list, not a mapping of names to lists of names; it was ignored"]),
        ("advisor: inventory/v1\nbasis: guessed\nservices: [a]\n",
         ["the inventory: basis 'guessed' is not one of declared, observed; it was ignored"]),
    ],
)
def test_unusable_documents_and_sections(text: str, reasons: list[str]) -> None:
    fragment = _parse_yaml(text)
    assert [s.reason for s in fragment.skipped] == reasons
    assert fragment.documents == fragment.used + len(fragment.skipped)


def test_the_second_of_two_equal_services_is_reported() -> None:
    fragment = _parse_yaml("advisor: inventory/v1\nservices:\n  - name: a\n    owner: x\n  - name: a\n")
    assert [e.owner for e in fragment.entities] == ["x"]
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("inv.yaml:5", "services[1] (a) repeats an entry defined at inv.yaml:3; the entry was ignored")]


def test_observed_edge_list() -> None:
    fragment = _read("traces-edgelist-observed.json")
    assert (fragment.documents, fragment.used) == (2, 1)
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("traces-edgelist-observed.json:10",
         "dependencies[3] (frontend -> cart): weight -5 is not a call count (a number of 0 or more); in an "
         "observed edge list the weight is the data, so the entry was ignored")]
    assert {e.key: (e.role, e.technology, e.reader) for e in fragment.entities} == {
        "native:frontend": ("service", None, "edgelist"),
        "native:cart": ("service", None, "edgelist"),
        "native:cache:redis-cart": ("cache", "redis", "edgelist"),
        "native:catalog": ("service", None, "edgelist"),
    }
    first = fragment.claims[0]
    assert (first.weight, first.errors, first.operations, first.protocol) == (
        1200.0, 3, ("GET /cart", "POST /cart"), "http")
    assert first.evidence.detail == "dependency frontend -> cart, 1200 calls, 3 errors"
    assert {c.evidence.basis for c in fragment.claims} == {"observed"}


def test_secrets_in_descriptions_are_masked() -> None:
    fragment = _parse_yaml("advisor: inventory/v1\ndependencies:\n"
                           "  - {source: a, target: b, description: 'uses postgres://app:hunter2@db/x'}\n")
    assert fragment.claims[0].evidence.detail == "dependency a -> b: uses postgres://app:***@db/x"


# --------------------------------------------------------------------------------------------
# The whole pipeline
# --------------------------------------------------------------------------------------------


def test_pipeline_native_inventory() -> None:
    inventory = read_paths([FIXTURES / "shop-inventory-with-hints.yaml"])
    assert [(s.id, s.owner) for s in inventory.services] == [
        ("fulfilment", None), ("orders", "team-orders"), ("payments", "team-payments"),
        ("shipping", "team-shipping")]  # shipping's owner comes from the owners hint
    assert {(d.source, d.target, d.kind, d.via, d.role) for d in inventory.dependencies} == {
        ("orders", "cache:session-redis", "datastore", None, None),
        ("orders", "database:orders-db", "datastore", "orders", None),
        ("orders", "payments", "sync", None, None),
        ("orders", "topic:order-events", "async", "order-events", "produce"),
        ("shipping", "topic:order-events", "async", "order-events", "consume"),
        ("orders", "shipping", "async", "order-events", None),  # producer -> consumer through the topic
    }
    sync = next(d for d in inventory.dependencies if d.kind == "sync")
    assert (sync.weight, sync.bases) == (1.0, ("declared",))  # a declared weight is not call volume
    assert [(u.source, u.reference) for u in inventory.unresolved] == [("payments", "fraud-check")]
    assert len(inventory.skipped) == 4
    (account,) = inventory.inputs
    assert (account.format, account.documents, account.used, account.skipped) == ("native", 5, 1, 4)


def test_pipeline_alias_hints_join_services_of_other_inputs(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "shop-inventory-with-hints.yaml", tmp_path / "inventory.yaml")
    (tmp_path / "k8s.yaml").write_text("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: payment-service, namespace: shop}
spec:
  selector: {matchLabels: {app: payment-service}}
  template:
    metadata: {labels: {app: payment-service}}
    spec:
      containers: [{name: main, image: acme/payments:2.0}]
""")
    inventory = read_paths([tmp_path])
    payments = inventory.service("payment-service")
    assert payments is not None
    assert payments.sources == ("kubernetes", "native")
    assert payments.owner == "team-payments"
    assert [(j.id, j.names, j.rule) for j in inventory.joins] == [
        ("payment-service", ("payment-service (kubernetes)", "payments (native)"), "configured alias")]
    edges = {(d.source, d.target, d.kind) for d in inventory.dependencies}
    assert ("orders", "payment-service", "sync") in edges


def test_pipeline_observed_weights_count_as_calls() -> None:
    inventory = read_paths([FIXTURES / "traces-edgelist-observed.json"])
    deps = {(d.source, d.target): (d.kind, d.weight, d.errors, d.bases) for d in inventory.dependencies}
    assert deps == {
        ("frontend", "cart"): ("sync", 1200.0, 3, ("observed",)),
        ("frontend", "catalog"): ("sync", 450.5, None, ("observed",)),
        ("cart", "cache:redis-cart"): ("datastore", 800.0, None, ("observed",)),
    }
    assert [s.sources for s in inventory.services] == [("edgelist",)] * 3


# --------------------------------------------------------------------------------------------
# The report read back
# --------------------------------------------------------------------------------------------


def test_report_records_and_claims() -> None:
    fragment = _read("report-small.json")
    assert (fragment.documents, fragment.used) == (3, 1)
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("report-small.json:19", "services[2] has no id; the entry was ignored"),
        ("report-small.json:40", "dependencies[3] (orders -> shipping): 'shipping' is not a service or "
                                 "resource of the report; the entry was ignored"),
    ]
    records = [(e.key, e.role, e.evidence.reader, e.evidence.location) for e in fragment.entities]
    assert records == [
        ("native:orders", "service", "kubernetes", "k8s/shop.yaml:12"),
        ("native:orders", "service", "backstage", "catalog-info.yaml:4"),
        ("native:payments", "service", "kubernetes", "k8s/shop.yaml:30"),
        ("native:database:orders-db", "database", "kubernetes", "k8s/shop.yaml:50"),
        ("external:broker:kafka", "broker", "native", "report-small.json:25"),
    ]
    orders = fragment.entities[0]
    assert (orders.workloads, orders.images, orders.aliases, dict(orders.labels)) == (
        ("Deployment/orders",), ("acme/orders:1.4",), ("orders-svc",), {"app": "orders"})
    chatty = [(c.evidence.reader, c.weight, c.errors, c.operations) for c in fragment.claims
              if c.target == NamedTarget("native:payments")]
    assert chatty == [("jaeger", 120.0, 2, ("Charge",)), ("backstage", 0.0, None, ("Charge",)),
                      ("kubernetes", 0.0, None, ("Charge",))]
    unresolved = fragment.claims[-1]
    assert (unresolved.source, unresolved.target, unresolved.evidence.location) == (
        "native:payments", NamedTarget("fraud-check"), "k8s/shop.yaml:35")


def test_report_of_another_schema_version_is_skipped() -> None:
    data = {"schema_version": 2, "services": [], "dependencies": []}
    fragment = parse_native([Document("r.json", 1, 1, data)])
    assert [s.reason for s in fragment.skipped] == [
        "an advisor report of schema_version 2; this advisor reads schema_version 1"]
    assert (fragment.documents, fragment.used) == (1, 0)


def _as_report(inventory: Inventory) -> dict:
    """The report sections that matter for reading back, as docs/report-format.md lays them out."""
    def ev(evidence: tuple) -> list[dict[str, str]]:
        return [e.as_dict() for e in evidence]

    services = []
    for s in inventory.services:
        item = asdict(s)
        item.update(labels=dict(s.labels), evidence=ev(s.evidence))
        services.append(item)
    resources = []
    for r in inventory.resources:
        item = asdict(r)
        item["evidence"] = ev(r.evidence)
        resources.append(item)
    dependencies = [{"source": d.source, "target": d.target, "kind": d.kind, "protocol": d.protocol,
                     "via": d.via, "role": d.role, "weight": d.weight, "errors": d.errors,
                     "operations": list(d.operations), "bases": list(d.bases), "evidence": ev(d.evidence)}
                    for d in inventory.dependencies]
    unresolved = [{"source": u.source, "reference": u.reference, "reason": u.reason, **u.evidence.as_dict()}
                  for u in inventory.unresolved]
    return {"schema_version": 1, "services": services, "resources": resources, "dependencies": dependencies,
            "unresolved": unresolved, "clusters": [], "proposals": []}


def test_report_round_trip_loses_nothing(tmp_path: Path) -> None:
    original = read_paths([FIXTURES / "shop-inventory-with-hints.yaml",
                           FIXTURES / "traces-edgelist-observed.json"])
    (tmp_path / "report.json").write_text(json.dumps(_as_report(original), indent=2, sort_keys=True))
    again = read_paths([tmp_path / "report.json"])

    def services(inv: Inventory) -> list[tuple]:
        return [(s.id, s.name, s.namespace, s.owner, s.repo, s.runtime, s.images, s.replicas, s.cpu_request,
                 s.memory_request, dict(s.labels), s.system, s.lifecycle, s.description, s.aliases,
                 set(s.evidence)) for s in inv.services]

    def dependencies(inv: Inventory) -> list[tuple]:
        return [(d.source, d.target, d.kind, d.protocol, d.via, d.role, d.weight, d.errors, d.operations,
                 d.bases, set(d.evidence)) for d in inv.dependencies]

    assert services(again) == services(original)
    assert [(r.id, r.kind, r.technology, r.external, set(r.evidence)) for r in again.resources] == \
        [(r.id, r.kind, r.technology, r.external, set(r.evidence)) for r in original.resources]
    assert dependencies(again) == dependencies(original)
    assert [(u.source, u.reference, u.evidence) for u in again.unresolved] == \
        [(u.source, u.reference, u.evidence) for u in original.unresolved]
    assert again.skipped == ()


# --------------------------------------------------------------------------------------------
# The JSON Schema stays in step with the reader
# --------------------------------------------------------------------------------------------


def test_schema_names_the_keys_the_reader_knows() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    defs = schema["$defs"]
    assert set(schema["properties"]) == native._TOP_KEYS
    assert set(defs["service"]["oneOf"][1]["properties"]) == native._SERVICE_KEYS
    assert set(defs["resource"]["oneOf"][1]["properties"]) == native._RESOURCE_KEYS
    assert set(defs["dependency"]["properties"]) == native._DEPENDENCY_KEYS
    assert defs["resource"]["oneOf"][1]["properties"]["kind"]["enum"] == list(native.RESOURCE_KINDS)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "inventory-format.md"


def _documented_example() -> tuple[str, dict]:
    text = DOCS.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    return text, yaml.safe_load(text)


def test_the_documented_example_reads_without_a_skip() -> None:
    text, data = _documented_example()
    fragment = parse_native([Document("example.yaml", 1, 1, data, text)])
    assert (fragment.documents, fragment.used, fragment.skipped) == (1, 1, [])
    assert sorted(e.key for e in fragment.entities) == [
        "native:cache:session-redis", "native:database:orders-db", "native:invoicing", "native:shipping",
        "native:shop/orders", "native:shop/payments", "native:topic:order-events"]
    assert _targets(fragment)[-1] == ("native:invoicing", NamedTarget("billing-db", role="datastore"))
    assert fragment.owners == {"team-shipping": ("shipping", "shipping-worker")}


def test_the_schema_accepts_the_example_and_flags_the_bad_entries() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    validator.check_schema(validator.schema)
    assert list(validator.iter_errors(_documented_example()[1])) == []
    bad = yaml.safe_load((FIXTURES / "shop-inventory-with-hints.yaml").read_text())
    paths = sorted({tuple(e.absolute_path)[:2] for e in validator.iter_errors(bad)})
    assert paths == [("dependencies", 5), ("services", 2), ("services", 3)]
    observed = json.loads((FIXTURES / "traces-edgelist-observed.json").read_text())
    assert sorted({tuple(e.absolute_path) for e in validator.iter_errors(observed)}) == [
        ("dependencies", 3, "weight")]


# --------------------------------------------------------------------------------------------
# Hostile input: anything in any field
# --------------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["orders", "topic:x", "shop/orders", "database:", "observed", "sync", "produce"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=16,
)


def _entries_of(keys: list[str]) -> st.SearchStrategy:
    return st.lists(st.dictionaries(st.sampled_from(keys), _json, max_size=6) | _json, max_size=4) | _json


_inventory = st.fixed_dictionaries({"advisor": st.just("inventory/v1")}, optional={
    "basis": _json | st.sampled_from(["declared", "observed"]),
    "services": _entries_of(sorted(native._SERVICE_KEYS)),
    "resources": _entries_of(sorted(native._RESOURCE_KEYS)),
    "dependencies": _entries_of(sorted(native._DEPENDENCY_KEYS)),
    "aliases": _json, "owners": _json,
})
_report = st.fixed_dictionaries({
    "schema_version": st.just(1),
    "services": st.lists(st.dictionaries(st.sampled_from(["id", "name", "evidence", "replicas", "labels"]), _json)
                         | st.fixed_dictionaries({"id": st.sampled_from(["a", "b"])}), max_size=3),
    "dependencies": st.lists(st.dictionaries(st.sampled_from(["source", "target", "kind", "weight", "evidence"]),
                                             _json | st.sampled_from(["a", "b"])), max_size=3),
}, optional={"resources": _json, "unresolved": _json})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_inventory | _report)
def test_any_document_never_raises_and_always_adds_up(data: dict) -> None:
    assert native.recognise(data)
    text = yaml.safe_dump(data)
    fragment = parse_native([Document("h.yaml", 1, 1, data, text)])
    assert fragment.documents == fragment.used + len(fragment.skipped)
    keys = {e.key for e in fragment.entities}
    assert all(c.source in keys for c in fragment.claims)
    resolve([fragment])
