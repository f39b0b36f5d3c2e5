"""Uploaded files (the dashboard's way in) are read like files on disk: in worker processes once
they are large enough, with the same report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor import api
from advisor.api import analyze_uploads
from advisor.config import Config
from advisor.exports import render_json
from inventory.sources import from_uploads

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"


def test_large_uploads_are_read_by_workers_with_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    uploads = [(str(p.relative_to(EXAMPLE)), p.read_bytes()) for p in sorted(EXAMPLE.rglob("*")) if p.is_file()]
    assert len(uploads) >= 4
    monkeypatch.setattr(api, "PARALLEL_THRESHOLD", 1)  # "large" from one byte
    monkeypatch.setattr(api, "FORKED_PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)
    pools: list[int] = []
    real = api._worker_pool

    @contextmanager
    def recorded(n: int, inputs: object, *, wait: bool = True) -> Iterator[object]:
        pools.append(n)
        with real(n, inputs, wait=wait) as pool:  # type: ignore[arg-type]
            yield pool

    monkeypatch.setattr(api, "_worker_pool", recorded)
    parallel = analyze_uploads(uploads)
    serial = analyze_uploads(uploads, workers=1)
    assert pools == [2, 1]
    assert render_json(parallel) == render_json(serial)


@pytest.mark.parametrize(("forked", "workers"), [(True, 2), (False, 1)])
def test_inputs_are_large_enough_for_workers_sooner_when_they_are_forked(monkeypatch: pytest.MonkeyPatch,
                                                                        forked: bool, workers: int) -> None:
    """Forked workers start in hundredths of a second; a fork server costs the first pool about one:
    four megabytes are worth workers in the CLI, not in a server with other threads."""
    monkeypatch.setattr(api, "forks_workers", lambda: forked)
    monkeypatch.setattr(api.os, "cpu_count", lambda: 2)
    files = [(f"k8s/app{i}.yaml", b"# padding\n" * 100_000) for i in range(4)]  # 4 MB in all
    inputs = from_uploads(files, Config().limits)
    assert api.FORKED_PARALLEL_THRESHOLD < api._input_bytes(inputs) < api.PARALLEL_THRESHOLD
    assert api._default_workers(inputs, Config().read_options()) == workers
