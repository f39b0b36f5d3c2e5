"""A second run over unchanged files reuses the report; any change to a file or the configuration
analyses again."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest

from advisor import api
from advisor.api import analyze_paths
from advisor.config import Config, Weights
from advisor.exports import render_json
from inventory.cache import FileCache

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"


def test_unchanged_inputs_reuse_the_report_and_changes_do_not(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    cache = tmp_path / "cache"
    first_timings: dict[str, float] = {}
    first = analyze_paths([inventory], cache=FileCache(cache), timings=first_timings)
    assert "read" in first_timings and "store" in first_timings

    again_timings: dict[str, float] = {}
    again = analyze_paths([inventory], cache=FileCache(cache), timings=again_timings)
    assert "read" not in again_timings  # nothing was parsed
    assert render_json(again) == render_json(first)

    other_config = Config(weights=Weights(shared_datastore=4.0))
    changed_timings: dict[str, float] = {}
    analyze_paths([inventory], other_config, cache=FileCache(cache), timings=changed_timings)
    assert "read" in changed_timings  # another configuration: analysed again (files still from the cache)

    orders = inventory / "k8s" / "shop" / "orders.yaml"
    orders.write_text(orders.read_text().replace("ORDER_HISTORY_URL", "ORDER_ARCHIVE_URL"))
    edited_timings: dict[str, float] = {}
    edited = analyze_paths([inventory], cache=FileCache(cache), timings=edited_timings)
    assert "read" in edited_timings
    assert render_json(edited) != render_json(first)
    assert "ORDER_ARCHIVE_URL" in render_json(edited)


def test_a_report_made_with_other_library_versions_is_analysed_again(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgraded igraph may cluster differently: a report is reused only under the versions it was
    made with (the files still come from the parse cache, which those libraries do not touch)."""
    assert f"igraph {metadata.version('igraph')}" in api.library_versions()
    cache = tmp_path / "cache"
    first = analyze_paths([EXAMPLE], cache=FileCache(cache))
    same: dict[str, float] = {}
    analyze_paths([EXAMPLE], cache=FileCache(cache), timings=same)
    assert "resolve" not in same
    monkeypatch.setattr(api, "library_versions", lambda: "networkx 9.9, igraph 9.9, orjson 9.9")
    upgraded: dict[str, float] = {}
    again = analyze_paths([EXAMPLE], cache=FileCache(cache), timings=upgraded)
    assert "resolve" in upgraded and "cluster" in upgraded
    assert render_json(again) == render_json(first)


def test_a_file_changed_while_the_run_reads_keeps_neither_its_result_nor_the_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file edited after the run worked out its cache key (before reading it) is reported as read;
    neither its parse result nor the report is stored as those of the bytes the key was made of."""
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    orders = inventory / "k8s" / "shop" / "orders.yaml"
    before = orders.read_text()
    load_analysis = api._load_analysis

    def edit_then_load() -> None:  # called between the digest of the files and their reading
        orders.write_text(before.replace("ORDER_HISTORY_URL", "ORDER_ARCHIVE_URL"))
        load_analysis()

    monkeypatch.setattr(api, "_load_analysis", edit_then_load)
    cache = tmp_path / "cache"
    edited = analyze_paths([inventory], cache=FileCache(cache))
    assert "ORDER_ARCHIVE_URL" in render_json(edited)
    monkeypatch.setattr(api, "_load_analysis", load_analysis)

    orders.write_text(before)  # the bytes the run's keys were made of
    timings: dict[str, float] = {}
    restored = analyze_paths([inventory], cache=FileCache(cache), timings=timings)
    assert "resolve" in timings  # analysed, not a report found under those bytes
    assert render_json(restored) == render_json(analyze_paths([inventory], cache=None))
    assert "ORDER_ARCHIVE_URL" not in render_json(restored)


def test_a_damaged_cache_entry_is_read_again_not_trusted(tmp_path: Path) -> None:
    from inventory.options import DEFAULT_OPTIONS
    from inventory.reading import file_keys, read_inputs
    from inventory.sources import collect

    inputs = collect([EXAMPLE], DEFAULT_OPTIONS.limits)
    cache = FileCache(tmp_path / "cache")
    first = read_inputs(inputs, DEFAULT_OPTIONS, cache=cache)
    keys = file_keys(inputs, DEFAULT_OPTIONS, cache)
    damaged = next(k for k in keys if k is not None)
    (tmp_path / "cache" / damaged[:2] / f"{damaged}.pickle").write_bytes(b"not a pickle")
    again = read_inputs(inputs, DEFAULT_OPTIONS, cache=cache, workers=2)
    assert [r.account for r in again] == [r.account for r in first]
    assert sum(r.cached for r in again) == len(first) - 1
    assert sum(r.cached for r in read_inputs(inputs, DEFAULT_OPTIONS, cache=cache)) == len(first)  # mended


def test_the_stored_report_is_its_json_and_a_damaged_one_is_analysed_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = analyze_paths([EXAMPLE], cache=FileCache(cache))
    (entry,) = cache.glob("*/*.json")
    assert entry.read_bytes() == render_json(first).encode()  # data, not a pickle: nothing runs when read

    entry.write_bytes(entry.read_bytes()[:1000])  # cut short, as by a full disk
    timings: dict[str, float] = {}
    again = analyze_paths([EXAMPLE], cache=FileCache(cache), timings=timings)
    assert "read" in timings and render_json(again) == render_json(first)

    timings = {}
    mended = analyze_paths([EXAMPLE], cache=FileCache(cache), timings=timings)
    assert "read" not in timings and render_json(mended) == render_json(first)


def test_a_report_entry_written_in_the_background_is_on_disk_once_waited_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import api

    writing, release = threading.Event(), threading.Event()
    real = api._store_report

    def held_back(*args: object) -> None:
        writing.set()
        assert release.wait(30)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_store_report", held_back)
    cache = tmp_path / "cache"
    first = analyze_paths([EXAMPLE], cache=FileCache(cache), wait=False)
    assert writing.wait(30)
    assert not list(cache.glob("*/*.json"))  # the analysis returned while its entry was being written
    release.set()
    api.wait_for_cache_writes()
    (entry,) = cache.glob("*/*.json")
    assert entry.read_bytes() == render_json(first).encode()
    api.wait_for_cache_writes()  # nothing left: returns at once


@pytest.mark.parametrize("wait", [True, False])
def test_the_workers_of_a_run_that_does_not_wait_exit_in_the_background(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wait: bool) -> None:
    """``wait=False`` (the command): the run returns while its workers are still being shut down,
    and :func:`~advisor.api.wait_for_cache_writes` returns once they have exited, their parse-cache
    entries written; ``wait=True`` returns only after that."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    release = threading.Event()
    shutting = threading.Event()

    class HeldBack(ProcessPoolExecutor):
        def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
            shutting.set()
            assert release.wait(30)
            super().shutdown(wait=wait, cancel_futures=cancel_futures)

    monkeypatch.setattr(api, "ProcessPoolExecutor", HeldBack)
    cache = tmp_path / "cache"
    if wait:
        threading.Timer(0.3, release.set).start()
    report = analyze_paths([EXAMPLE], cache=FileCache(cache), workers=2, wait=wait)
    assert shutting.is_set() and release.is_set() == wait  # without waiting, returned before the workers left
    release.set()
    api.wait_for_cache_writes()
    assert multiprocessing.active_children() == []
    assert list(cache.glob("*/*.pickle"))  # what the workers parsed is in the cache
    assert render_json(report) == render_json(analyze_paths([EXAMPLE]))


def test_an_analysis_waits_for_the_entry_an_earlier_one_is_writing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import api

    release = threading.Event()
    real = api._store_report

    def held_back(*args: object) -> None:
        assert release.wait(30)
        real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "_store_report", held_back)
    cache = tmp_path / "cache"
    first = analyze_paths([EXAMPLE], cache=FileCache(cache), wait=False)
    threading.Timer(0.3, release.set).start()
    timings: dict[str, float] = {}
    again = analyze_paths([EXAMPLE], cache=FileCache(cache), timings=timings)
    assert "read" not in timings  # the entry was on disk before this one looked
    assert render_json(again) == render_json(first)


def test_only_the_latest_reports_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor import api

    monkeypatch.setattr(api, "REPORTS_KEPT", 2)
    cache = tmp_path / "cache"
    reports = []
    for seed in range(4):  # four configurations: four different runs of the same files
        reports.append(render_json(analyze_paths([EXAMPLE], Config(seed=seed), cache=FileCache(cache))))
        time.sleep(0.01)  # distinct modification times
    assert len(list(cache.glob("*/*.json"))) == 2
    for seed, expected in ((3, True), (2, True), (0, False)):
        timings: dict[str, float] = {}
        assert render_json(analyze_paths([EXAMPLE], Config(seed=seed), cache=FileCache(cache),
                                         timings=timings)) == reports[seed]
        assert ("read" not in timings) is expected, seed
    assert list(cache.glob("*/*.pickle"))  # the per-file entries stay


def test_pruning_removes_only_the_caches_own_report_entries(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    keys = [f"{i:02x}" + "0" * 62 for i in range(4)]
    for n, key in enumerate(keys):
        cache.put_bytes(key, b"{}", suffix=".json")
        os.utime(cache.folder / key[:2] / f"{key}.json", ns=(n * 10**9, n * 10**9))
    mine = cache.folder / "project"
    mine.mkdir()
    (mine / "report.json").write_text("{}")  # somebody's file in the folder
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ("ab" + "0" * 62 + ".json")).write_text("{}")
    (cache.folder / "ab").symlink_to(elsewhere)  # a linked subfolder is not the cache's
    cache.touch(keys[0], suffix=".json")  # used just now: kept
    assert cache.prune(".json", keep=2) == 2
    assert sorted(p.name[:2] for p in cache.folder.glob("[0-9a-f][0-9a-f]/*.json") if p.parent.name != "ab") == [
        "00", "03"]
    assert (mine / "report.json").exists() and len(list(elsewhere.iterdir())) == 1


def test_per_file_entries_are_trimmed_to_the_cache_size_least_recently_used_first(tmp_path: Path) -> None:
    """After a run that wrote entries, the others go, least recently used first, until the cache fits
    its size; the entries of the run itself always stay."""
    def sizes(folder: Path) -> dict[str, int]:
        return {p.name.removesuffix(".pickle"): p.stat().st_size for p in folder.glob("*/*.pickle")}

    old, new = tmp_path / "old", tmp_path / "new"  # the same files in two places: other keys
    shutil.copytree(EXAMPLE, old)
    shutil.copytree(EXAMPLE, new)
    analyze_paths([new], cache=FileCache(tmp_path / "scratch"))
    new_sizes = sizes(tmp_path / "scratch")
    analyze_paths([old], cache=FileCache(tmp_path / "cache"))
    old_sizes = sizes(tmp_path / "cache")
    assert len(old_sizes) >= 4 and not set(old_sizes) & set(new_sizes)
    ranked = sorted(old_sizes)
    used = set(ranked[: len(ranked) // 2])
    for n, key in enumerate(ranked):  # written long ago; half of them used since
        stamp = (15 if key in used else 10) * 10**17 + n * 10**9
        os.utime(tmp_path / "cache" / key[:2] / f"{key}.pickle", ns=(stamp, stamp))

    room = sum(new_sizes.values()) + sum(old_sizes[k] for k in used)
    analyze_paths([new], cache=FileCache(tmp_path / "cache", max_bytes=room))
    assert set(sizes(tmp_path / "cache")) == set(new_sizes) | used

    analyze_paths([new], Config(seed=9), cache=FileCache(tmp_path / "cache", max_bytes=room - 1))
    assert set(sizes(tmp_path / "cache")) == set(new_sizes) | used  # nothing written, nothing trimmed

    (new / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n")
    analyze_paths([new], cache=FileCache(tmp_path / "cache", max_bytes=1))
    left = set(sizes(tmp_path / "cache"))  # only the run's own: its files and the new one
    assert left > set(new_sizes) and len(left) == len(new_sizes) + 1 and not left & set(old_sizes)


def test_a_run_that_reads_everything_from_the_cache_trims_nothing(tmp_path: Path) -> None:
    cache = FileCache(tmp_path / "cache")
    analyze_paths([EXAMPLE], cache=cache)
    before = sorted(p.name for p in (tmp_path / "cache").glob("*/*.pickle"))
    analyze_paths([EXAMPLE], Config(seed=5), cache=FileCache(tmp_path / "cache", max_bytes=1))
    assert sorted(p.name for p in (tmp_path / "cache").glob("*/*.pickle")) == before


def test_the_cache_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from inventory.cache import DEFAULT_MAX_BYTES

    monkeypatch.setenv("ADVISOR_CACHE_MAX_MB", "64")
    assert FileCache(tmp_path).max_bytes == 64 * 1024**2
    for odd in ("lots", "²", "-5", "1e3"):
        monkeypatch.setenv("ADVISOR_CACHE_MAX_MB", odd)
        assert FileCache(tmp_path).max_bytes == DEFAULT_MAX_BYTES


def test_a_report_read_back_marks_its_files_as_used(tmp_path: Path) -> None:
    """A run answered by the whole report still uses the inventory's per-file entries: they must not
    be the first to go when another inventory's run trims the cache."""
    analyze_paths([EXAMPLE], cache=FileCache(tmp_path / "cache"))
    entries = list((tmp_path / "cache").glob("*/*.pickle"))
    for path in entries:
        os.utime(path, ns=(10**18, 10**18))
    timings: dict[str, float] = {}
    analyze_paths([EXAMPLE], cache=FileCache(tmp_path / "cache"), timings=timings)
    assert "read" not in timings  # the report was read back
    assert entries and all(path.stat().st_mtime_ns > 10**18 for path in entries)


def test_a_file_read_from_the_cache_counts_as_used(tmp_path: Path) -> None:
    from inventory.options import DEFAULT_OPTIONS
    from inventory.reading import read_inputs
    from inventory.sources import collect

    inputs = collect([EXAMPLE], DEFAULT_OPTIONS.limits)
    read_inputs(inputs, DEFAULT_OPTIONS, cache=FileCache(tmp_path / "cache"))
    entries = list((tmp_path / "cache").glob("*/*.pickle"))
    for path in entries:
        os.utime(path, ns=(10**18, 10**18))
    again = read_inputs(inputs, DEFAULT_OPTIONS, cache=FileCache(tmp_path / "cache"))
    assert all(r.cached for r in again)
    assert all(path.stat().st_mtime_ns > 10**18 for path in entries)


def test_a_reused_report_starts_no_worker_where_the_analysis_is_imported(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard's server has imported the analysis: its files are hashed in its own process, and
    a report found in the cache needs no worker at all (a fork server would take a second to start)."""
    import advisor.analysis  # noqa: F401  (as the dashboard's server has)
    from advisor import api

    jobs: list[str] = []

    class Pool(api.ProcessPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            jobs.append(getattr(fn, "__name__", type(fn).__name__))  # pool.map submits partials
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(api, "ProcessPoolExecutor", Pool)
    first = analyze_paths([EXAMPLE], workers=2, cache=FileCache(tmp_path / "cache"))
    assert "_keys_in_worker" not in jobs and jobs  # read by the workers, hashed here
    jobs.clear()
    again = analyze_paths([EXAMPLE], workers=2, cache=FileCache(tmp_path / "cache"))
    assert jobs == [] and render_json(again) == render_json(first)


def _comment_appended(inventory: Path) -> Path:
    orders = inventory / "k8s" / "shop" / "orders.yaml"
    orders.write_text(orders.read_text() + "\n# reviewed; nothing to change\n")
    return orders


@pytest.mark.parametrize("workers", [1, 2])
def test_files_changed_in_nothing_read_reuse_the_report_of_what_was_read(tmp_path: Path, workers: int,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A comment, or a field no reader looks at: the files are read again (their bytes changed), but
    what was read is what an earlier run read, so its report is reused; it is the report a fresh
    analysis of the changed files gives."""
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    cache = tmp_path / "cache"
    first = analyze_paths([inventory], cache=FileCache(cache), workers=workers)
    _comment_appended(inventory)

    timings: dict[str, float] = {}
    again = analyze_paths([inventory], cache=FileCache(cache), timings=timings, progress=True, workers=3 - workers)
    assert "read" in timings and "resolve" not in timings  # read again, not analysed again
    assert "not in anything the advisor reads" in capsys.readouterr().err
    assert render_json(again) == render_json(first) == render_json(analyze_paths([inventory]))

    third: dict[str, float] = {}
    analyze_paths([inventory], cache=FileCache(cache), timings=third)
    assert "read" not in third  # the same files as the run before: found before reading


def _read_change_after_a_comment(inventory: Path) -> None:
    orders = _comment_appended(inventory)
    orders.write_text(orders.read_text().replace("ORDER_HISTORY_URL", "ORDER_ARCHIVE_URL"))


def _comment_above_cited_lines(inventory: Path) -> None:
    orders = inventory / "k8s" / "shop" / "orders.yaml"
    orders.write_text("# reviewed; nothing to change\n" + orders.read_text())


@pytest.mark.parametrize("edit", [_read_change_after_a_comment, _comment_above_cited_lines])
def test_a_change_to_what_is_read_is_analysed_again(tmp_path: Path, edit: Callable[[Path], None]) -> None:
    """A change that is read, even in a file where a comment was added too, and a comment that moves
    the lines evidence cites (``file:line``): what was read changed, and the files are analysed again."""
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    cache = tmp_path / "cache"
    first = analyze_paths([inventory], cache=FileCache(cache))
    edit(inventory)
    timings: dict[str, float] = {}
    again = analyze_paths([inventory], cache=FileCache(cache), timings=timings)
    assert "resolve" in timings
    assert render_json(again) != render_json(first)
    assert render_json(again) == render_json(analyze_paths([inventory]))


def test_a_damaged_report_of_what_was_read_is_analysed_again(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, inventory)
    cache = tmp_path / "cache"
    analyze_paths([inventory], cache=FileCache(cache))
    _comment_appended(inventory)
    (report,) = cache.glob("*/*.json")
    report.write_bytes(b'{"schema_version": ')
    timings: dict[str, float] = {}
    again = analyze_paths([inventory], cache=FileCache(cache), timings=timings)
    assert "resolve" in timings
    assert render_json(again) == render_json(analyze_paths([inventory]))


def test_what_a_run_no_longer_needs_goes_to_keep(tmp_path: Path) -> None:
    """A caller that ends without freeing its heap (the command) gets the parse results in ``keep``
    instead of the run freeing them on its way; the report is the same."""
    from inventory.reading import FileResult

    kept: list[object] = []
    report = analyze_paths([EXAMPLE], cache=FileCache(tmp_path / "a"), keep=kept)
    (results,) = kept
    assert isinstance(results, list) and results and all(isinstance(r, FileResult) for r in results)
    read = {i.location for i in report.inventory.inputs if i.location.endswith(".yaml")}
    assert read and {r.location for r in results} >= read
    assert render_json(report) == render_json(analyze_paths([EXAMPLE], cache=FileCache(tmp_path / "b")))
