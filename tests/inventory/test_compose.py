"""The Compose reader: interpolation, .env files, entities, claims, accounting, and the whole pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from inventory.compose import interpolate, parse_compose, parse_dotenv, project_name, recognise
from inventory.documents import Document, iter_documents
from inventory.model import Address, Fragment, Inventory, NamedTarget
from inventory.reading import read_paths

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "compose"
SHOP = FIXTURES / "shop"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"

SECRETS = ("Zq7-never-shown-91", "tok-never-shown-55")


def _docs(text: str, name: str = "docker-compose.yml") -> list[Document]:
    docs = [d for d in iter_documents(text, name) if isinstance(d, Document)]
    assert docs, "the test text must parse"
    return docs


def _shop_fragment() -> Fragment:
    env = parse_dotenv((SHOP / ".env").read_text())
    docs = _docs((SHOP / "docker-compose.yml").read_text(), "shop/docker-compose.yml")
    return parse_compose(docs, env=env, project="ignored-because-name-is-set", env_location="shop/.env")


def _edges(inventory: Inventory) -> dict[tuple[str, str], str]:
    names = {s.id: s.name for s in inventory.services} | {r.id: r.name for r in inventory.resources}
    return {(names[d.source], names[d.target]): d.kind for d in inventory.dependencies}


# --------------------------------------------------------------------------------------------
# Interpolation and .env
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}:${PORT}", "cart:7070"),
        ("$HOST-$PORT", "cart-7070"),
        ("$$HOST and $${PORT}", "$HOST and ${PORT}"),
        ("${UNSET}|$UNSET|x", "||x"),
        ("${UNSET:-fallback}", "fallback"),
        ("${UNSET-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${HOST:-fallback}", "cart"),
        ("${HOST:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}", "alt||alt|"),
        ("${UNSET:-${HOST}:${PORT}}", "cart:7070"),
        ("${HOST:?must be set}|${UNSET?must be set}", "cart|"),
        ("price in $ 5 and ${ broken", "price in $ 5 and ${ broken"),
        ("no variables at all", "no variables at all"),
    ],
)
def test_interpolate_follows_compose_rules(text: str, expected: str) -> None:
    assert interpolate(text, {"HOST": "cart", "PORT": "7070", "EMPTY": ""}) == expected


def test_interpolate_reports_only_the_variables_it_took_from_env() -> None:
    used: set[str] = set()
    assert interpolate("${HOST}:${UNSET:-1}${EMPTY-}", {"HOST": "a", "EMPTY": ""}, used) == "a:1"
    assert used == {"HOST", "EMPTY"}
    unused: set[str] = set()
    interpolate("${UNSET:-${HOST}}", {"OTHER": "x"}, unused)
    assert unused == set()


def test_interpolate_survives_deep_nesting() -> None:
    text = "${A:-" * 40 + "x" + "}" * 40
    assert isinstance(interpolate(text, {}), str)


def test_parse_dotenv_reads_what_compose_reads() -> None:
    text = (
        "# a comment\n"
        "\n"
        "export PORT=7070\n"
        "ADDR=cart:${PORT}\n"
        "URL=http://x/?a=b&c=d   # trailing comment\n"
        "LITERAL='${PORT} # not a comment'\n"
        'ESCAPED="line1\\nline2 \\"q\\" ${PORT}"\n'
        'MULTI="first\n'
        'second"\n'
        "EMPTY=\n"
        "  SPACED = value with spaces  \n"
        "no equals sign here\n"
        "HASH=a#b\n"
    )
    assert parse_dotenv(text) == {
        "PORT": "7070",
        "ADDR": "cart:7070",
        "URL": "http://x/?a=b&c=d",
        "LITERAL": "${PORT} # not a comment",
        "ESCAPED": 'line1\nline2 "q" 7070',
        "MULTI": "first\nsecond",
        "EMPTY": "",
        "SPACED": "value with spaces",
        "HASH": "a#b",
    }


def test_parse_dotenv_of_the_fixture() -> None:
    assert parse_dotenv((SHOP / ".env").read_text()) == {
        "ORDERS_PORT": "8081",
        "CART_ADDR": "cart:7070",
        "DB_PASSWORD": "Zq7-never-shown-91",
        "API_TOKEN": "tok-never-shown-55",
        "REPLICAS": "3",
    }


# --------------------------------------------------------------------------------------------
# Recognising
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"services": {"web": {"image": "nginx"}}}, True),
        ({"version": "2", "services": {"web": {"build": "."}, "db": {"ports": ["5432"]}}}, True),
        ({"services": {"job": {"command": "run"}}}, True),
        ({"services": {"web": {"ports": ["80"]}}}, False),
        ({"services": [{"name": "orders", "owner": "team-a"}]}, False),
        ({"apiVersion": "v1", "kind": "ConfigMap", "services": {"web": {"image": "x"}}}, False),
        ({"asyncapi": "2.6.0", "services": {"web": {"image": "x"}}}, False),
        ({"schema_version": 1, "services": {"web": {"image": "x"}}}, False),
        ({"services": {}}, False),
        (["services"], False),
        (None, False),
    ],
)
def test_recognise(data: object, expected: bool) -> None:
    assert recognise(data) is expected


def test_project_name_is_normalised_like_compose() -> None:
    assert project_name("/srv/deploy/Online Boutique") == "onlineboutique"
    assert project_name("bundle.zip!apps/shop") == "shop"
    assert project_name("C:\\work\\Shop_1") == "shop_1"
    assert project_name("") == "compose"


# --------------------------------------------------------------------------------------------
# The fixture, parsed directly
# --------------------------------------------------------------------------------------------


def test_entities_carry_hostnames_roles_and_resources() -> None:
    fragment = _shop_fragment()
    by_name = {e.name: e for e in fragment.entities}
    assert list(by_name) == ["web", "orders", "cart", "cache", "db", "catalog-search", "web-agent"]
    web = by_name["web"]
    assert web.key == "compose:shop/web"  # top-level `name: shop` wins over the folder
    assert web.namespace is None
    assert web.addresses == ("web", "shop-web")
    assert web.aliases == ("shop-web",)
    assert (web.role, web.technology) == ("service", None)
    assert web.images == ("shop/web:1.4.2",)
    assert web.replicas == 3  # deploy.replicas: ${REPLICAS} from .env
    assert web.cpu_request == 0.25  # reservations win over limits
    assert web.memory_request == 64 * 1024**2
    assert web.owner == "storefront"
    assert web.labels == {"team": "storefront", "com.example.tier": "frontend", "compose.project": "shop"}
    assert web.evidence.location == "shop/docker-compose.yml:10"
    assert web.evidence.detail == "compose service web (image shop/web:1.4.2)"
    orders = by_name["orders"]
    assert orders.addresses == ("orders", "orders-api")  # the link alias web gives it
    assert orders.images == ()
    # no reservations: the limits are used
    assert (orders.replicas, orders.cpu_request, orders.memory_request) == (1, 0.5, 1024**3)
    assert orders.labels == {
        "compose.project": "shop",
        "compose.build.context": "./orders",
        "compose.build.dockerfile": "Dockerfile.prod",
        "compose.profiles": "core",
    }
    assert by_name["cart"].addresses == ("cart", "cart-host", "basket", "cart.shop.local")
    assert (by_name["cache"].role, by_name["cache"].technology) == ("cache", "redis")
    assert (by_name["db"].role, by_name["db"].technology) == ("database", "postgres")
    assert (by_name["catalog-search"].role, by_name["catalog-search"].technology) == ("search", "opensearch")


def test_claims_with_targets_locations_and_details() -> None:
    fragment = _shop_fragment()
    got = [
        (c.source.split("/")[-1], c.target.name if isinstance(c.target, NamedTarget) else c.target.host,
         c.kind, c.protocol, c.via, c.evidence.location.rsplit(":", 1)[-1], c.evidence.detail)
        for c in fragment.claims
    ]
    assert got == [
        ("web", "compose:shop/orders", "declared", None, None, "21", "depends_on: orders in compose service web"),
        ("web", "compose:shop/cart", "declared", None, None, "22", "depends_on: cart in compose service web"),
        ("web", "compose:shop/orders", None, None, None, "24",
         "links: orders (alias orders-api) in compose service web"),
        ("web", "compose:shop/cart", None, None, None, "15",
         "env CART_ADDR=cart:7070 (from shop/.env) in compose service web"),
        ("web", "compose:shop/orders", None, "http", None, "16",
         "env ORDERS_URL=http://orders-api:8081/api (from shop/.env) in compose service web"),
        ("web", "compose:shop/catalog-search", None, None, None, "17",
         "env CATALOG_HOST=catalog-search in compose service web"),
        ("orders", "compose:shop/db", "declared", None, None, "43",
         "depends_on: db (condition: service_healthy) in compose service orders"),
        ("orders", "compose:shop/cart", "declared", None, None, "45",
         "depends_on: cart (condition: service_started, required: false) in compose service orders"),
        ("orders", "legacy_billing_1", None, None, None, "49",
         "external_links: legacy_billing_1 (alias billing) in compose service orders "
         "(a container outside this project)"),
        ("orders", "compose:shop/db", None, "postgres", "orders", "39",
         "env DATABASE_URL=postgres://orders:***@db:5432/orders (from shop/.env) in compose service orders"),
        ("orders", "compose:shop/cart", None, "http", None, "40",
         "env CART_URL=http://basket:7070 in compose service orders"),
        ("orders", "payments.internal.example.com", None, None, None, "41",
         "env PAYMENT_ENDPOINT=payments.internal.example.com:443 in compose service orders"),
        ("cart", "compose:shop/cache", None, "redis", None, "62",
         "env REDIS_URL=redis://cache:6379/0 in compose service cart"),
        ("cart", "compose:shop/cache", None, None, None, "63",
         "command `sh -c until nc -z cache 6379; do sleep 1; done; exec cart --port $PORT` "
         "in compose service cart"),
        ("web-agent", "compose:shop/web", "sync", None, None, "78",
         "network_mode: service:web in compose service web-agent "
         "(shares web's network namespace: they run as one unit)"),
        ("web-agent", "compose:shop/web", "sync", None, None, "80",
         "volumes_from: web:ro in compose service web-agent "
         "(mounts web's volumes: shared storage couples them)"),
    ]
    external = [c for c in fragment.claims if isinstance(c.target, Address)]
    assert [(c.target.host, c.target.port, c.report_unresolved) for c in external] == [
        ("payments.internal.example.com", 443, True)
    ]


def test_locations_point_at_the_lines_they_name() -> None:
    lines = (SHOP / "docker-compose.yml").read_text().splitlines()
    fragment = _shop_fragment()
    cited = {int(x.evidence.location.rsplit(":", 1)[1]) for x in [*fragment.claims, *fragment.entities]}
    expected = {
        10: "  web:", 15: "- CART_ADDR", 16: "- ORDERS_URL=", 17: "- CATALOG_HOST=", 21: "- orders",
        22: "- cart", 24: '"orders:orders-api"', 34: "  orders:", 39: "DATABASE_URL:", 40: "CART_URL:",
        41: "PAYMENT_ENDPOINT:", 43: "db:", 45: "cart:", 49: "- legacy_billing_1", 55: "  cart:",
        62: "REDIS_URL:", 63: "command:", 65: "  cache:", 68: "  db:", 73: "  catalog-search:",
        76: "  web-agent:", 78: "network_mode:", 80: "- web:ro",
    }
    assert cited == set(expected)
    for number, text in expected.items():
        assert text in lines[number - 1], (number, lines[number - 1])


def test_secret_values_never_leave_the_reader() -> None:
    fragment = _shop_fragment()
    text = repr(fragment)
    for secret in SECRETS:
        assert secret not in text
    assert "postgres://orders:***@db:5432/orders" in text


def test_broken_services_are_skipped_one_by_one_and_accounted() -> None:
    fragment = _shop_fragment()
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("shop/docker-compose.yml:82 (service broken)",
         "Compose service 'broken' was not read: `image` must be a string, not a list"),
        ("shop/docker-compose.yml:85 (service ghost)",
         "Compose service 'ghost' was not read: a service must be a mapping of settings, not a string"),
    ]
    assert (fragment.documents, fragment.used) == (3, 1)
    assert fragment.documents == fragment.used + len(fragment.skipped)


def test_a_document_with_no_readable_service_is_skipped_whole() -> None:
    text = "services:\n  a:\n    image: nginx\n    environment: FOO=bar\n  b:\n    depends_on: [1, 2]\n"
    fragment = parse_compose(_docs(text, "bad.yml"))
    assert fragment.entities == [] and fragment.claims == []
    assert (fragment.documents, fragment.used) == (1, 0)
    assert [(s.location, s.reason) for s in fragment.skipped] == [(
        "bad.yml#1 (line 1)",
        "no Compose service could be read (service 'a': `environment` must be a list or a mapping, "
        "not a string; service 'b': `depends_on` entries must be service names (strings))",
    )]


def test_wrong_replicas_type_is_a_readable_reason() -> None:
    text = "services:\n  ok:\n    image: nginx\n  web:\n    image: nginx\n    deploy:\n      replicas: many\n"
    fragment = parse_compose(_docs(text, "c.yml"))
    assert [e.name for e in fragment.entities] == ["ok"]
    assert [(s.location, s.reason) for s in fragment.skipped] == [
        ("c.yml:4 (service web)",
         "Compose service 'web' was not read: `deploy.replicas` must be a whole number, not 'many'")
    ]


def test_without_env_unset_variables_become_empty_and_pass_through_vars_are_dropped() -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    image: ${REGISTRY}:${TAG}\n"
        "    deploy: {replicas: '${REPLICAS}'}\n"
        "    environment:\n"
        "      - CART_ADDR\n"
        "      - ORDERS_ADDR=orders:${ORDERS_PORT:-8080}\n"
        "  orders:\n"
        "    image: shop/orders\n"
    )
    fragment = parse_compose(_docs(text), project="p")
    web = fragment.entities[0]
    assert web.images == () and web.runtime is None
    assert web.replicas == 1  # an unset ${REPLICAS} is not a broken service
    assert [(c.target, c.evidence.detail) for c in fragment.claims] == [
        (NamedTarget("compose:p/orders"), "env ORDERS_ADDR=orders:8080 in compose service web")
    ]


def test_env_map_form_null_value_takes_env_and_secret_names_are_masked() -> None:
    text = (
        "services:\n"
        "  api:\n"
        "    image: shop/api\n"
        "    environment:\n"
        "      QUEUE_HOST:\n"
        "      SESSION_SECRET: broker:5672\n"
        "      DB_PASSWORD_URL: mysql://app:pw1@mysql-main:3306/app\n"
        "  broker:\n"
        "    image: rabbitmq:3\n"
    )
    fragment = parse_compose(_docs(text), env={"QUEUE_HOST": "broker"}, project="p")
    assert [(c.target.name if isinstance(c.target, NamedTarget) else c.target.host, c.evidence.detail)
            for c in fragment.claims] == [
        ("compose:p/broker", "env QUEUE_HOST=broker (from .env) in compose service api"),
        ("mysql-main", "env DB_PASSWORD_URL=*** in compose service api"),
    ]
    assert "pw1" not in repr(fragment)


def test_secrets_from_env_are_masked_wherever_they_are_interpolated() -> None:
    text = (
        "services:\n"
        "  web:\n"
        "    image: shop/web\n"
        "    labels: {traefik.auth: '${API_TOKEN}'}\n"
        "    environment:\n"
        "      UPSTREAM_URL: http://gateway:8080/hook?sig=${API_TOKEN}\n"
        "    command: forward --to gateway:8080 --sig ${API_TOKEN}\n"
        "  gateway:\n"
        "    image: shop/gateway\n"
        "    deploy: {replicas: '${API_TOKEN}'}\n"
    )
    fragment = parse_compose(_docs(text), env={"API_TOKEN": "tok-zzz-123"}, project="p")
    assert "tok-zzz-123" not in repr(fragment)
    assert fragment.entities[0].labels["traefik.auth"] == "***"
    assert [c.evidence.detail for c in fragment.claims] == [
        "env UPSTREAM_URL=http://gateway:8080/hook?sig=*** (from .env) in compose service web",
        "command `forward --to gateway:8080 --sig ***` (from .env) in compose service web",
    ]
    assert [s.reason for s in fragment.skipped] == [
        "Compose service 'gateway' was not read: `deploy.replicas` must be a whole number, not '***'"
    ]


def test_command_wait_patterns_and_flags() -> None:
    text = (
        "services:\n"
        "  loadtest:\n"
        "    image: shop/load:1\n"
        "    hostname: simulator\n"
        "    command: \"-d 60 -r 200 -c 2 -h edge-router\"\n"
        "  migrate:\n"
        "    image: shop/migrate\n"
        "    entrypoint: [\"/wait-for-it.sh\", \"db:5432\", \"--\", \"migrate\", \"--password=hunter2\"]\n"
        "  edge-router:\n"
        "    image: traefik:2\n"
        "  db:\n"
        "    image: mariadb:11\n"
    )
    fragment = parse_compose(_docs(text), project="p")
    assert [(c.source, c.target.name if isinstance(c.target, NamedTarget) else c.target.host,
             c.evidence.detail) for c in fragment.claims] == [
        ("compose:p/loadtest", "compose:p/edge-router",
         "command `-d 60 -r 200 -c 2 -h edge-router` in compose service loadtest"),
        ("compose:p/migrate", "compose:p/db",
         "entrypoint `/wait-for-it.sh db:5432 -- migrate --password=***` in compose service migrate"),
    ]
    assert "hunter2" not in repr(fragment)


def test_self_references_make_no_claims() -> None:
    text = (
        "services:\n"
        "  kafka:\n"
        "    image: apache/kafka:3.7\n"
        "    environment:\n"
        "      - KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://kafka:9092\n"
        "    healthcheck:\n"
        "      test: nc -z kafka 9092\n"
    )
    assert parse_compose(_docs(text)).claims == []


def test_extends_and_env_file_are_noted_not_errors() -> None:
    text = (
        "services:\n"
        "  worker:\n"
        "    extends:\n"
        "      file: common.yml\n"
        "      service: base\n"
        "    env_file: [worker.env, {path: optional.env, required: false}]\n"
        "    command: run-worker\n"
    )
    fragment = parse_compose(_docs(text), project="p")
    (worker,) = fragment.entities
    assert worker.labels["compose.extends"] == "common.yml#base"
    assert worker.labels["compose.env_file"] == "worker.env,optional.env"
    assert worker.evidence.detail == (
        "compose service worker; extends common.yml#base (settings inherited from it are not read); "
        "env_file worker.env, optional.env not read"
    )
    assert (fragment.used, fragment.skipped) == (1, [])


def test_depends_on_a_service_of_another_file_names_it_plainly() -> None:
    text = "services:\n  web:\n    image: nginx\n    depends_on: [api]\n"
    (claim,) = parse_compose(_docs(text), project="p").claims
    assert claim.target == NamedTarget("api")


def test_json_compose_file_gets_line_locations() -> None:
    text = ('{"services": {\n  "web": {"image": "nginx",\n    "depends_on": ["api"]},\n'
            '  "api": {"image": "x/api"}}}\n')
    fragment = parse_compose(_docs(text, "c.json"), project="p")
    assert [e.evidence.location for e in fragment.entities] == ["c.json:2", "c.json:4"]
    assert [c.evidence.location for c in fragment.claims] == ["c.json:3"]


def test_global_mode_has_no_replica_count_and_scale_is_read() -> None:
    text = (
        "services:\n"
        "  agent:\n    image: x/agent\n    deploy: {mode: global}\n"
        "  worker:\n    image: x/worker\n    scale: 4\n    mem_limit: 512m\n    cpus: 1.5\n"
    )
    agent, worker = parse_compose(_docs(text)).entities
    assert agent.replicas is None
    assert (worker.replicas, worker.memory_request, worker.cpu_request) == (4, 512 * 1024**2, 1.5)


# --------------------------------------------------------------------------------------------
# The whole pipeline
# --------------------------------------------------------------------------------------------


def test_pipeline_resolves_hostnames_aliases_and_datastores() -> None:
    inventory = read_paths([SHOP / "docker-compose.yml"])
    assert [s.id for s in inventory.services] == ["cart", "orders", "web", "web-agent"]
    assert [(r.id, r.kind, r.technology) for r in inventory.resources] == [
        ("cache:cache", "cache", "redis"),
        ("database:db", "database", "postgres"),
        ("search:catalog-search", "search", "opensearch"),
    ]
    deps = {(d.source, d.target): (d.kind, d.via, len(d.evidence)) for d in inventory.dependencies}
    assert deps == {
        ("cart", "cache:cache"): ("datastore", None, 2),
        ("orders", "cart"): ("sync", None, 2),
        ("orders", "database:db"): ("datastore", "orders", 2),
        ("web", "cart"): ("sync", None, 2),
        ("web", "orders"): ("sync", None, 3),
        ("web", "search:catalog-search"): ("datastore", None, 1),
        ("web-agent", "web"): ("sync", None, 2),
    }
    unresolved = sorted(u.reference for u in inventory.unresolved)
    assert unresolved == ["legacy_billing_1", "payments.internal.example.com"]
    accounts = {Path(a.location).name: (a.format, a.documents, a.used) for a in inventory.inputs}
    # one document plus two broken service entries reported on their own: 3 read, 1 used, 2 skipped
    assert accounts == {".env": ("dotenv", 1, 1), "docker-compose.yml": ("compose", 3, 1)}
    assert [s.location.rsplit("/", 1)[-1] for s in inventory.skipped] == [
        "docker-compose.yml:82 (service broken)", "docker-compose.yml:85 (service ghost)"
    ]
    for secret in SECRETS:
        assert secret not in repr(inventory)


# --------------------------------------------------------------------------------------------
# Real systems (skipped where ../shared is absent)
# --------------------------------------------------------------------------------------------

#: The otel-demo truth edges that the compose file shows (env vars from .env, depends_on).
OTEL_VISIBLE = {
    **{("frontend", t): "sync" for t in ("ad", "cart", "checkout", "currency", "product-catalog",
                                         "recommendation", "shipping")},
    **{("checkout", t): "sync" for t in ("cart", "currency", "payment", "product-catalog", "shipping",
                                         "email")},
    ("recommendation", "product-catalog"): "sync",
    ("shipping", "quote"): "sync",
    ("load-generator", "frontend-proxy"): "sync",
    **{("frontend-proxy", t): "sync" for t in ("frontend", "image-provider", "flagd", "flagd-ui",
                                               "load-generator")},
    **{(s, "flagd"): "sync" for s in ("ad", "cart", "checkout", "email", "fraud-detection", "payment",
                                      "product-catalog", "recommendation", "load-generator")},
    ("cart", "valkey-cart"): "datastore",
    ("accounting", "postgresql"): "datastore",
    # the topic is in code only: compose shows each end's use of the broker
    **{(s, "kafka"): "async" for s in ("checkout", "accounting", "fraud-detection")},
}
#: Edges compose shows that the truth does not list: telemetry export (truth lists it apart), and
#: startup-order-only depends_on / FLAGD_HOST that the code does not use.
OTEL_EXTRA_NOT_IN_TRUTH = {
    ("frontend", "quote"), ("frontend", "image-provider"), ("load-generator", "frontend"),
    ("flagd-ui", "flagd"), ("frontend", "flagd"),
}
OBSERVABILITY = {"otel-collector", "jaeger", "grafana", "prometheus", "opensearch"}


@pytest.mark.corpus
def test_otel_demo_compose_gives_the_truth_edges() -> None:
    path = CORPUS / "otel-demo" / "docker-compose.yml"
    if not path.exists():
        pytest.skip("../shared/corpus is absent")
    inventory = read_paths([path])
    edges = _edges(inventory)
    assert {pair: edges.get(pair) for pair in OTEL_VISIBLE} == OTEL_VISIBLE
    business = {p for p in edges if not OBSERVABILITY & set(p)}
    assert business - set(OTEL_VISIBLE) == OTEL_EXTRA_NOT_IN_TRUTH
    checkout_cart = next(d for d in inventory.dependencies if (d.source, d.target) == ("checkout", "cart"))
    details = sorted(e.detail for e in checkout_cart.evidence)
    assert details[1].startswith("env CART_ADDR=cart:7070 (from ") and details[1].endswith(
        ".env) in compose service checkout")
    assert details[0] == "depends_on: cart (condition: service_started) in compose service checkout"
    assert "otelp" not in repr(inventory)  # the literal password in DB_CONNECTION_STRING


@pytest.mark.corpus
def test_sock_shop_compose_shows_only_its_two_visible_edges() -> None:
    path = CORPUS / "sock-shop" / "deploy" / "docker-compose" / "docker-compose.yml"
    if not path.exists():
        pytest.skip("../shared/corpus is absent")
    inventory = read_paths([path])
    assert _edges(inventory) == {("user", "user-db"): "datastore", ("user-sim", "edge-router"): "sync"}
    assert {r.name for r in inventory.resources if r.kind == "database"} == {
        "carts-db", "catalogue-db", "orders-db", "user-db"}


@pytest.mark.corpus
def test_dsb_hotel_reservation_compose_shows_datastores_by_depends_on() -> None:
    path = CORPUS / "dsb-hotelreservation" / "docker-compose.yml"
    if not path.exists():
        pytest.skip("../shared/corpus is absent")
    edges = _edges(read_paths([path]))
    stores = {pair: kind for pair, kind in edges.items() if pair[1] != "consul"}
    assert stores == {
        ("attractions", "mongodb-attractions"): "datastore",
        ("geo", "mongodb-geo"): "datastore",
        ("profile", "memcached-profile"): "datastore", ("profile", "mongodb-profile"): "datastore",
        ("rate", "memcached-rate"): "datastore", ("rate", "mongodb-rate"): "datastore",
        ("recommendation", "mongodb-recommendation"): "datastore",
        ("reservation", "memcached-reserve"): "datastore",
        ("reservation", "mongodb-reservation"): "datastore",
        ("review", "memcached-review"): "datastore", ("review", "mongodb-review"): "datastore",
        ("user", "mongodb-user"): "datastore",
    }
    assert {s for s, t in edges if t == "consul"} == {
        "attractions", "frontend", "geo", "profile", "rate", "recommendation", "reservation", "review",
        "search", "user"}
