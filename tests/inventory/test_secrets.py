"""Secret values are masked wherever a string may reach output."""

from __future__ import annotations

import pytest
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inventory.secrets import MASK, looks_secret, redact_env, redact_text


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "dbPassword", "DB_PASS", "MYSQL_ROOT_PASSWORD", "SMTP_PASSWD", "GPG_PASSPHRASE", "DB_PWD",
     "GITHUB_TOKEN", "SAS_TOKEN", "API_KEY", "apiKey", "AWS_SECRET_ACCESS_KEY", "PRIVATE_KEY", "client_secret",
     "JWT_SECRET", "SESSION_KEY", "SIGNING_KEY", "KEY", "spring.datasource.password", "AUTHORIZATION",
     "CREDENTIALS_JSON", "BEARER"],
)
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name",
    ["CART_SERVICE_ADDR", "DATABASE_URL", "KEYCLOAK_URL", "MONKEY_MODE", "PASSENGER_SERVICE_HOST", "COMPASS_URL",
     "BYPASS_CACHE", "LOG_LEVEL", "REDIS_HOST", "KAFKA_BOOTSTRAP_SERVERS"],
)
def test_ordinary_names(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://app:s3cret@orders-db:5432/orders", "postgres://app:***@orders-db:5432/orders"),
        ("redis://:s3cret@redis-cart:6379/0", "redis://:***@redis-cart:6379/0"),
        ("mongodb://u:s3cret@m0:27017,m1:27017/db", "mongodb://u:***@m0:27017,m1:27017/db"),
        ("amqp://guest:guest@rabbitmq:5672/", "amqp://guest:***@rabbitmq:5672/"),
        ("Host=db;Username=app;Password=s3cret;Database=otel", "Host=db;Username=app;Password=***;Database=otel"),
        ("Pwd=s3cret;Server=db", "Pwd=***;Server=db"),
        ("Server=tcp:db,1433;User ID=sa;Password=s3cret;", "Server=tcp:db,1433;User ID=sa;Password=***;"),
        ("DefaultEndpointsProtocol=https;AccountKey=s3cret==;EndpointSuffix=core.windows.net",
         "DefaultEndpointsProtocol=https;AccountKey=***;EndpointSuffix=core.windows.net"),
        ("https://api/x?token=s3cret&page=2", "https://api/x?token=***&page=2"),
        ("--db-password=s3cret --port=5432", "--db-password=*** --port=5432"),
        ("--auth-token s3cret --verbose", "--auth-token *** --verbose"),
        ("root:s3cret@tcp(catalogue-db:3306)/socksdb", "root:***@tcp(catalogue-db:3306)/socksdb"),
        ("jdbc:oracle:thin:scott/s3cret@oracle-db:1521/ORCL", "jdbc:oracle:thin:scott/***@oracle-db:1521/ORCL"),
        ("https://orders:8080/api", "https://orders:8080/api"),
        ("https://user@orders/", "https://user@orders/"),
        ("", ""),
        # the patterns ignore case as Unicode does: a long s is an s, a Kelvin sign a k
        ("--db-pa\u017fsword=s3cret", "--db-pa\u017fsword=***"),
        ("Api\u212aey=s3cret;Host=db", "Api\u212aey=***;Host=db"),
        ("--API-KEY s3cret", "--API-KEY ***"),
        ("SharedAccessKey=s3cret", "SharedAccessKey=***"),
        ("-XX:MaxRAMPercentage=75 -Dfile.encoding=UTF-8", "-XX:MaxRAMPercentage=75 -Dfile.encoding=UTF-8"),
        ("http://rate-limiter:8080/api?access=all", "http://rate-limiter:8080/api?access=all"),
        ("--api_key s3cret --access-key=s3cret", "--api_key *** --access-key=***"),
        ("Host=db;AccessKey=s3cret", "Host=db;AccessKey=***"),
    ],
)
def test_redact_text(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_redact_env_masks_the_whole_value_of_a_secret_name() -> None:
    assert redact_env("DB_PASSWORD", "s3cret") == MASK
    assert redact_env("API_TOKEN", "http://looks-like-a-url") == MASK
    assert redact_env("DATABASE_URL", "mysql://u:s3cret@db/x") == "mysql://u:***@db/x"
    assert redact_env("CART_ADDR", "cart:7070") == "cart:7070"


def _every_pattern(text: str) -> str:
    """redact_text without its shortcuts: every pattern runs on every text."""
    from inventory import secrets

    if not text:
        return text
    for pattern in (secrets._URL_PASSWORD, secrets._DSN_PASSWORD, secrets._ORACLE_PASSWORD):
        text = pattern.sub(lambda m: m.group("pre") + MASK + m.group("post"), text)
    for pattern in (secrets._KV_PASSWORD, secrets._FLAG_PASSWORD):
        text = pattern.sub(lambda m: m.group("pre") + MASK, text)
    return text


_PIECES = [*"abcKPSTXYZ=-_@:;&?,/ .0123\"'\t\n", "password", "pwd", "PASSWD", "Secret", "TOKEN", "api", "key",
           "Key", "api_key", "api-key", "ApiKey", "access", "access-key", "accountkey", "SharedAccessKey", "--",
           "://", "tcp(", "jdbc:oracle:thin:", "\u017f", "\u212a", "\u00e9"]


@fuzz_settings(3000)
@given(st.lists(st.sampled_from(_PIECES), max_size=16).map("".join))
def test_redact_text_masks_what_every_pattern_would(text: str) -> None:
    # the substring tests before each pattern only skip patterns that cannot match
    assert redact_text(text) == _every_pattern(text)
