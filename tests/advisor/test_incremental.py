"""A second run over unchanged files reuses the report; any change to a file or the configuration
analyses again."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

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
