"""Identity joins, reference resolution and dependency merging, on records built in code."""

from __future__ import annotations

import pytest

from inventory.model import (
    Address,
    Claim,
    EntityRecord,
    EntityRole,
    Evidence,
    Fragment,
    Inventory,
    Join,
    NamedTarget,
)
from inventory.options import ReadOptions
from inventory.resolving import normalise_name, resolve


def record(reader: str, name: str, role: EntityRole = "service", *, namespace: str | None = None,
           technology: str | None = None, addresses: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
           owner: str | None = None) -> EntityRecord:
    key = f"{reader}:{namespace or ''}/{name}"
    return EntityRecord(key=key, name=name, role=role, reader=reader,
                        evidence=Evidence(reader, f"{reader}.yaml:1", name),
                        namespace=namespace, technology=technology, addresses=addresses or (name,), aliases=aliases,
                        owner=owner)


def claim(source: EntityRecord, target: Address | NamedTarget, location: str = "x.yaml:1", **kw: object) -> Claim:
    return Claim(source=source.key, target=target, evidence=Evidence(source.reader, location, f"to {target}"),
                 **kw)  # type: ignore[arg-type]


def fragment(reader: str, entities: list[EntityRecord], claims: list[Claim] = ()) -> Fragment:  # type: ignore[assignment]
    return Fragment(f"{reader}.yaml", reader, entities=list(entities), claims=list(claims), documents=1, used=1)


def ids(inv: Inventory) -> tuple[list[str], list[str]]:
    return [s.id for s in inv.services], [r.id for r in inv.resources]


def edges(inv: Inventory) -> set[tuple[str, str, str, str | None]]:
    return {(d.source, d.target, d.kind, d.via) for d in inv.dependencies}


# ---------------------------------------------------------------------------------------------
# identity
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("checkoutservice", "checkout"), ("checkout", "checkout"), ("checkout-v2", "checkout"),
     ("Checkout-Service", "checkout"), ("checkout_service", "checkout"), ("orders-svc", "orders"),
     ("component:default/checkout", "checkout"), ("service", "service"), ("svc", "svc")],
)
def test_normalise_name(name: str, expected: str) -> None:
    assert normalise_name(name) == expected


def test_same_name_joins_across_readers_and_the_join_is_reported() -> None:
    k8s = record("kubernetes", "orders", namespace="shop")
    catalog = record("backstage", "orders", owner="team-a")
    inv = resolve([fragment("kubernetes", [k8s]), fragment("backstage", [catalog])])
    assert ids(inv) == (["orders"], [])
    [orders] = inv.services
    assert orders.sources == ("backstage", "kubernetes")
    assert (orders.namespace, orders.owner) == ("shop", "team-a")
    assert inv.joins == (Join("orders", ("orders (backstage)", "orders (kubernetes)"), "same name"),)


def test_normalised_names_join_across_readers() -> None:
    k8s = record("kubernetes", "checkoutservice")
    catalog = record("backstage", "checkout")
    inv = resolve([fragment("kubernetes", [k8s]), fragment("backstage", [catalog])])
    assert ids(inv) == (["checkoutservice"], [])  # the Kubernetes spelling wins
    assert inv.services[0].aliases == ("checkout",)
    assert inv.joins == (
        Join("checkoutservice", ("checkout (backstage)", "checkoutservice (kubernetes)"), "normalised name"),
    )


def test_no_join_within_one_reader() -> None:
    inv = resolve([fragment("kubernetes", [record("kubernetes", "checkout"), record("kubernetes", "checkoutservice")])])
    assert ids(inv) == (["checkout", "checkoutservice"], [])
    assert inv.joins == ()


def test_ambiguous_normalised_name_is_not_joined() -> None:
    k8s = [record("kubernetes", "checkout-v1"), record("kubernetes", "checkout-v2")]
    inv = resolve([fragment("kubernetes", k8s), fragment("backstage", [record("backstage", "checkout-service")])])
    assert ids(inv) == (["checkout-service", "checkout-v1", "checkout-v2"], [])
    assert inv.joins == ()


def test_configured_aliases_join_names_no_rule_would() -> None:
    k8s = record("kubernetes", "ord-api")
    catalog = record("backstage", "orders")
    opts = ReadOptions(aliases={"orders": ("ord-api",)})
    inv = resolve([fragment("kubernetes", [k8s]), fragment("backstage", [catalog])], options=opts)
    assert ids(inv) == (["ord-api"], [])
    assert inv.joins == (Join("ord-api", ("ord-api (kubernetes)", "orders (backstage)"), "configured alias"),)
    # without the alias they stay apart
    apart = resolve([fragment("kubernetes", [k8s]), fragment("backstage", [catalog])])
    assert ids(apart) == (["ord-api", "orders"], [])


def test_configured_aliases_may_join_within_one_reader() -> None:
    k8s = [record("kubernetes", "orders"), record("kubernetes", "orders-worker")]
    inv = resolve([fragment("kubernetes", k8s)], options=ReadOptions(aliases={"orders": ("orders-worker",)}))
    assert ids(inv) == (["orders"], [])
    assert inv.services[0].aliases == ("orders-worker",)


def test_aliases_carried_by_an_input_join_like_configured_ones() -> None:
    hints = Fragment("advisor.yaml", "native", aliases={"orders": ("ord-api",)})
    inv = resolve([fragment("kubernetes", [record("kubernetes", "ord-api")]),
                   fragment("backstage", [record("backstage", "orders")]), hints])
    assert ids(inv) == (["ord-api"], [])


def test_normalising_can_be_switched_off() -> None:
    inv = resolve([fragment("kubernetes", [record("kubernetes", "checkoutservice")]),
                   fragment("backstage", [record("backstage", "checkout")])],
                  options=ReadOptions(normalise_names=False))
    assert ids(inv) == (["checkout", "checkoutservice"], [])


def test_owners_from_options() -> None:
    inv = resolve([fragment("kubernetes", [record("kubernetes", "orders")])],
                  options=ReadOptions(owners={"team-orders": ("orders",)}))
    assert inv.services[0].owner == "team-orders"


# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------


def test_namespaced_resolution() -> None:
    a_orders = record("kubernetes", "orders", namespace="a")
    b_orders = record("kubernetes", "orders", namespace="b")
    web = record("kubernetes", "web", namespace="a")
    claims = [claim(web, Address("orders", 80, form="hostport")),
              claim(web, Address("orders.b", 80, form="hostport"), "x.yaml:2"),
              claim(web, Address("orders.b.svc.cluster.local", form="bare"), "x.yaml:3")]
    inv = resolve([fragment("kubernetes", [a_orders, b_orders, web], claims)])
    assert ids(inv) == (["a/orders", "b/orders", "web"], [])
    assert edges(inv) == {("web", "a/orders", "sync", None), ("web", "b/orders", "sync", None)}
    b_dep = next(d for d in inv.dependencies if d.target == "b/orders")
    assert [e.location for e in b_dep.evidence] == ["x.yaml:2", "x.yaml:3"]


def test_unresolved_references_are_reported_once_per_location() -> None:
    web = record("kubernetes", "web")
    claims = [claim(web, Address("ghost", 80, form="url")), claim(web, Address("ghost", 80, form="url")),
              claim(web, Address("ghost", 81, form="url"), "x.yaml:1"),
              claim(web, Address("ghost", 80, form="url"), "x.yaml:9"),
              claim(web, Address("maybe", 80, form="hostport"), "x.yaml:3", report_unresolved=False)]
    inv = resolve([fragment("kubernetes", [web], claims)])
    assert inv.dependencies == ()
    assert [(u.source, u.reference, u.evidence.location, u.reason) for u in inv.unresolved] == [
        ("web", "ghost", "x.yaml:1", "no service or resource named 'ghost' is in the inventory"),
        ("web", "ghost", "x.yaml:9", "no service or resource named 'ghost' is in the inventory"),
    ]
    assert ids(inv) == (["web"], [])  # never a fake service


def test_external_datastore_shared_by_two_services() -> None:
    orders, billing = record("kubernetes", "orders"), record("compose", "billing")
    inv = resolve([
        fragment("kubernetes", [orders], [claim(orders, Address("shared-pg", 5432, "postgres", "shop", form="url"),
                                                via="shop")]),
        fragment("compose", [billing], [claim(billing, Address("shared-pg", 5432, "postgresql", "shop", form="url"),
                                              via="shop")]),
    ])
    assert ids(inv) == (["billing", "orders"], ["database:shared-pg"])
    [db] = inv.resources
    assert (db.kind, db.technology, db.external) == ("database", "postgres", True)
    assert edges(inv) == {("orders", "database:shared-pg", "datastore", "shop"),
                          ("billing", "database:shared-pg", "datastore", "shop")}
    assert inv.unresolved == ()


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [("redis", ("cache:ext", "cache", "datastore")), ("amqp", ("broker:ext", "broker", "async")),
     ("mongodb", ("database:ext", "database", "datastore"))],
)
def test_external_resource_kind_follows_the_scheme(scheme: str, expected: tuple[str, str, str]) -> None:
    web = record("kubernetes", "web")
    inv = resolve([fragment("kubernetes", [web], [claim(web, Address("ext", scheme=scheme, form="url"))])])
    [res] = inv.resources
    [dep] = inv.dependencies
    assert (res.id, res.kind, dep.kind) == expected


def test_external_datastores_can_be_switched_off() -> None:
    web = record("kubernetes", "web")
    inv = resolve([fragment("kubernetes", [web], [claim(web, Address("pg", scheme="postgres", form="url"))])],
                  options=ReadOptions(external_datastores=False))
    assert inv.resources == () and inv.dependencies == ()
    assert [u.reference for u in inv.unresolved] == ["pg"]


def test_a_plain_http_reference_to_nothing_is_not_an_external_resource() -> None:
    web = record("kubernetes", "web")
    inv = resolve([fragment("kubernetes", [web], [claim(web, Address("partner-api", scheme="https", form="url"))])])
    assert inv.resources == ()
    assert [u.reference for u in inv.unresolved] == ["partner-api"]


def test_kind_follows_the_target_role() -> None:
    web = record("kubernetes", "web")
    db = record("kubernetes", "orders-db", "database", technology="postgres")
    mq = record("kubernetes", "rabbitmq", "broker", technology="rabbitmq")
    api = record("kubernetes", "api")
    claims = [claim(web, Address("orders-db", 5432, form="hostport")), claim(web, Address("rabbitmq", form="url")),
              claim(web, Address("api", 80, form="hostport"))]
    inv = resolve([fragment("kubernetes", [web, db, mq, api], claims)])
    assert edges(inv) == {("web", "database:orders-db", "datastore", None), ("web", "broker:rabbitmq", "async", None),
                          ("web", "api", "sync", None)}


def test_named_target_by_exact_key_and_role_filter() -> None:
    web = record("kubernetes", "web")
    orders_db = record("kubernetes", "orders", "database", namespace="data")
    orders_svc = record("kubernetes", "orders", namespace="shop")
    claims = [claim(web, NamedTarget("orders", role="service")),
              claim(web, NamedTarget(orders_db.key), "x.yaml:2")]
    inv = resolve([fragment("kubernetes", [web, orders_db, orders_svc], claims)])
    assert ids(inv) == (["orders", "web"], ["database:orders"])
    assert edges(inv) == {("web", "orders", "sync", None), ("web", "database:orders", "datastore", None)}


def test_self_references_are_dropped() -> None:
    web = record("kubernetes", "web")
    inv = resolve([fragment("kubernetes", [web], [claim(web, Address("web", 80, form="hostport"))])])
    assert inv.dependencies == () and inv.unresolved == ()


# ---------------------------------------------------------------------------------------------
# merging
# ---------------------------------------------------------------------------------------------


def test_claims_about_one_pair_merge_into_one_dependency_with_all_evidence() -> None:
    web = record("kubernetes", "web")
    api = record("kubernetes", "api")
    claims = [claim(web, Address("api", 80, form="hostport"), "a.yaml:1"),
              claim(web, Address("api", 80, "http", form="url"), "a.yaml:2", protocol="http")]
    inv = resolve([fragment("kubernetes", [web, api], claims)])
    [dep] = inv.dependencies
    assert (dep.source, dep.target, dep.kind, dep.protocol, dep.weight) == ("web", "api", "sync", "http", 1.0)
    assert [e.location for e in dep.evidence] == ["a.yaml:1", "a.yaml:2"]


def test_declared_claim_folds_into_a_sync_edge_of_the_same_pair() -> None:
    k8s_web, k8s_api = record("kubernetes", "web"), record("kubernetes", "api")
    cat_web = record("backstage", "web")
    k8s_claim = claim(k8s_web, Address("api", 80, form="hostport"), "k8s.yaml:3")
    declared = Claim(source=cat_web.key, target=NamedTarget("api"), kind="declared",
                     evidence=Evidence("backstage", "catalog.yaml:7", "dependsOn component:api"))
    inv = resolve([fragment("kubernetes", [k8s_web, k8s_api], [k8s_claim]),
                   fragment("backstage", [cat_web], [declared])])
    [dep] = inv.dependencies
    assert (dep.source, dep.target, dep.kind) == ("web", "api", "sync")
    assert [e.location for e in dep.evidence] == ["catalog.yaml:7", "k8s.yaml:3"]
    assert dep.bases == ("declared", "static")


def test_declared_only_dependency_stays_declared() -> None:
    web, api = record("backstage", "web"), record("backstage", "api")
    declared = Claim(source=web.key, target=NamedTarget("api"), kind="declared",
                     evidence=Evidence("backstage", "catalog.yaml:7", "dependsOn component:api"))
    inv = resolve([fragment("backstage", [web, api], [declared])])
    assert edges(inv) == {("web", "api", "declared", None)}


def test_topic_producers_and_consumers_get_pair_edges() -> None:
    checkout, accounting, fraud = (record("asyncapi", n) for n in ("checkout", "accounting", "fraud"))
    topic = NamedTarget("orders", role="topic", create=True, technology="kafka")
    claims = [claim(checkout, topic, "a.yaml:1", role="produce"),
              claim(accounting, topic, "a.yaml:2", role="consume"),
              claim(fraud, topic, "a.yaml:3", role="consume")]
    inv = resolve([fragment("asyncapi", [checkout, accounting, fraud], claims)])
    assert ids(inv) == (["accounting", "checkout", "fraud"], ["topic:orders"])
    assert inv.resources[0].technology == "kafka"
    assert edges(inv) == {
        ("checkout", "topic:orders", "async", "orders"),
        ("accounting", "topic:orders", "async", "orders"),
        ("fraud", "topic:orders", "async", "orders"),
        ("checkout", "accounting", "async", "orders"),
        ("checkout", "fraud", "async", "orders"),
    }
    pair = next(d for d in inv.dependencies if (d.source, d.target) == ("checkout", "fraud"))
    assert [e.location for e in pair.evidence] == ["a.yaml:1", "a.yaml:3"]
    assert pair.protocol == "kafka"
    roles = {(d.source, d.role) for d in inv.dependencies if d.target == "topic:orders"}
    assert roles == {("checkout", "produce"), ("accounting", "consume"), ("fraud", "consume")}


def test_a_topic_named_by_two_readers_is_one_resource() -> None:
    producer, consumer = record("asyncapi", "checkout"), record("compose", "accounting")
    inv = resolve([
        fragment("asyncapi", [producer], [claim(producer, NamedTarget("orders", role="topic", create=True),
                                                role="produce")]),
        fragment("compose", [consumer], [claim(consumer, NamedTarget("orders", role="topic", create=True),
                                               role="consume")]),
    ])
    assert ids(inv)[1] == ["topic:orders"]
    assert ("checkout", "accounting", "async", "orders") in edges(inv)


def test_a_named_target_without_create_that_names_nothing_is_unresolved() -> None:
    web = record("backstage", "web")
    inv = resolve([fragment("backstage", [web], [claim(web, NamedTarget("missing", role="service"))])])
    assert inv.dependencies == () and inv.resources == ()
    assert [(u.reference, u.reason) for u in inv.unresolved] == [
        ("missing", "no service or resource named 'missing' is in the inventory")
    ]


def test_accounting_and_skips_pass_through() -> None:
    frag = fragment("kubernetes", [record("kubernetes", "web")])
    inv = resolve([frag], extra_accounts=[frag.account()])
    assert [a.as_dict() for a in inv.inputs] == [
        {"location": "kubernetes.yaml", "format": "kubernetes", "documents": 1, "used": 1, "skipped": 0}
    ]
    assert inv.usable
    assert not resolve([]).usable


def test_resolution_is_deterministic() -> None:
    def build() -> Inventory:
        a, b, c = record("kubernetes", "a"), record("kubernetes", "b"), record("backstage", "c")
        return resolve([
            fragment("kubernetes", [b, a], [claim(a, Address("b", 1, form="hostport")),
                                            claim(b, Address("pg", scheme="postgres", form="url"))]),
            fragment("backstage", [c], [claim(c, NamedTarget("a"), kind="declared")]),
        ])

    assert repr(build()) == repr(build())


def test_evidence_sorts_by_line_number_and_survives_a_location_that_only_looks_numeric() -> None:
    from inventory.model import Evidence

    found = sorted([Evidence("r", "a.yaml:10", "d"), Evidence("r", "a.yaml:²", "d"), Evidence("r", "a.yaml:9", "d")])
    assert [e.location for e in found] == ["a.yaml:9", "a.yaml:10", "a.yaml:²"]  # "²" is a digit to isdigit()


def test_a_host_named_again_after_a_group_was_added_is_looked_up_again() -> None:
    """The resolver keeps the answers for a host by source namespace; a group added on the way (a
    topic its producers name, an external database) may answer a host that answered nothing before."""
    web, api, mailer = (record("compose", n) for n in ("web", "api", "mailer"))
    events = Address("events", 9092, None, None, "events:9092", "hostport")
    claims = [claim(web, events, "c.yaml:1", report_unresolved=True),  # nothing named events yet
              claim(api, NamedTarget("events", role="topic", create=True), "c.yaml:2", role="produce"),
              claim(mailer, events, "c.yaml:3")]  # the same host, the same reader and namespace
    inv = resolve([fragment("compose", [web, api, mailer], claims)])
    assert ("mailer", "topic:events", "async", "events") in edges(inv)
    assert not any(d.source == "web" for d in inv.dependencies)
    assert [u.source for u in inv.unresolved] == ["web"]
