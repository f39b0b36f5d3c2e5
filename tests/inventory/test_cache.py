"""Incremental re-analysis: unchanged files come from the cache, changed ones are read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from inventory import cache as cache_module
from inventory.cache import FileCache
from inventory.options import ReadOptions
from inventory.reading import file_keys, read_inputs, resolve_results
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


def test_entries_made_under_another_python_or_pyyaml_are_not_used(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """What a file reads as depends on the YAML library too (libyaml or not, its version) and on
    Python: an entry another of those made is never taken for this one's."""
    assert f"PyYAML {yaml.__version__}" in cache_module.runtime_version()
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "orders.yaml").write_text(APP)
    assert _read(folder, FileCache(tmp_path / "cache"))[0] == [False]
    assert _read(folder, FileCache(tmp_path / "cache"))[0] == [True]
    monkeypatch.setattr(cache_module, "runtime_version", lambda: "cpython 3.99.0, PyYAML 9.9 (no libyaml)")
    assert _read(folder, FileCache(tmp_path / "cache"))[0] == [False]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_changed_between_its_digest_and_its_reading_is_not_stored_as_its_old_bytes(
        tmp_path: Path, workers: int) -> None:
    """The cache keys are worked out before the files are read: a file changed in between is read as
    it is now, and its result is not stored under the key of the bytes it held before (a run over
    those bytes, after an undo or a checkout, would be handed the other file's result)."""
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "orders.yaml").write_text(APP)
    (folder / "other.yaml").write_text(APP.replace("orders", "stock"))
    options = ReadOptions()
    inputs = collect([folder], options.limits)
    keys = file_keys(inputs, options, FileCache(tmp_path / "cache"))
    (folder / "orders.yaml").write_text(PAYMENTS)  # after the digest, before the reading
    results = read_inputs(inputs, options, workers=workers, cache=FileCache(tmp_path / "cache"), keys=keys)
    assert [(r.cached, r.changed) for r in results] == [(False, True), (False, False)]
    assert {s.name for s in resolve_results(inputs, results).services} == {"payments", "stock"}
    cache = FileCache(tmp_path / "cache")
    assert cache.get_bytes(keys[0]) is None and cache.get_bytes(keys[1]) is not None

    (folder / "orders.yaml").write_text(APP)  # the bytes of the digest again
    assert _read(folder, FileCache(tmp_path / "cache"))[0] == [False, True]  # read, not taken from the cache
    again = resolve_results(inputs, read_inputs(inputs, options, cache=FileCache(tmp_path / "cache")))
    assert {s.name for s in again.services} == {"orders", "stock"}


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


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"


def test_keys_hashed_by_workers_are_the_keys_hashed_here(tmp_path: Path) -> None:
    from concurrent.futures import Future, ProcessPoolExecutor
    from dataclasses import replace

    from inventory.reading import file_keys

    options = ReadOptions()
    inputs = collect([EXAMPLE], options.limits)
    cache = FileCache(tmp_path / "cache")
    here = file_keys(inputs, options, cache)
    assert len(here) == len(inputs.files) > 4 and None not in here
    assert len(set(here)) == len(here)
    calls: list[int] = []
    with ProcessPoolExecutor(2) as pool:
        there = file_keys(inputs, options, cache, pool=pool, workers=2, meanwhile=lambda: calls.append(1))
        # a file over the size limit by the time it is hashed (it grew since it was listed): no key
        small = replace(options, limits=replace(options.limits, max_file_bytes=1500))
        sizes = [os.path.getsize(f.path or "") for f in inputs.files]
        assert min(sizes) <= 1500 < max(sizes)
        limited = file_keys(inputs, small, cache, pool=pool, workers=2)
    assert there == here and calls == [1]
    assert limited == file_keys(inputs, small, cache)
    assert [k is None for k in limited] == [s > 1500 for s in sizes]

    class Broken:  # a pool that takes no jobs, or loses them: the files are hashed here
        def __init__(self, refuse: bool) -> None:
            self.refuse = refuse

        def submit(self, fn: object, *args: object) -> Future[object]:
            if self.refuse:
                raise RuntimeError("broken")
            failed: Future[object] = Future()
            failed.set_exception(RuntimeError("a worker died"))
            return failed

    for refuse in (True, False):
        assert file_keys(inputs, options, cache, pool=Broken(refuse), workers=2) == here  # type: ignore[arg-type]


def test_a_file_name_that_is_not_utf8_is_cached_like_any_other(tmp_path: Path) -> None:
    folder = tmp_path / "inventory"
    folder.mkdir()
    name = os.fsdecode(b"caf\xe9.yaml")  # Latin-1, as old repositories have them
    (folder / name).write_text(APP)
    cache = FileCache(tmp_path / "cache")
    inputs = collect([folder], ReadOptions().limits)
    first = read_inputs(inputs, cache=cache)
    again = read_inputs(inputs, cache=cache)
    assert [r.cached for r in first] == [False] and [r.cached for r in again] == [True]
    assert [r.account for r in again] == [r.account for r in first] and first[0].account.used > 0


def test_entries_made_in_workers_are_on_disk_once_the_pool_is_shut_down(tmp_path: Path) -> None:
    """Workers write their entries once they sit idle (after reading), and a worker process waits
    for that before it exits: a read with its own pool returns with every entry written."""
    folder = tmp_path / "inv"
    folder.mkdir()
    for i in range(12):
        (folder / f"app{i}.yaml").write_text(APP.replace("orders", f"orders{i}"))
    cache = FileCache(tmp_path / "cache")
    inputs = collect([folder], ReadOptions().limits)
    keys = file_keys(inputs, ReadOptions(), cache)
    first = read_inputs(inputs, ReadOptions(), workers=2, cache=cache, keys=keys)
    assert not any(r.cached for r in first)
    assert all(key is not None and cache.get_bytes(key) is not None for key in keys)
    again = read_inputs(inputs, ReadOptions(), workers=2, cache=cache, keys=keys)
    assert all(r.cached for r in again)


def test_later_writes_wait_for_an_idle_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import reading

    later = reading._LaterWrites()
    monkeypatch.setattr(later, "IDLE", 0.2)
    cache = FileCache(tmp_path / "cache")
    key = "ab" * 32
    with later.busy():
        later.add(str(cache.folder), key, b"entry")
        time.sleep(0.3)
        assert cache.get_bytes(key) is None  # not while the worker reads
    assert cache.get_bytes(key) is None  # nor just after: it may read again at once
    later.join()
    assert cache.get_bytes(key) == b"entry"
    assert later._thread is None  # the thread ends when nothing is left
    later.add(str(cache.folder), "cd" * 32, b"more")  # and starts again for what comes next
    later.join()
    assert cache.get_bytes("cd" * 32) == b"more"


def test_later_writes_are_flushed_at_once_when_the_worker_exits(tmp_path: Path) -> None:
    """A worker told to exit writes what is left from its main thread, busy or not, and an entry not
    yet written is found meanwhile (a second reading in the same pool takes it)."""
    from inventory import reading

    later = reading._LaterWrites()
    cache = FileCache(tmp_path / "cache")
    with later.busy():
        later.add(str(cache.folder), "ab" * 32, b"one")
        later.add(str(cache.folder), "cd" * 32, b"two")
        assert later.get(str(cache.folder), "ab" * 32) == b"one"
        later.flush()
        assert cache.get_bytes("ab" * 32) == b"one" and cache.get_bytes("cd" * 32) == b"two"
    assert later.get(str(cache.folder), "ab" * 32) is None and later._thread is None


def test_an_entry_that_cannot_be_written_stops_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import reading

    later = reading._LaterWrites()
    monkeypatch.setattr(later, "IDLE", 0.01)
    cache = FileCache(tmp_path / "cache")
    real = reading._cache_in

    def failing_once(folder: str) -> FileCache:
        if not hasattr(failing_once, "failed"):
            failing_once.failed = True  # type: ignore[attr-defined]
            raise RuntimeError("a disk that fails once")
        return real(folder)

    monkeypatch.setattr(reading, "_cache_in", failing_once)
    later.add(str(cache.folder), "ab" * 32, b"lost")
    later.add(str(cache.folder), "cd" * 32, b"kept")
    later.join()
    assert cache.get_bytes("ab" * 32) is None and cache.get_bytes("cd" * 32) == b"kept"


def test_entries_made_in_the_command_itself_are_written_at_once(tmp_path: Path) -> None:
    """Only worker processes write later: a job run in the command's own process (a broken pool, an
    executor of threads) leaves no thread behind and writes its entry before returning."""
    from inventory import reading

    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "orders.yaml").write_text(APP)
    cache = FileCache(tmp_path / "cache")
    inputs = collect([folder], ReadOptions().limits)
    (key,) = file_keys(inputs, ReadOptions(), cache)
    ((item, ctx),) = reading._contexts(inputs)
    cached, _ = reading._read_one((item, ctx, ReadOptions(), str(cache.folder), key, None))  # type: ignore[misc]
    assert cached is False and key is not None and cache.get_bytes(key) is not None
    assert reading._LATER._thread is None
