"""The Kubernetes reader, from fixture files that name their case to the resolved inventory."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import kubernetes
from inventory.documents import Document, iter_documents
from inventory.model import Dependency, Inventory, Skipped
from inventory.options import ReadOptions
from inventory.reading import read_uploads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kubernetes"


def read(*names: str, options: ReadOptions | None = None) -> Inventory:
    uploads = [(name, (FIXTURES / name).read_bytes()) for name in names]
    return read_uploads(uploads, options) if options else read_uploads(uploads)


def edges(inv: Inventory) -> set[tuple[str, str, str]]:
    return {(d.source, d.target, d.kind) for d in inv.dependencies}


def dependency(inv: Inventory, source: str, target: str) -> Dependency:
    [dep] = [d for d in inv.dependencies if d.source == source and d.target == target]
    return dep


def details(dep: Dependency) -> list[tuple[str, str]]:
    return [(e.location, e.detail) for e in dep.evidence]


def documents(name: str) -> list[Document]:
    return [d for d in iter_documents((FIXTURES / name).read_text(), name) if isinstance(d, Document)]


# ---------------------------------------------------------------------------------------------
# recognising and parsing one file
# ---------------------------------------------------------------------------------------------


def test_recognise() -> None:
    assert kubernetes.recognise({"apiVersion": "apps/v1", "kind": "Deployment"})
    assert kubernetes.recognise({"apiVersion": "v1", "kind": "List", "items": []})
    assert not kubernetes.recognise({"apiVersion": "backstage.io/v1alpha1", "kind": "Component"})
    assert not kubernetes.recognise({"kind": "Deployment"})
    assert not kubernetes.recognise({"apiVersion": 1, "kind": "Deployment"})
    assert not kubernetes.recognise(["apiVersion", "kind"])
    assert not kubernetes.recognise(None)


def test_parse_manifests_accounts_for_every_document_it_is_given() -> None:
    fragment = kubernetes.parse_manifests(documents("kind-list.yaml"))
    assert (fragment.location, fragment.format) == ("kind-list.yaml", "kubernetes")
    assert (fragment.documents, fragment.used) == (3, 2)
    assert fragment.skipped == [Skipped("kind-list.yaml#3 (line 67)", "the list holds nothing this advisor reads")]
    assert fragment.entities == [] and fragment.claims == []  # entities come from assemble(), across files
    assert len(fragment.extras) == 1


def test_parse_manifests_of_nothing_is_an_empty_fragment() -> None:
    fragment = kubernetes.parse_manifests([])
    assert (fragment.documents, fragment.used, fragment.skipped) == (0, 0, [])


# ---------------------------------------------------------------------------------------------
# envelopes and tool outputs
# ---------------------------------------------------------------------------------------------


def test_kind_list_and_typed_list() -> None:
    inv = read("kind-list.yaml")
    assert [s.id for s in inv.services] == ["orders", "payments"]
    orders = inv.service("orders")
    assert orders is not None
    assert (orders.namespace, orders.owner, orders.replicas) == ("shop", "fulfilment", 3)
    assert (orders.cpu_request, orders.memory_request) == (0.25, 128 * 1024 * 1024)
    assert orders.workloads == ("Deployment/orders",)
    payments = inv.service("payments")
    assert payments is not None
    assert (payments.cpu_request, payments.memory_request) == (None, None)  # unknown, not zero
    assert orders.evidence[0].location == "kind-list.yaml:7"
    assert edges(inv) == {("orders", "payments", "sync")}
    assert details(dependency(inv, "orders", "payments")) == [
        ("kind-list.yaml:25", "env PAYMENTS_ADDR=payments:8080 in Deployment/orders container orders")
    ]
    assert inv.inputs[0].as_dict() == {"location": "kind-list.yaml", "format": "kubernetes", "documents": 3,
                                       "used": 2, "skipped": 1}


def test_helm_template_output_skips_hooks_with_a_reason() -> None:
    inv = read("helm-template-output.yaml")
    assert [s.id for s in inv.services] == ["cart"]
    assert [(r.id, r.kind, r.technology, r.external) for r in inv.resources] == [
        ("cache:valkey-cart", "cache", "redis", False)
    ]
    cart = inv.service("cart")
    assert cart is not None
    assert (cart.owner, cart.system, cart.replicas) == ("team-cart", "shop", 2)
    assert edges(inv) == {("cart", "cache:valkey-cart", "datastore")}
    assert list(inv.skipped) == [
        Skipped("helm-template-output.yaml#5 (line 74)",
                "Helm hook (test) Pod/shop-test-connection: not part of the running system"),
        Skipped("helm-template-output.yaml#6 (line 89)",
                "Helm hook (pre-install,pre-upgrade) Job/shop-db-migrate: not part of the running system"),
    ]
    # the comment-only template is not a document; the hooks' references are not read
    assert (inv.inputs[0].documents, inv.inputs[0].used, inv.inputs[0].skipped) == (6, 4, 2)
    assert inv.unresolved == ()
    assert "hunter2" not in repr(inv)


def test_kubectl_get_json() -> None:
    inv = read("kubectl-get-json.json")
    assert [(s.id, s.namespace, s.owner) for s in inv.services] == [("cart", "shop", None),
                                                                     ("checkout", "shop", "payments")]
    assert details(dependency(inv, "checkout", "cart")) == [
        ("kubectl-get-json.json:23",
         "env CART_SERVICE_ADDR=cart.shop.svc.cluster.local:7070 in Deployment/checkout container checkout")
    ]
    assert inv.services[1].evidence[0].location == "kubectl-get-json.json:8"


def test_kustomize_hash_suffixed_configmap_is_referenced_exactly() -> None:
    inv = read("kustomize-hash-configmap.yaml")
    assert edges(inv) == {("orders", "inventory", "sync")}
    assert details(dependency(inv, "orders", "inventory")) == [
        ("kustomize-hash-configmap.yaml:36",
         "env INVENTORY_URL from ConfigMap/orders-config-5t8c2g7k9m[INVENTORY_URL]="
         "http://inventory.shop.svc.cluster.local:8080/api in Deployment/orders container orders")
    ]
    # the older generation of the ConfigMap is used by nobody: its address is no reference
    assert inv.unresolved == ()


# ---------------------------------------------------------------------------------------------
# workloads and Services
# ---------------------------------------------------------------------------------------------


def test_statefulset_behind_a_headless_service_answers_to_pod_dns_names() -> None:
    inv = read("statefulset-headless.yaml")
    assert [(r.id, r.kind, r.technology, r.namespace, r.replicas) for r in inv.resources] == [
        ("broker:kafka-headless", "broker", "kafka", "messaging", 3)
    ]
    assert edges(inv) == {("order-events", "broker:kafka-headless", "async")}
    assert inv.unresolved == ()
    assert inv.resources[0].cpu_request == 1.0
    assert inv.resources[0].memory_request == 2 * 1024**3


def test_pods_owned_by_a_replicaset_fold_into_their_deployment() -> None:
    inv = read("pod-owned-by-replicaset.yaml")
    assert [(s.id, s.workloads) for s in inv.services] == [
        ("orders", ("Deployment/orders",)), ("stock", ("StatefulSet/stock",))
    ]
    assert edges(inv) == {("orders", "stock", "sync")}


def test_versions_behind_one_service_are_one_service() -> None:
    inv = read("versions-behind-one-service.yaml")
    assert [s.id for s in inv.services] == ["ratings", "reviews"]
    reviews = inv.service("reviews")
    assert reviews is not None
    assert reviews.workloads == ("Deployment/reviews-v1", "Deployment/reviews-v2", "Deployment/reviews-v3")
    assert reviews.aliases == ("reviews-v1", "reviews-v2", "reviews-v3")
    assert reviews.replicas == 4
    assert reviews.cpu_request == 0.1
    assert reviews.memory_request == 256 * 1024 * 1024
    assert edges(inv) == {("reviews", "ratings", "sync")}


def test_one_deployment_behind_two_services_is_one_service_named_after_the_deployment() -> None:
    inv = read("two-services-one-deployment.yaml")
    assert [s.id for s in inv.services] == ["frontend", "loadgenerator"]
    frontend = inv.service("frontend")
    assert frontend is not None
    assert frontend.aliases == ("frontend-external",)
    # a reference to either Service name reaches the one service
    assert edges(inv) == {("loadgenerator", "frontend", "sync")}


def test_externalname_and_selectorless_services_are_resources_not_services() -> None:
    inv = read("externalname-service.yaml")
    assert [s.id for s in inv.services] == ["checkout"]
    assert [(r.id, r.kind, r.technology) for r in inv.resources] == [
        ("other:legacy-crm", "other", "unmanaged"), ("other:payment-gateway", "other", "external")
    ]
    assert inv.resources[1].evidence[0].detail == "Service/payment-gateway (ExternalName api.payments.example.com)"
    assert edges(inv) == {("checkout", "other:legacy-crm", "sync"), ("checkout", "other:payment-gateway", "sync")}


def test_ingress_and_gateway_virtualservice_route_to_services_and_mesh_routing_is_no_edge() -> None:
    inv = read("ingress-and-virtualservice.yaml")
    assert [(r.id, r.technology) for r in inv.resources] == [
        ("other:ingress-public", "ingress"), ("other:public-gateway", "istio-gateway")
    ]
    assert edges(inv) == {
        ("other:ingress-public", "storefront", "sync"),
        ("other:ingress-public", "api-gateway", "sync"),
        ("other:public-gateway", "storefront", "sync"),
    }
    assert details(dependency(inv, "other:public-gateway", "storefront")) == [
        ("ingress-and-virtualservice.yaml:40", "VirtualService/storefront-public routes to storefront:80")
    ]
    assert dependency(inv, "other:ingress-public", "api-gateway").protocol == "http"


# ---------------------------------------------------------------------------------------------
# edge inference: env, ConfigMaps in other files, $(VAR), kubelet variables, commands, args
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipping() -> Inventory:
    return read("envfrom-app.yaml", "envfrom-configmaps.yaml", "envfrom-targets.yaml")


def test_every_way_a_workload_names_a_dependency(shipping: Inventory) -> None:
    assert edges(shipping) == {
        ("shipping", "carriers", "sync"),
        ("shipping", "database:shipping-db", "datastore"),
        ("shipping", "payments", "sync"),
        ("shipping", "quote", "sync"),
        ("shipping", "tracking", "sync"),
        ("shipping", "warehouse", "sync"),
    }
    assert shipping.unresolved == ()


def test_configmap_key_ref_resolves_against_a_configmap_in_another_file(shipping: Inventory) -> None:
    assert details(dependency(shipping, "shipping", "quote")) == [
        ("envfrom-app.yaml:32",
         "env QUOTE_HOST from ConfigMap/shipping-settings[quote.host]=quote in Deployment/shipping container shipping")
    ]


def test_env_from_with_a_prefix_resolves_and_feeds_var_expansion(shipping: Inventory) -> None:
    assert details(dependency(shipping, "shipping", "warehouse")) == [
        ("envfrom-app.yaml:45", "env STOCK_URL=http://warehouse:7000/stock in Deployment/shipping container shipping"),
        ("envfrom-configmaps.yaml:7",
         "envFrom ConfigMap/shipping-env WAREHOUSE_ADDR=warehouse:7000 in Deployment/shipping container shipping"),
    ]


def test_var_expansion_between_env_vars(shipping: Inventory) -> None:
    assert details(dependency(shipping, "shipping", "tracking")) == [
        ("envfrom-app.yaml:37", "env TRACKING_HOST=tracking in Deployment/shipping container shipping"),
        ("envfrom-app.yaml:41",
         "env TRACKING_URL=http://tracking:9000/track in Deployment/shipping container shipping"),
    ]


def test_kubelet_service_host_variable(shipping: Inventory) -> None:
    assert details(dependency(shipping, "shipping", "carriers")) == [
        ("envfrom-app.yaml:43", "env CARRIER_ADDR=$(CARRIERS_SERVICE_HOST) in Deployment/shipping container shipping")
    ]


def test_init_container_waiting_for_a_database(shipping: Inventory) -> None:
    dep = dependency(shipping, "shipping", "database:shipping-db")
    assert dep.kind == "datastore"
    assert details(dep) == [
        ("envfrom-app.yaml:18", "command `sh -c until nc -z shipping-db 5432; do sleep 2; done` in "
                                "Deployment/shipping init container wait-for-db")
    ]


def test_args_url_in_another_namespace_and_listen_address_is_no_reference(shipping: Inventory) -> None:
    dep = dependency(shipping, "shipping", "payments")
    assert shipping.service("payments") is not None
    assert shipping.service("payments").namespace == "billing"  # type: ignore[union-attr]
    assert dep.protocol == "http"
    assert details(dep) == [
        ("envfrom-app.yaml:23", "args `--payments-url=http://payments.billing:8080 --listen=0.0.0.0:8080` in "
                                "Deployment/shipping container shipping")
    ]


def test_the_configmap_file_alone_gives_no_edges_but_is_used() -> None:
    inv = read("envfrom-configmaps.yaml")
    assert inv.dependencies == () and inv.services == ()
    assert (inv.inputs[0].documents, inv.inputs[0].used) == (2, 2)


def test_application_yaml_and_properties_inside_a_mounted_configmap() -> None:
    inv = read("configmap-application-yaml.yaml")
    assert edges(inv) == {("billing", "database:billing-db", "datastore")}
    dep = dependency(inv, "billing", "database:billing-db")
    assert (dep.via, dep.protocol) == ("billing", "postgresql")
    assert details(dep) == [
        ("configmap-application-yaml.yaml:11",
         "ConfigMap/billing-config application.yaml: spring.datasource.url mounted into Deployment/billing")
    ]
    [db] = inv.resources
    assert (db.id, db.technology, db.external) == ("database:billing-db", "postgres", True)
    # references to things not deployed here are reported once each, at their line
    assert [(u.reference, u.evidence.location) for u in inv.unresolved] == [
        ("ledger", "configmap-application-yaml.yaml:17"),
        ("notifier", "configmap-application-yaml.yaml:21"),
        ("rabbitmq", "configmap-application-yaml.yaml:15"),
    ]
    assert inv.unresolved[0].reason == "no service or resource named 'ledger' is in the inventory"
    text = repr(inv)
    assert "Sup3rSecretPw" not in text
    assert "retired-ledger" not in text  # commented out


# ---------------------------------------------------------------------------------------------
# namespaces
# ---------------------------------------------------------------------------------------------


def test_same_name_in_two_namespaces_resolves_by_namespace() -> None:
    inv = read("same-name-two-namespaces.yaml")
    assert [(s.id, s.namespace) for s in inv.services] == [
        ("a/orders", "a"), ("audit", "c"), ("b/orders", "b"), ("reports", "a"), ("web", "a")
    ]
    assert edges(inv) == {
        ("web", "a/orders", "sync"),        # `orders` from namespace a is a/orders
        ("reports", "b/orders", "sync"),    # `orders.b` is b/orders
        ("audit", "a/orders", "sync"),      # the full cluster name
    }
    # from a third namespace, `orders` is ambiguous: reported, not guessed
    assert [(u.source, u.reference, u.evidence.location) for u in inv.unresolved] == [
        ("audit", "orders", "same-name-two-namespaces.yaml:86")
    ]


# ---------------------------------------------------------------------------------------------
# secrets
# ---------------------------------------------------------------------------------------------


def test_secret_values_never_appear_in_the_inventory() -> None:
    inv = read("secrets-planted.yaml")
    text = repr(inv)
    for planted in ("xyzzy", "cGxhbnRlZC1iYXNlNjQtdmFsdWU", "b3JkZXJzLWRi", "redis-cache"):
        assert planted not in text
    assert (inv.inputs[0].documents, inv.inputs[0].used, inv.inputs[0].skipped) == (5, 5, 0)


def test_passwords_inside_urls_and_secret_named_env_vars_are_masked_in_evidence() -> None:
    inv = read("secrets-planted.yaml")
    assert set(details(dependency(inv, "orders", "payments"))) == {
        ("secrets-planted.yaml:21",
         "envFrom ConfigMap/orders-config PAYMENTS_URL=https://svc:***@payments:8443/ in "
         "Deployment/orders container orders"),
        ("secrets-planted.yaml:44",
         "args `--db-password=*** --auth-token *** --peer=http://payments:8443` in Deployment/orders container orders"),
        ("secrets-planted.yaml:59", "env CALLBACK_TOKEN_URL=*** in Deployment/orders container orders"),
    }
    db = {detail for _, detail in details(dependency(inv, "orders", "database:orders-db"))}
    assert "env DATABASE_URL=postgres://orders:***@orders-db:5432/orders in Deployment/orders container orders" in db
    assert ("env DB_CONNECTION_STRING=Host=orders-db;Port=5432;Database=orders;Username=app;Password=*** in "
            "Deployment/orders container orders") in db
    # $(DB_PASSWORD) expanded into a URL is masked like any other password
    assert details(dependency(inv, "orders", "database:orders-db-replica")) == [
        ("secrets-planted.yaml:57",
         "env REPLICA_URL=postgres://orders:***@orders-db-replica:5432/orders in Deployment/orders container orders")
    ]


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------


def test_broken_document_in_the_middle_does_not_sink_the_others() -> None:
    inv = read("broken-document-in-middle.yaml")
    assert [s.id for s in inv.services] == ["first", "last"]
    assert edges(inv) == {("last", "first", "sync")}
    assert list(inv.skipped) == [
        Skipped("broken-document-in-middle.yaml#2 (line 17)",
                "is not valid YAML: did not find expected ',' or '}' (line 23, column 5)")
    ]
    assert (inv.inputs[0].documents, inv.inputs[0].used, inv.inputs[0].skipped) == (3, 2, 1)


def test_objects_without_a_name_and_unread_kinds_are_skipped_with_reasons() -> None:
    text = (
        "apiVersion: v1\nkind: Service\nspec: {}\n---\n"
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}\n---\n"
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ok}\n"
    )
    inv = read_uploads([("mixed.yaml", text.encode())])
    assert [s.id for s in inv.services] == ["ok"]
    assert list(inv.skipped) == [
        Skipped("mixed.yaml#1 (line 1)", "a Kubernetes object needs a kind and metadata.name"),
        Skipped("mixed.yaml#2 (line 4)", "ServiceAccount/robot is a ServiceAccount and carries no service or "
                                         "dependency information"),
        Skipped("mixed.yaml#3 (line 8)", "Widget/w: kind Widget is not read by the advisor"),
    ]


def test_wrong_types_in_fields_are_tolerated_and_each_is_reported() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: odd, labels: [a, b], namespace: 7}\n"
        "spec:\n  replicas: many\n  template:\n    metadata: {labels: nope}\n    spec:\n      containers:\n"
        "      - name: [x]\n        image: 42\n        env: {FOO: bar}\n        args: 17\n"
        "        resources: {requests: {cpu: lots, memory: [1]}}\n      - just-a-string\n"
        "      initContainers: 5\n      volumes: [{configMap: 3}, 7]\n"
    )
    inv = read_uploads([("odd.yaml", text.encode())])
    [odd] = inv.services
    assert (odd.id, odd.namespace, odd.replicas, odd.cpu_request, odd.memory_request) == ("odd", "7", 1, None, None)
    containers = "Deployment/odd: spec.template.spec.containers"
    assert [(s.location, s.reason) for s in inv.skipped] == [
        ("odd.yaml:3 (Deployment/odd)",
         "Deployment/odd: metadata.labels is a list, not a mapping of names to values; it was ignored"),
        ("odd.yaml:5 (Deployment/odd)",
         "Deployment/odd: spec.replicas is a string, not a whole number; it was ignored"),
        ("odd.yaml:7 (Deployment/odd)", "Deployment/odd: spec.template.metadata.labels is a string, not a mapping of "
                                        "names to values; it was ignored"),
        ("odd.yaml:9 (Deployment/odd)", f"{containers}[1] is a string, not a container mapping; it was ignored"),
        ("odd.yaml:10 (Deployment/odd)", f"{containers}[0].name is a list, not a string; it was ignored"),
        ("odd.yaml:12 (Deployment/odd)", f"{containers}[0].env is a mapping, not a list of variable mappings; "
                                         "it was ignored"),
        ("odd.yaml:14 (Deployment/odd)", f"{containers}[0].resources.requests.cpu is 'lots', not a CPU quantity "
                                         "(such as 500m); it was ignored"),
        ("odd.yaml:14 (Deployment/odd)", f"{containers}[0].resources.requests.memory is a list, not a memory "
                                         "quantity (such as 512Mi); it was ignored"),
        ("odd.yaml:16 (Deployment/odd)", "Deployment/odd: spec.template.spec.initContainers is a number, not a list "
                                         "of container mappings; it was ignored"),
        ("odd.yaml:17 (Deployment/odd)", "Deployment/odd: spec.template.spec.volumes[1] is a number, not a volume "
                                         "mapping; it was ignored"),
    ]
    assert [a.as_dict() for a in inv.inputs] == [
        {"location": "odd.yaml", "format": "kubernetes", "documents": 11, "used": 1, "skipped": 10}]


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12), st.floats(allow_nan=False))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["metadata", "spec", "name", "namespace", "labels", "selector", "template",
                                 "containers", "initContainers", "env", "envFrom", "value", "valueFrom",
                                 "configMapKeyRef", "key", "items", "data", "args", "command", "rules", "http",
                                 "paths", "backend", "service", "route", "destination", "host", "gateways",
                                 "ownerReferences", "controller", "kind", "image", "volumes", "configMap",
                                 "annotations", "replicas", "resources", "requests"]), inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from([*sorted(kubernetes.WORKLOAD_KINDS), "Service", "ConfigMap", "Secret", "Ingress",
                             "VirtualService", "List", "DeploymentList"]),
       body=st.dictionaries(st.sampled_from(["metadata", "spec", "items", "data"]), _values, max_size=4))
def test_arbitrary_manifests_never_raise(kind: str, body: dict[str, object]) -> None:
    data = {"apiVersion": "v1", "kind": kind, **body}
    doc = Document("fuzz.yaml", 1, 1, data, "")
    fragment = kubernetes.parse_manifests([doc])
    assert fragment.used <= 1
    assert fragment.documents == fragment.used + len(fragment.skipped)  # wrong fields are entries of their own
    entities, claims, _ = kubernetes.assemble(fragment.extras)
    assert all(c.source in {e.key for e in entities} for c in claims)


# ---------------------------------------------------------------------------------------------
# accounting on every fixture
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_file()))
def test_every_fixture_accounts_for_every_document(name: str) -> None:
    inv = read(name)
    [account] = inv.inputs
    assert account.documents == account.used + account.skipped
    assert account.skipped == len([s for s in inv.skipped if s.location.startswith(name)])


@pytest.mark.parametrize(("name", "metadata", "named", "env"), [
    ("get-all-list.yaml", "  metadata:", "    name: web", "- name: API_URL"),
    ("get-all-list.json", '            "metadata": {', '                "name": "web",', '"name": "API_URL",'),
])
def test_a_kubectl_list_cites_each_object_at_its_own_lines(name: str, metadata: str, named: str, env: str) -> None:
    """In ``kubectl get all -o yaml`` (and ``-o json``) a ReplicaSet's ownerReferences and a
    HorizontalPodAutoscaler's scaleTargetRef name the Deployment that follows them: each item is
    read in its own text, so the Deployment is cited at its metadata.name and its env var at its
    own line, not inside them."""
    text = (FIXTURES / name).read_text()
    lines = text.splitlines()
    inv = read_uploads([(name, text.encode())])
    web = next(s for s in inv.services if s.id == "web")
    (evidence,) = [e for e in web.evidence if e.detail == "Deployment/web"]
    at = int(evidence.location.rsplit(":", 1)[1])
    assert lines[at - 1] == named and lines[at - 2] == metadata
    (dependency,) = [d for d in inv.dependencies if (d.source, d.target) == ("web", "api")]
    env_line = int(dependency.evidence[0].location.rsplit(":", 1)[1])
    assert lines[env_line - 1].strip() == env


@pytest.mark.parametrize(("text", "spans"), [
    ("apiVersion: v1\nitems:\n- a: 1\n  b: 2\n- c: 3\nkind: List\n", [(22, 36), (36, 43)]),
    ("items:\n- a\n-\n  b: 1\n", [(7, 11), (11, 20)]),
    ("apiVersion: v1\nitems:\n  - indented: items\nkind: List\n", None),  # another layout
    ("apiVersion: v1\nitems: []\nkind: List\n", None),
    ('{"items": [{"a": 1}]}', None),
    ('{\n    "items": [\n        {\n            "a": 1\n        },\n        {\n            "b": [\n'
     '                {\n                }\n            ]\n        }\n    ],\n    "kind": "List"\n}\n',
     [(17, 57), (57, 146)]),
])
def test_list_item_spans(text: str, spans: list[tuple[int, int]] | None) -> None:
    from inventory.documents import list_item_spans

    assert list_item_spans(text) == spans
    if spans:
        assert all(text[s:e].lstrip(" ").startswith(("-", "{")) for s, e in spans)
