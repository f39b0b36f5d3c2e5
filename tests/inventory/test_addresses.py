"""Finding network references in strings, in every form they take in real configuration."""

from __future__ import annotations

import ipaddress

import pytest
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inventory.addresses import (
    _clean_host,
    find_addresses,
    is_address_key,
    is_strong,
    schema_hint,
    schema_hints,
    split_cluster_host,
    technology_of,
)
from inventory.model import Address


def _found(text: str, key: str | None = None) -> list[tuple[str, int | None, str | None, str | None, str]]:
    return [(a.host, a.port, a.scheme, a.database, a.form) for a in find_addresses(text, key=key)]


# ---------------------------------------------------------------------------------------------
# Kubernetes DNS forms, with and without scheme, user info, port and path
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("orders", "ORDERS_HOST", [("orders", None, None, None, "bare")]),
        ("orders.shop", "ORDERS_HOST", [("orders.shop", None, None, None, "bare")]),
        ("orders.shop.svc", None, [("orders.shop.svc", None, None, None, "bare")]),
        ("orders.shop.svc.cluster.local", None, [("orders.shop.svc.cluster.local", None, None, None, "bare")]),
        ("orders:8080", None, [("orders", 8080, None, None, "hostport")]),
        ("orders.shop:8080", None, [("orders.shop", 8080, None, None, "hostport")]),
        ("orders.shop.svc:8080", None, [("orders.shop.svc", 8080, None, None, "hostport")]),
        ("orders.shop.svc.cluster.local:8080", None, [("orders.shop.svc.cluster.local", 8080, None, None, "hostport")]),
        ("pod-0.svc-headless.ns.svc:9092", None, [("pod-0.svc-headless.ns.svc", 9092, None, None, "hostport")]),
        ("http://orders", None, [("orders", None, "http", None, "url")]),
        ("https://orders.shop:8443/api/v1?x=1", None, [("orders.shop", 8443, "https", None, "url")]),
        ("http://user:pw@orders.shop.svc.cluster.local:8080/api", None,
         [("orders.shop.svc.cluster.local", 8080, "http", None, "url")]),
        ("grpc://ORDERS.Shop.svc:50051", None, [("orders.shop.svc", 50051, "grpc", None, "url")]),
        ("http://orders.shop.svc.cluster.local./healthz", None,
         [("orders.shop.svc.cluster.local", None, "http", None, "url")]),
    ],
)
def test_every_dns_form(text: str, key: str | None, expected: list[tuple[object, ...]]) -> None:
    assert _found(text, key) == expected


def test_a_url_keeps_its_raw_text_with_the_password_masked() -> None:
    [addr] = find_addresses("http://admin:hunter2@orders:8080/api")
    assert addr.raw == "http://admin:***@orders:8080/api"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$(ORDERS_SERVICE_HOST)", [("orders", None, None, None, "kubelet")]),
        ("${PRODUCT_CATALOG_SERVICE_HOST}:3550", [("product-catalog", None, None, None, "kubelet")]),
        ("http://$(PAYMENTS_SERVICE_HOST):$(PAYMENTS_SERVICE_PORT)/charge",
         [("payments", None, None, None, "kubelet")]),
    ],
)
def test_kubelet_service_host_variables(text: str, expected: list[tuple[object, ...]]) -> None:
    assert _found(text) == expected


# ---------------------------------------------------------------------------------------------
# connection strings
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://app:s3cret@orders-db:5432/orders?sslmode=disable",
         [("orders-db", 5432, "postgres", "orders", "url")]),
        ("postgresql://orders-db/orders", [("orders-db", None, "postgresql", "orders", "url")]),
        ("jdbc:postgresql://orders-db:5432/orders", [("orders-db", 5432, "postgresql", "orders", "jdbc")]),
        ("jdbc:mysql://catalogue-db:3306/socksdb?useSSL=false", [("catalogue-db", 3306, "mysql", "socksdb", "jdbc")]),
        ("jdbc:sqlserver://mssql-db:1433;databaseName=Inventory;encrypt=true",
         [("mssql-db", 1433, "sqlserver", "Inventory", "jdbc")]),
        ("jdbc:oracle:thin:@oracle-db:1521/ORCLPDB1", [("oracle-db", 1521, "oracle", "ORCLPDB1", "jdbc")]),
        ("jdbc:oracle:thin:@//oracle-db:1521/svc", [("oracle-db", 1521, "oracle", "svc", "jdbc")]),
        ("mongodb://u:p@mongo-0.mongo:27017,mongo-1.mongo:27017,mongo-2.mongo/orders?replicaSet=rs0",
         [("mongo-0.mongo", 27017, "mongodb", "orders", "url"), ("mongo-1.mongo", 27017, "mongodb", "orders", "url"),
          ("mongo-2.mongo", None, "mongodb", "orders", "url")]),
        ("mongodb+srv://u:p@cluster0.abcde.mongodb.net/shop",
         [("cluster0.abcde.mongodb.net", None, "mongodb+srv", "shop", "url")]),
        ("redis://:pw@redis-cart:6379/0", [("redis-cart", 6379, "redis", None, "url")]),
        ("rediss://cache.shop.svc:6380", [("cache.shop.svc", 6380, "rediss", None, "url")]),
        ("amqp://guest:guest@rabbitmq:5672/", [("rabbitmq", 5672, "amqp", None, "url")]),
        ("amqps://mq.example.com/vhost", [("mq.example.com", None, "amqps", None, "url")]),  # a vhost, not a db
        ("Host=orders-db;Port=5432;Database=orders;Username=app;Password=x",
         [("orders-db", 5432, "dsn", "orders", "dsn")]),
        ("Server=tcp:sqlsrv,1433;Initial Catalog=billing;User ID=sa;Password=x",
         [("sqlsrv", 1433, "sqlserver", "billing", "dsn")]),
        ("Data Source=legacy-sql;Initial Catalog=crm;Integrated Security=true",
         [("legacy-sql", None, "sqlserver", "crm", "dsn")]),
        ("user:pw@tcp(mysql-db:3306)/orders?parseTime=true", [("mysql-db", 3306, "mysql", "orders", "dsn")]),
    ],
)
def test_connection_strings(text: str, expected: list[tuple[object, ...]]) -> None:
    assert _found(text) == expected


def test_kafka_bootstrap_list_gives_every_broker() -> None:
    assert _found("kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092, kafka-2.kafka-headless:9092",
                  key="KAFKA_BOOTSTRAP_SERVERS") == [
        ("kafka-0.kafka-headless", 9092, None, None, "hostport"),
        ("kafka-1.kafka-headless", 9092, None, None, "hostport"),
        ("kafka-2.kafka-headless", 9092, None, None, "hostport"),
    ]


def test_listener_list_with_several_schemes_does_not_swallow_the_next_scheme() -> None:
    # KAFKA_LISTENERS=PLAINTEXT://:9092,CONTROLLER://:9093 binds ports; it names no host at all
    assert _found("PLAINTEXT://:9092,CONTROLLER://:9093", key="KAFKA_LISTENERS") == []
    assert _found("PLAINTEXT://kafka-0:9092,SSL://kafka-1:9093") == [
        ("kafka-0", 9092, "plaintext", None, "url"),
        ("kafka-1", 9093, "ssl", None, "url"),
    ]


def test_passwords_in_connection_strings_are_masked_in_raw() -> None:
    texts = {
        "postgres://app:Sup3rSecret@orders-db:5432/orders": "postgres://app:***@orders-db:5432/orders",
        "Host=db;Username=app;Password=Sup3rSecret;Database=otel": "Host=db;Username=app;Password=***;Database=otel",
        "jdbc:sqlserver://mssql-db:1433;databaseName=x;user=sa;password=Sup3rSecret":
            "jdbc:sqlserver://mssql-db:1433;databaseName=x;user=sa;password=***",
    }
    for text, raw in texts.items():
        [addr] = find_addresses(text)
        assert addr.raw == raw
        assert "Sup3rSecret" not in repr(addr)


def test_references_inside_free_text_and_flags() -> None:
    assert _found("--payments-url=http://payments.billing:8080 --listen=0.0.0.0:8080") == [
        ("payments.billing", 8080, "http", None, "url")
    ]
    assert _found("-Dspring.zipkin.enabled=false -Djava.security.egd=file:/dev/urandom") == []
    assert _found("connect to orders:8080 then stock:9090") == [
        ("orders", 8080, None, None, "hostport"), ("stock", 9090, None, None, "hostport")
    ]


def test_duplicates_are_reported_once_in_order() -> None:
    assert _found("http://orders:8080/a http://orders:8080/b http://stock:1") == [
        ("orders", 8080, "http", None, "url"), ("stock", 1, "http", None, "url")
    ]


# ---------------------------------------------------------------------------------------------
# what is not an address
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("12:30", None),
        ("redis:7.2", None),
        ("redis:7.2-alpine", None),
        ("image: redis:7.2", None),
        ("0.0.0.0:8080", "LISTEN_ADDR"),
        ("localhost:5432", "DB_HOST"),
        ("localhost", "DB_HOST"),
        ("http://localhost:8080/health", None),
        ("http://127.0.0.1:9090", None),
        ("10.0.0.12:80", None),
        ("http://10.0.0.12:80/x", None),
        ("[::1]:8080", None),
        ("orders", None),
        ("orders", "LOG_LEVEL"),
        ("debug", "LOG_LEVEL"),
        ("true", "SESSION_REDIS"),
        ("true", "REDIS_HOST"),
        ("8080", "SERVER_PORT"),
        ("hello world", "GREETING_URL"),
        ("file:///etc/config.yaml", None),
        ("", "DB_HOST"),
    ],
)
def test_non_addresses(text: str, key: str | None) -> None:
    assert find_addresses(text, key=key) == []


def test_bare_hosts_count_only_under_address_named_keys() -> None:
    assert _found("orders-db", key="DB_HOST") == [("orders-db", None, None, None, "bare")]
    assert _found("orders-db", key="spring.datasource.host") == [("orders-db", None, None, None, "bare")]
    assert _found("orders", key="MYSQL_DATABASE") == []
    assert _found("orders", key="spring.data.mongodb.database") == []
    assert _found("orders", key="QUEUE_NAME") == []
    assert _found("root", key="POSTGRES_USER") == []
    assert _found("checkout", key="OTEL_SERVICE_NAME") == []


def test_values_of_secret_named_keys_never_become_references() -> None:
    # a password that happens to look like a host (or host:port) must not leak as a reference
    assert find_addresses("otel", key="POSTGRES_PASSWORD") == []
    assert find_addresses("fake_password", key="MYSQL_ROOT_PASSWORD") == []
    assert find_addresses("redis-cache:6379", key="REDIS_PASSWORD") == []
    # a structured URL under such a name still counts, with its password masked
    [addr] = find_addresses("https://user:tok@auth:8443/token", key="AUTH_TOKEN_URL")
    assert (addr.host, addr.raw) == ("auth", "https://user:***@auth:8443/token")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("ORDERS_HOST", True), ("CART_SERVICE_ADDR", True), ("DATABASE_URL", True), ("spring.redis.host", True),
        ("kafkaBootstrapServers", True), ("KAFKA_BROKERS", True), ("OTEL_EXPORTER_OTLP_ENDPOINT", True),
        ("DB_CONNECTION_STRING", True), ("CONN_STR", True), ("mongo", True), ("KAFKA", True),
        ("discovery.seed_hosts", True), ("upstream", True), ("redisHost", True),
        ("POSTGRES_USER", False), ("MYSQL_DATABASE", False), ("SESSION_REDIS", False), ("QUEUE_NAME", False),
        ("cluster.name", False), ("LOG_LEVEL", False), ("target_label", False), ("processors[4]", False),
        ("", False), (None, False),
    ],
)
def test_is_address_key(key: str | None, expected: bool) -> None:
    assert is_address_key(key) is expected


def test_strength_decides_whether_an_unresolved_reference_is_reported() -> None:
    url, = find_addresses("http://orders:8080")
    hostport, = find_addresses("orders:8080")
    svc, = find_addresses("orders.shop.svc:8080")
    kubelet, = find_addresses("$(ORDERS_SERVICE_HOST)")
    assert is_strong(url) and is_strong(kubelet) and is_strong(svc)
    assert not is_strong(hostport)
    assert is_strong(hostport, "ORDERS_ADDR")


def test_technology_of_a_scheme() -> None:
    assert technology_of(Address("db", scheme="postgresql")) == "postgres"
    assert technology_of(Address("q", scheme="AMQP")) == "rabbitmq"
    assert technology_of(Address("c", scheme="rediss")) == "redis"
    assert technology_of(Address("x", scheme="http")) is None
    assert technology_of(Address("x")) is None


def test_very_long_text_is_bounded() -> None:
    text = "x" * 200_000 + " http://orders:8080"
    assert find_addresses(text) == []  # only the first 100,000 characters are scanned


# ---------------------------------------------------------------------------------------------
# split_cluster_host
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("orders", [("orders", None)]),
        ("orders.shop", [("orders", "shop"), ("orders.shop", None)]),
        ("orders.shop.svc", [("orders", "shop")]),
        ("orders.shop.svc.cluster.local", [("orders", "shop")]),
        ("orders.svc", [("orders", None)]),
        ("kafka-0.kafka-headless.messaging.svc", [("kafka-headless", "messaging"), ("kafka-0", "messaging")]),
        ("kafka-0.kafka-headless.messaging.svc.cluster.local",
         [("kafka-headless", "messaging"), ("kafka-0", "messaging")]),
        ("kafka-0.kafka-headless.messaging", [("kafka-headless", "messaging"), ("kafka-0", "kafka-headless"),
                                              ("kafka-0.kafka-headless.messaging", None)]),
        ("api.example.com", [("api.example.com", None)]),
        ("cluster0.abcde.mongodb.net", [("cluster0.abcde.mongodb.net", None)]),
    ],
)
def test_split_cluster_host(host: str, expected: list[tuple[str, str | None]]) -> None:
    assert split_cluster_host(host) == expected


def test_schema_hints_answer_as_schema_hint_for_every_key_of_one_env() -> None:
    env = {"DB_HOST": "orders-db", "db_name": "orders", "CACHE_ADDR": "redis", "CACHE_DB": "0",
           "ORDERS_DB_ADDR": "pg", "ORDERS_DB_NAME": "ledger", "X_SERVICE_HOST": "x", "X_NAME": "nope"}
    hints = schema_hints(env)
    for key in [*env, "db_host", "OTHER_HOST", "PLAIN"]:
        assert hints(key) == schema_hint(key, env), key
    assert hints("DB_HOST") == "orders"
    assert hints("ORDERS_DB_ADDR") == "ledger"


@pytest.mark.parametrize("text", ["10.0.0.1:8080", "[::1]:8080", "fe80::1:8080", "http://10.1.2.3:80/x",
                                  "1.2.3.4.5:99", "127.0.0.1:5432", "2001:db8::2:443"])
def test_ip_addresses_and_numbers_are_never_hosts(text: str) -> None:
    assert find_addresses(text, key="SERVER_ADDR") == []


@fuzz_settings(2000)
@given(st.text(alphabet="0123456789abcdef.:-_[]%K\u017f\u0130\u0131", max_size=24))
def test_a_host_kept_is_never_an_ip_address(text: str) -> None:
    # find_addresses relies on it: a host _clean_host keeps has a letter and no colon
    host = _clean_host(text)
    if host is not None:
        with pytest.raises(ValueError):
            ipaddress.ip_address(host.strip("[]"))
        assert any(c.isalpha() for c in host)
