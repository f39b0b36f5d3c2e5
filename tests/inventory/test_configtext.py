"""Key/value pairs out of embedded configuration text, with their lines."""

from __future__ import annotations

from inventory.configtext import iter_config_values


def test_yaml_config_is_flattened_with_lines() -> None:
    text = (
        "server:\n  port: 8080\nspring:\n  rabbitmq:\n    host: rabbitmq\n  datasource:\n"
        "    url: jdbc:postgresql://billing-db:5432/billing\nbrokers:\n- kafka-0:9092\n- kafka-1:9092\n"
    )
    assert list(iter_config_values(text)) == [
        ("server.port", "8080", 1),
        ("spring.rabbitmq.host", "rabbitmq", 4),  # the value's line, not the ``rabbitmq:`` key above it
        ("spring.datasource.url", "jdbc:postgresql://billing-db:5432/billing", 6),
        ("brokers[0]", "kafka-0:9092", 8),
        ("brokers[1]", "kafka-1:9092", 9),
    ]


def test_properties_skip_comments() -> None:
    text = "# notifications.endpoint=http://old:1\n! also a comment\nnotifications.endpoint=http://notifier:9000\n" \
           "feature.enabled = true\n"
    assert list(iter_config_values(text)) == [
        ("notifications.endpoint", "http://notifier:9000", 2),
        ("feature.enabled", "true", 3),
    ]


def test_dotenv_lines_with_export_and_quotes() -> None:
    text = "export DB_HOST=orders-db\nREDIS_URL='redis://cache:6379'\n"
    assert list(iter_config_values(text)) == [("DB_HOST", "orders-db", 0), ("REDIS_URL", "redis://cache:6379", 1)]


def test_json_config() -> None:
    text = '{"ConnectionStrings": {"Default": "Host=orders-db;Database=orders"},\n "Urls": ["http://a:1"]}'
    assert list(iter_config_values(text)) == [
        ("ConnectionStrings.Default", "Host=orders-db;Database=orders", 0),
        ("Urls[0]", "http://a:1", 1),
    ]


def test_unstructured_text_is_yielded_line_by_line_without_a_key() -> None:
    text = "upstream backend {\n  server orders:8080;\n}\n"
    assert list(iter_config_values(text)) == [
        (None, "upstream backend {", 0), (None, "server orders:8080;", 1), (None, "}", 2)
    ]


def test_broken_yaml_falls_back_to_lines_and_empty_text_yields_nothing() -> None:
    assert list(iter_config_values("   \n")) == []
    assert list(iter_config_values("a: [1,\nb: 2\n")) == [("a", "[1,", 0), ("b", "2", 1)]
