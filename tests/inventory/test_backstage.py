"""The Backstage catalog reader: references, entities, relations, API pairing, accounting."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import backstage, kubernetes, resolving
from inventory.backstage import EntityRef, assemble, parse_catalog, parse_entities, parse_ref, read_entity
from inventory.documents import Document, iter_documents
from inventory.model import Claim, EntityRecord, Fragment, NamedTarget, Skipped
from inventory.native import parse_native
from inventory.options import ReadOptions
from inventory.reading import read_paths
from inventory.resolving import resolve

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "backstage"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
CORPUS = SHARED / "corpus" / "backstage-examples" / "upstream-backstage"


def _docs(path: Path, location: str | None = None) -> list[Document]:
    docs = [d for d in iter_documents(path.read_text(), location or path.name) if isinstance(d, Document)]
    assert all(backstage.recognise(d.data) for d in docs)
    return docs


def _fragment(name: str) -> Fragment:
    return parse_catalog(_docs(FIXTURES / name))


def _edges(claims: list[Claim]) -> set[tuple[str, str, str, str | None, str | None, str]]:
    out = set()
    for c in claims:
        assert isinstance(c.target, NamedTarget)
        assert c.kind == "declared"
        out.add((c.source, c.target.name, c.target.role, c.via, c.protocol, c.evidence.location))
    return out


# --------------------------------------------------------------------------------------------
# References
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "default_kind", "default_namespace", "expected"),
    [
        ("orders", "component", "default", "component:default/orders"),
        ("Orders-API", "api", "default", "api:default/orders-api"),
        ("billing/invoice-api", "api", "default", "api:billing/invoice-api"),
        ("invoice-api", "api", "billing", "api:billing/invoice-api"),
        ("group:team-a", "group", "shop", "group:shop/team-a"),
        ("Resource:Default/Orders-DB", None, "default", "resource:default/orders-db"),
        ("user:default/jane.doe", "group", "default", "user:default/jane.doe"),
        ({"kind": "Group", "namespace": "finance", "name": "Team-Payments"}, "group", "default",
         "group:finance/team-payments"),
        ({"name": "payments-db", "kind": "Resource"}, "component", "shop", "resource:shop/payments-db"),
        ({"name": "payments"}, "component", "default", "component:default/payments"),
    ],
)
def test_references_normalise_to_kind_namespace_name(value: object, default_kind: str | None,
                                                     default_namespace: str, expected: str) -> None:
    assert str(parse_ref(value, default_kind=default_kind, default_namespace=default_namespace)) == expected


@pytest.mark.parametrize("value", ["component:", ":orders", "default/", "component:default/", "two words",
                                   "a:b:c/d:e", 42, None, ["orders"], {"kind": "Component"},
                                   {"$text": "./x"}])
def test_malformed_references_are_none(value: object) -> None:
    assert parse_ref(value, default_kind="component") is None


def test_a_reference_without_kind_and_no_default_is_not_valid() -> None:
    assert parse_ref("orders") is None
    assert parse_ref("orders", default_kind="component") == EntityRef("component", "default", "orders")


def test_a_slash_before_the_colon_belongs_to_the_name_as_backstage_parses_it() -> None:
    # Backstage's parseEntityRef: "ns/name:x" has no kind; the name "name:x" is then malformed here
    assert parse_ref("ns/name:x", default_kind="component") is None


# --------------------------------------------------------------------------------------------
# Recognition
# --------------------------------------------------------------------------------------------


def test_recognises_entities_templates_and_saved_api_answers() -> None:
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"}}
    template = {"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
                "metadata": {"name": "t"}}
    assert backstage.recognise(entity)
    assert backstage.recognise(template)
    assert backstage.recognise({"items": [entity], "totalItems": 1, "pageInfo": {}})
    assert backstage.recognise([entity])
    assert not backstage.recognise({"apiVersion": "apps/v1", "kind": "Deployment"})
    assert not backstage.recognise({"apiVersion": "notbackstage.io/v1", "kind": "Component"})
    assert not backstage.recognise({"items": [{"apiVersion": "v1", "kind": "Service"}]})
    assert not backstage.recognise([1, 2])
    assert not backstage.recognise("backstage.io/v1alpha1")
    assert not kubernetes.recognise(entity)


# --------------------------------------------------------------------------------------------
# One file
# --------------------------------------------------------------------------------------------


def test_shop_catalog_records_and_accounting() -> None:
    fragment = _fragment("shop-catalog-info.yaml")
    assert fragment.format == "backstage"
    # 12 documents: 7 entities read (5 Components/Resources of interest + API + ...), 5 skipped,
    # plus 2 problems inside the payments Component counted as documents of their own
    assert (fragment.documents, fragment.used, len(fragment.skipped)) == (14, 7, 7)
    assert fragment.documents == fragment.used + len(fragment.skipped)
    by_key = {e.key: e for e in fragment.entities}
    assert sorted(by_key) == [
        "backstage:component:default/orders",
        "backstage:component:default/payments",
        "backstage:component:default/payments-sdk",
        "backstage:resource:default/order-events",
        "backstage:resource:default/orders-db",
        "backstage:resource:default/payments-db",
    ]
    roles = {k.rsplit("/", 1)[1]: (e.role, e.technology) for k, e in by_key.items()}
    assert roles == {
        "orders": ("service", None),
        "payments": ("service", None),
        "payments-sdk": ("other", "library"),
        "order-events": ("topic", "kafka"),
        "orders-db": ("database", None),
        "payments-db": ("database", "postgres"),
    }
    orders = by_key["backstage:component:default/orders"]
    assert orders.name == "orders"
    assert orders.namespace is None
    assert orders.owner == "team-orders"
    assert orders.system == "shop"
    assert orders.lifecycle == "production"
    assert orders.description == "Takes orders"
    assert orders.aliases == ("orders-svc", "orders-service")
    assert orders.repo == "https://github.com/acme/orders/"
    assert orders.runtime == "java"
    assert dict(orders.labels) == {"tier": "backend"}
    assert orders.reader == "backstage"
    assert orders.evidence.location == "shop-catalog-info.yaml:28"
    assert orders.evidence.detail == "Component/orders (service)"
    payments = by_key["backstage:component:default/payments"]
    assert payments.owner == "team-payments"  # compound owner ref in another namespace: the name part
    assert payments.repo == "https://github.com/acme/payments"
    assert by_key["backstage:resource:default/payments-db"].owner == "team-payments"
    assert fragment.claims == []  # every reference waits for assemble()


def test_shop_catalog_skips_say_where_and_why() -> None:
    skipped = [(s.location, s.reason) for s in _fragment("shop-catalog-info.yaml").skipped]
    assert skipped == [
        ("shop-catalog-info.yaml#1 (line 1)",
         "Group/team-orders: a Group describes a team; owners are read from each entity's spec.owner"),
        ("shop-catalog-info.yaml#2 (line 9)",
         "System/shop: a System groups components; each Component's spec.system is read from the Component, "
         "the System itself carries no service"),
        ("shop-catalog-info.yaml#3 (line 17)",
         "Domain/commerce: a Domain groups systems and carries no service"),
        ("shop-catalog-info.yaml:69",
         "Component/payments spec.dependsOn[1] 'component:' is not a valid entity reference "
         "([kind:][namespace/]name): its name is empty or malformed; it was ignored"),
        ("shop-catalog-info.yaml:66",
         "Component/payments spec.dependsOn[2] is a $text/$json/$yaml substitution, which only a Backstage "
         "backend resolves; it was ignored"),
        ("shop-catalog-info.yaml#11 (line 119)",
         "a Backstage Component needs metadata.name (one word such as 'orders'); it cannot be referred to"),
        ("shop-catalog-info.yaml#12 (line 127)",
         "Location/more-catalogs: Location entities point at other catalog files; they are not followed "
         "(give the advisor those files instead)"),
    ]


def test_other_namespace_and_templates() -> None:
    fragment = _fragment("billing-catalog-info.yaml")
    assert (fragment.documents, fragment.used) == (4, 3)
    by_key = {e.key: e for e in fragment.entities}
    invoicing = by_key["backstage:component:billing/invoicing"]
    assert dict(invoicing.labels) == {"backstage.io/namespace": "billing"}
    assert invoicing.namespace is None
    assert by_key["backstage:component:default/checkout"].owner == "guest"
    assert [s.reason for s in fragment.skipped] == [
        "Template/new-service: a Template is a scaffolder template for creating new software; "
        "it describes no running service"]


# --------------------------------------------------------------------------------------------
# Claims across files
# --------------------------------------------------------------------------------------------


def test_assemble_pairs_consumers_with_providers_across_files() -> None:
    shop, billing = _fragment("shop-catalog-info.yaml"), _fragment("billing-catalog-info.yaml")
    claims = assemble([*shop.extras, *billing.extras, object()])
    k = "backstage:component:default/"
    r = "backstage:resource:default/"
    invoicing = "backstage:component:billing/invoicing"
    assert _edges(claims) == {
        # dependsOn, in every reference form
        (k + "orders", r + "orders-db", "any", None, None, "shop-catalog-info.yaml:43"),
        (k + "orders", k + "payments", "any", None, None, "shop-catalog-info.yaml:44"),
        (k + "orders", invoicing, "any", None, None, "shop-catalog-info.yaml:45"),
        (k + "orders", k + "payments-sdk", "any", None, None, "shop-catalog-info.yaml:46"),
        (k + "payments", r + "payments-db", "any", None, None, "shop-catalog-info.yaml:68"),
        (k + "checkout", k + "orders", "any", None, None, "billing-catalog-info.yaml:36"),
        # defined by no catalog file: looked up by name, as a resource
        (k + "orders", "orders-cache", "resource", None, None, "shop-catalog-info.yaml:47"),
        # dependencyOf on payments naming checkout: checkout -> payments
        (k + "checkout", k + "payments", "any", None, None, "shop-catalog-info.yaml:72"),
        # consumer -> provider, once with each side's evidence; the API's type gives the protocol
        (k + "orders", invoicing, "any", "billing/invoice-api", "grpc", "shop-catalog-info.yaml:51"),
        (k + "orders", invoicing, "any", "billing/invoice-api", "grpc", "billing-catalog-info.yaml:12"),
        (k + "checkout", k + "orders", "any", "orders-api", "http", "billing-catalog-info.yaml:34"),
        (k + "checkout", k + "orders", "any", "orders-api", "http", "shop-catalog-info.yaml:49"),
        # an API nobody provides
        (k + "payments", "api:default/fraud-api", "any", "fraud-api", None, "shop-catalog-info.yaml:73"),
    }
    dangling = next(c for c in claims if c.via == "fraud-api")
    assert dangling.evidence.detail == ("Component/payments spec.consumesApis api:default/fraud-api; "
                                        "no component in the inventory provides this API")


def test_assemble_falls_back_to_names_when_the_provider_file_is_missing() -> None:
    claims = assemble(_fragment("shop-catalog-info.yaml").extras)
    targets = {(c.source, c.target.name, c.target.role, c.via) for c in claims
               if isinstance(c.target, NamedTarget)}
    k = "backstage:component:default/"
    # invoicing is defined nowhere now: dependsOn is looked up by name; the API has no provider
    assert (k + "orders", "invoicing", "component", None) in targets
    assert (k + "orders", "api:billing/invoice-api", "any", "billing/invoice-api") in targets
    # and the consumer of orders-api (checkout) is not in this file: no pair
    assert not any(via == "orders-api" for *_, via in targets)


def test_relations_are_preferred_over_spec() -> None:
    fragment = _fragment("catalog-api-relations.json")
    assert (fragment.documents, fragment.used) == (2, 1)  # one envelope, one User skipped inside it
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("catalog-api-relations.json:37",
         "User/jdoe: a User describes a person; owners are read from each entity's spec.owner")]
    by_key = {e.key: e for e in fragment.entities}
    search = by_key["backstage:component:default/search"]
    assert search.owner == "team-search"  # ownedBy relation, not spec.owner "team-stale"
    assert search.system == "discovery"
    assert search.evidence.location == "catalog-api-relations.json:6"
    assert by_key["backstage:resource:default/search-index"].role == "search"
    edges = _edges(assemble(fragment.extras))
    k = "backstage:component:default/"
    index = "backstage:resource:default/search-index"
    assert edges == {
        (k + "search", index, "any", None, None, "catalog-api-relations.json:10"),
        (k + "search", index, "any", None, None, "catalog-api-relations.json:21"),
        (k + "search", "catalog", "component", "catalog-api", "http", "catalog-api-relations.json:11"),
        (k + "search", "catalog", "component", "catalog-api", "http", "catalog-api-relations.json:31"),
        (k + "search", "catalog", "component", "catalog-api", "http", "catalog-api-relations.json:30"),
    }
    assert not any("stale-db" in target for _, target, *_ in edges)


def test_read_entity_takes_a_plain_dict() -> None:
    entity = {
        "apiVersion": "backstage.io/v1alpha1", "kind": "Component",
        "metadata": {"name": "Cart", "namespace": "Shop", "title": "Shopping Cart",
                     "annotations": {"backstage.io/kubernetes-label-selector": "app=cart-svc,tier=web",
                                     "backstage.io/kubernetes-namespace": "shop-prod"}},
        "spec": {"type": "service", "owner": "team-cart", "dependsOn": ["resource:cart-db"],
                 "implementsApis": ["cart-api"], "subcomponentOf": "storefront"},
    }
    reading = read_entity(entity, lambda *needles: "https://backstage.example/catalog/shop/component/cart")
    assert reading.used and reading.record is not None
    record = reading.record
    assert record.key == "backstage:component:shop/cart"
    assert record.name == "Cart"
    assert record.namespace == "shop-prod"
    assert record.aliases == ("cart-svc",)  # the title is not a slug
    assert dict(record.labels) == {"backstage.io/namespace": "Shop",
                                   "backstage.io/subcomponent-of": "component:shop/storefront"}
    assert [(str(r.target), r.source) for r in reading.relations] == [("resource:shop/cart-db", record.key)]
    assert [(str(u.api), u.role) for u in reading.api_uses] == [("api:shop/cart-api", "provide")]


@pytest.mark.parametrize(
    ("entity", "reason"),
    [
        ({"apiVersion": "backstage.io/v1alpha1"},
         "a Backstage entity needs a kind (Component, API, Resource ...)"),
        ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"},
          "spec": "oops"},
         "Component/x has no spec mapping (type, lifecycle, owner); it was not read"),
        ({"apiVersion": "backstage.io/v1alpha1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}},
         "Widget/w: kind Widget is not one the advisor reads (Component, Resource, API)"),
        ({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": ["x"]},
          "spec": {}},
         "a Backstage Component needs metadata.name (one word such as 'orders'); it cannot be referred to"),
    ],
)
def test_unusable_entities_are_skipped_with_a_reason(entity: dict, reason: str) -> None:
    reading = read_entity(entity, lambda *n: "here")
    assert reading.skip == reason
    assert reading.record is None


def test_fields_of_the_wrong_type_are_reported_and_the_entity_kept() -> None:
    entity = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "x"},
              "spec": {"type": "service", "dependsOn": 5, "consumesApis": "single-api", "owner": ["a"]}}
    reading = read_entity(entity, lambda *n: "f.yaml:3")
    assert reading.record is not None and reading.record.owner is None
    assert [str(u.api) for u in reading.api_uses] == ["api:default/single-api"]  # one bare ref is accepted
    assert reading.problems == [
        ("f.yaml:3", "Component/x spec.dependsOn is a int, not a list of entity references; it was ignored"),
        ("f.yaml:3", "Component/x spec.owner \"['a']\" is not a valid entity reference: it is a list, not a "
                     "string; it was ignored"),
    ]


def test_parse_entities_is_the_live_source_path() -> None:
    entities = [
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "a"},
         "spec": {"type": "service", "owner": "t"},
         "relations": [{"type": "dependsOn", "targetRef": "component:default/b"},
                       {"type": "dependsOn", "targetRef": "component"}]},
        {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": "b"},
         "spec": {"type": "service", "owner": "t"}},
        "not an entity",
    ]
    base = "http://backstage:7007/api/catalog"
    def by_name(ref: EntityRef) -> str:
        return f"{base}/entities/by-name/{ref.kind}/{ref.namespace}/{ref.name}"

    fragment = parse_entities(entities, location=base, locate=by_name)  # type: ignore[arg-type]
    assert (fragment.documents, fragment.used) == (4, 2)
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        (f"{base}/entities/by-name/component/default/a",
         "Component/a relations[1] (dependsOn) has no valid targetRef (its kind is empty or malformed); "
         "it was ignored"),
        (f"{base}#3", "the catalog returned something that is not an entity mapping"),
    ]
    (claim,) = assemble(fragment.extras)
    assert claim.target == NamedTarget(name="backstage:component:default/b")
    assert claim.evidence.location == f"{base}/entities/by-name/component/default/a"


def test_pipeline_accounts_every_catalog_document() -> None:
    inventory = read_paths([FIXTURES])
    accounts = {Path(a.location).name: (a.format, a.documents, a.used, a.skipped) for a in inventory.inputs}
    assert accounts == {
        "shop-catalog-info.yaml": ("backstage", 14, 7, 7),
        "billing-catalog-info.yaml": ("backstage", 4, 3, 1),
        "catalog-api-relations.json": ("backstage", 2, 1, 1),
    }
    assert len(inventory.skipped) == 9
    assert [s.id for s in inventory.services] == ["checkout", "invoicing", "orders", "payments", "search"]


# --------------------------------------------------------------------------------------------
# Resolution once assemble() is wired into the resolver
# --------------------------------------------------------------------------------------------


def test_assembled_claims_resolve_by_key_and_by_name() -> None:
    shop, billing = _fragment("shop-catalog-info.yaml"), _fragment("billing-catalog-info.yaml")
    cache_text = "advisor: inventory/v1\nresources:\n  - name: orders-cache\n    kind: cache\n"
    other = parse_native([Document("cache.yaml", 1, 1, {"advisor": "inventory/v1", "resources": [
        {"name": "orders-cache", "kind": "cache"}]}, cache_text)])
    # what the resolver does once it calls backstage.assemble over every fragment's extras
    wired = Fragment("(assembled)", "backstage", claims=assemble([*shop.extras, *billing.extras]))
    inventory = resolve([shop, billing, other, wired])
    deps = {(d.source, d.target, d.kind, d.via) for d in inventory.dependencies}
    assert deps == {
        # using a datastore is a datastore dependency, however it is known (the resolver's rule)
        ("orders", "database:orders-db", "datastore", None),
        ("orders", "cache:orders-cache", "datastore", None),
        ("payments", "database:payments-db", "datastore", None),
        ("orders", "payments", "declared", None),
        # one declared edge per pair: dependsOn and the API it consumes merge, keeping the API as via
        ("orders", "invoicing", "declared", "billing/invoice-api"),
        ("orders", "other:payments-sdk", "declared", None),
        ("checkout", "orders", "declared", "orders-api"),
        ("checkout", "payments", "declared", None),
    }
    pair = next(d for d in inventory.dependencies if d.via == "billing/invoice-api")
    assert "billing-catalog-info.yaml:12" in [e.location for e in pair.evidence]
    assert "shop-catalog-info.yaml:51" in [e.location for e in pair.evidence]
    assert pair.bases == ("declared",)
    assert {d.bases for d in inventory.dependencies} == {("declared",)}
    assert [(u.source, u.reference) for u in inventory.unresolved] == [("payments", "api:default/fraud-api")]
    assert [s.id for s in inventory.services] == ["checkout", "invoicing", "orders", "payments"]
    assert {r.id: r.kind for r in inventory.resources} == {
        "cache:orders-cache": "cache", "database:orders-db": "database", "database:payments-db": "database",
        "other:payments-sdk": "other", "topic:order-events": "topic"}


def _assemble_backstage(extras: Sequence[object], records: Sequence[EntityRecord], options: ReadOptions
                        ) -> tuple[list[EntityRecord], list[Claim], list[Skipped]]:
    """The adapter proposed for ``inventory.resolving.ASSEMBLERS``."""
    return [], assemble(extras), []


def test_pipeline_with_assemble_wired_in(tmp_path: Path) -> None:
    assert any(getattr(a, "__name__", "") == "_assemble_backstage" for a in resolving.ASSEMBLERS)
    for name in ("shop-catalog-info.yaml", "billing-catalog-info.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    (tmp_path / "cache.yaml").write_text("advisor: inventory/v1\nresources: [{name: orders-cache, kind: cache}]\n")
    inventory = read_paths([tmp_path])
    deps = {(d.source, d.target, d.kind, d.via) for d in inventory.dependencies}
    assert ("orders", "invoicing", "declared", "billing/invoice-api") in deps
    assert ("checkout", "orders", "declared", "orders-api") in deps
    assert ("checkout", "payments", "declared", None) in deps
    assert ("orders", "cache:orders-cache", "datastore", None) in deps
    assert len(deps) == 8
    assert [(u.source, u.reference) for u in inventory.unresolved] == [("payments", "api:default/fraud-api")]


# --------------------------------------------------------------------------------------------
# Backstage's own example catalog
# --------------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_upstream_example_catalog() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not present")
    paths = sorted(CORPUS.rglob("*.yaml"))
    fragments = [parse_catalog(_docs(p, p.relative_to(CORPUS).as_posix())) for p in paths]
    assert sum(f.documents for f in fragments) == 22
    assert sum(f.used for f in fragments) == 16  # 13 Components, 1 Resource, 2 APIs
    skipped = sorted(s.reason.split(":", 1)[0] for f in fragments for s in f.skipped)
    assert skipped == ["Domain/artists", "Domain/audio", "Domain/playback",
                       "System/artist-engagement-portal", "System/audio-playback", "System/podcast"]
    records = {e.name: e for f in fragments for e in f.entities}
    assert len(records) == 14
    assert (records["playback-sdk"].role, records["playback-sdk"].technology) == ("other", "library")
    artists_db = records["artists-db"]
    assert (artists_db.role, artists_db.system) == ("database", "artist-engagement-portal")
    assert records["playback-order"].owner == "guest"  # owner: user:guest
    assert records["artist-lookup"].runtime == "java"
    assert records["wayback-archive-ingestion"].labels["backstage.io/subcomponent-of"] == \
        "component:default/wayback-archive"

    claims = assemble([x for f in fragments for x in f.extras])
    # in this copy no Component declares dependsOn: the only edge is wayback-search consuming the
    # wayback-archive API that the wayback-archive component provides (petstore's APIs have no consumer)
    assert _edges(claims) == {
        ("backstage:component:default/wayback-search", "backstage:component:default/wayback-archive", "any",
         "wayback-archive", "http", "components/wayback-search-component.yaml:13"),
        ("backstage:component:default/wayback-search", "backstage:component:default/wayback-archive", "any",
         "wayback-archive", "http", "components/wayback-archive-component.yaml:11"),
    }
    assert not any("artists-db" in c.target.name for c in claims if isinstance(c.target, NamedTarget))


# --------------------------------------------------------------------------------------------
# Hostile input: anything in any field
# --------------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["orders", "component:orders", "api:billing/x", "resource:", ":", "a/b/c", "$text"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["name", "kind", "namespace", "$text", "type", "targetRef", "x"]), inner, max_size=4),
    max_leaves=16,
)
_spec_keys = st.sampled_from(["type", "owner", "system", "lifecycle", "dependsOn", "dependencyOf", "providesApis",
                              "consumesApis", "implementsApis", "subcomponentOf", "definition"])
_entity = st.fixed_dictionaries(
    {"apiVersion": st.just("backstage.io/v1alpha1"),
     "kind": st.sampled_from(["Component", "Resource", "API", "System", "Group", "Location"]) | _json},
    optional={
        "metadata": st.fixed_dictionaries({}, optional={
            "name": st.sampled_from(["orders", "payments", "x y"]) | _json, "namespace": _json, "title": _json,
            "labels": _json, "annotations": _json, "tags": _json, "description": _json}) | _json,
        "spec": st.dictionaries(_spec_keys, _json, max_size=6) | _json,
        "relations": st.lists(st.fixed_dictionaries({"type": st.sampled_from(
            ["dependsOn", "dependencyOf", "consumesApi", "providesApi", "apiProvidedBy", "ownedBy", "partOf"]),
            "targetRef": _json}), max_size=3) | _json,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_entity, min_size=1, max_size=4), st.booleans())
def test_any_entities_never_raise_and_always_add_up(entities: list[dict], envelope: bool) -> None:
    data: list[object] = [{"items": entities}] if envelope else list(entities)
    docs = [Document("h.yaml", i + 1, i + 1, d, json.dumps(d)) for i, d in enumerate(data)]
    fragment = parse_catalog(docs)
    assert fragment.documents == fragment.used + len(fragment.skipped)
    assert fragment.documents >= len(docs)
    claims = assemble(fragment.extras)
    assert all(c.source in {e.key for e in fragment.entities} for c in claims)
    resolve([fragment, Fragment("(assembled)", "backstage", claims=claims)])
