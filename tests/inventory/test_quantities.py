"""CPU and memory quantities."""

from __future__ import annotations

import pytest

from inventory.quantities import parse_cpu, parse_memory


@pytest.mark.parametrize(
    ("value", "expected"),
    [("250m", 0.25), ("2", 2.0), (2, 2.0), (0.5, 0.5), ("1.5", 1.5), ("100u", 0.0001), ("500000n", 0.0005),
     ("lots", None), ("2Gi", None), (None, None), (True, None), (-1, None), ({"cpu": 1}, None)],
)
def test_parse_cpu(value: object, expected: float | None) -> None:
    assert parse_cpu(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("64Mi", 64 * 1024**2), ("1Gi", 1024**3), ("512Ki", 512 * 1024), ("128e6", 128_000_000), ("1G", 10**9),
     ("500M", 500 * 10**6), ("1k", 1000), ("1024", 1024), (2048, 2048), ("1.5Gi", int(1.5 * 1024**3)),
     ("lots", None), ("5X", None), (None, None), (False, None), (-5, None)],
)
def test_parse_memory(value: object, expected: int | None) -> None:
    assert parse_memory(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("50M", 50 * 1024**2), ("1g", 1024**3), ("512k", 512 * 1024), ("1gb", 1024**3), ("100", 100), ("7x", None)],
)
def test_parse_memory_compose_units_are_binary(value: str, expected: int | None) -> None:
    assert parse_memory(value, compose=True) == expected


def test_quantities_read_again_give_the_same_answers() -> None:
    # the answers for text are remembered: the second reading must not differ from the first
    for _ in range(2):
        assert [parse_cpu(v) for v in ("250m", "lots", "2", "")] == [0.25, None, 2.0, None]
        assert [parse_memory(v) for v in ("64Mi", "5X", "1G")] == [64 * 1024**2, None, 10**9]
    assert parse_memory("50M", compose=True) == 50 * 1024**2  # Compose's reading is not the remembered one
    assert parse_memory("50M") == 50 * 10**6
