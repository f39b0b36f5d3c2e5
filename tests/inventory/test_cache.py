"""Incremental re-analysis: unchanged files come from the cache, changed ones are read again."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inventory.cache import FileCache
from inventory.options import ReadOptions
from inventory.reading import read_inputs, resolve_results
from inventory.sources import collect

APP = """apiVersion: apps/v1
kind: Deployment
metadata: {name: orders}
spec:
  selector: {matchLabels: {app: orders}}
  template:
    metadata: {labels: {app: orders}}
    spec:
      containers:
        - name: orders
          image: acme/orders:1
          env:
            - {name: PAYMENTS_ADDR, value: "payments:8080"}
---
apiVersion: v1
kind: Service
metadata: {name: orders}
spec: {selector: {app: orders}}
"""
PAYMENTS = APP.replace("orders", "payments").replace('"payments:8080"', '"orders:8080"')


def _read(folder: Path, cache: FileCache) -> tuple[list[bool], set[tuple[str, str]]]:
    inputs = collect([folder], ReadOptions().limits)
    results = read_inputs(inputs, ReadOptions(), cache=cache)
    inventory = resolve_results(inputs, results)
    return [r.cached for r in results], {(d.source, d.target) for d in inventory.dependencies}


def test_second_run_reuses_unchanged_files_and_rereads_changed_ones(tmp_path: Path) -> None:
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "orders.yaml").write_text(APP)
    (folder / "payments.yaml").write_text(PAYMENTS)
    cache = FileCache(tmp_path / "cache")
    assert cache.enabled
    first = _read(folder, cache)
    assert first == ([False, False], {("orders", "payments"), ("payments", "orders")})
    second = _read(folder, FileCache(tmp_path / "cache"))
    assert second == ([True, True], first[1])
    (folder / "payments.yaml").write_text(PAYMENTS.replace('"orders:8080"', '"nothing-here:1"'))
    cached, edges = _read(folder, FileCache(tmp_path / "cache"))
    assert cached == [True, False]  # orders.yaml unchanged, payments.yaml changed
    assert edges == {("orders", "payments")}


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="needs POSIX permissions")
def test_a_cache_folder_others_can_write_to_is_not_used(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert not FileCache(shared).enabled
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "orders.yaml").write_text(APP)
    assert _read(folder, FileCache(shared))[0] == [False]
    assert list(shared.iterdir()) == []
