"""Uploaded files (the dashboard's way in) are read like files on disk: in worker processes once
they are large enough, with the same report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor import api
from advisor.api import analyze_uploads
from advisor.exports import render_json

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"


def test_large_uploads_are_read_by_workers_with_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = [(str(p.relative_to(EXAMPLE)), p.read_bytes()) for p in sorted(EXAMPLE.rglob("*")) if p.is_file()]
    assert len(uploads) >= 4
    monkeypatch.setattr(api, "PARALLEL_THRESHOLD", 1)  # "large" from one byte
    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)
    pools: list[int] = []
    real = api._worker_pool

    @contextmanager
    def recorded(n: int, inputs: object) -> Iterator[object]:
        pools.append(n)
        with real(n, inputs) as pool:  # type: ignore[arg-type]
            yield pool

    monkeypatch.setattr(api, "_worker_pool", recorded)
    parallel = analyze_uploads(uploads)
    serial = analyze_uploads(uploads, workers=1)
    assert pools == [2, 1]
    assert render_json(parallel) == render_json(serial)
