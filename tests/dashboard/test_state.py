"""How much of its analyses the dashboard's server keeps (dashboard.state, without a browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from advisor.config import Config
from advisor.model import Report
from dashboard import state

SHOP = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "dashboard" / "shop"
UPLOADS = tuple((p.name, p.read_bytes()) for p in sorted(SHOP.iterdir()))


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A clean server (no cached analysis or view); yields a list that grows by one per analysis run."""
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    monkeypatch.delenv("ADVISOR_DASHBOARD_MEMORY_MB", raising=False)
    runs: list[str] = []
    real = state.analyze_uploads

    def counted(uploads: object, config: object, **kwargs: object) -> Report:
        runs.append("analysed")
        return real(uploads, config, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(state, "analyze_uploads", counted)
    st.cache_resource.clear()
    state._kept.clear()
    state._rendered_stamps.clear()
    yield runs
    st.cache_resource.clear()
    state._kept.clear()
    state._rendered_stamps.clear()


def use(digest: str) -> tuple[Report, list[str]]:
    """What a page run does: the analysis of ``digest`` (cached or not), then noted as in use."""
    choice = state.InputChoice("upload", digest, digest, uploads=UPLOADS)
    report = state._analysed(digest, choice, Config())
    return report, state._keep(digest, report)


def test_analyses_past_the_memory_budget_go_least_recently_used_first(
        analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = use("a")
    size = state.analysis_bytes(first)
    assert size > 0
    # room for two analyses of this size, not three
    monkeypatch.setattr(state, "memory_budget", lambda: 2 * size + size // 2)
    assert use("b")[1] == []
    assert use("a")[1] == []  # used again: now "b" is the least recently used
    index_a = state._service_index("a", first)
    assert use("c")[1] == ["b"]
    assert len(analyses) == 3
    use("a")
    use("c")
    assert len(analyses) == 3  # still cached
    assert use("b")[1] == ["a"]  # analysed again, and "a" goes in turn
    assert len(analyses) == 4
    assert list(state._kept) == ["c", "b"]
    # the views went with it: computed again when next drawn
    assert state._service_index("a", first) is not index_a


def test_no_more_than_kept_analyses_whatever_their_size(analyses: list[str]) -> None:
    for i in range(state.KEPT_ANALYSES):
        assert use(f"d{i}")[1] == []
    assert use("one-more")[1] == ["d0"]
    assert len(state._kept) == state.KEPT_ANALYSES


def test_the_analysis_in_use_is_kept_even_alone_over_the_budget(
        analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_DASHBOARD_MEMORY_MB", "0")
    assert state.memory_budget() == 0
    assert use("a")[1] == []
    assert use("b")[1] == ["a"]
    report, evicted = use("b")
    assert evicted == [] and list(state._kept) == ["b"] and len(analyses) == 2
    assert report.inventory.services


@pytest.mark.parametrize("value", ["", "lots", "１２", "-5"])
def test_a_budget_that_is_not_ascii_digits_is_the_default(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ADVISOR_DASHBOARD_MEMORY_MB", value)
    assert state.memory_budget() == state.DEFAULT_MEMORY_MB * 1024 * 1024


def test_an_analysis_let_go_elsewhere_is_no_longer_counted(analyses: list[str]) -> None:
    use("a")
    st.cache_resource.clear()  # the report of "a" is no longer held by anything
    use("b")
    assert list(state._kept) == ["b"]


def test_an_export_is_kept_for_the_latest_decisions_only(
        analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    report, _ = use("a")
    loaded = state.Loaded(state.InputChoice("upload", "a", "a"), Config(), report, report, None)  # type: ignore[arg-type]
    stamps = iter(["s1", "s1", "s2", "s1"])
    monkeypatch.setattr(state, "decisions_stamp", lambda _loaded: next(stamps))
    renders: list[int] = []

    def render(_report: Report) -> str:
        renders.append(1)
        return f"render {len(renders)}"

    assert state.rendered(loaded, "json", render) == "render 1"
    assert state.rendered(loaded, "json", render) == "render 1"  # the same decisions: cached
    assert state.rendered(loaded, "json", render) == "render 2"  # new decisions
    assert state.rendered(loaded, "json", render) == "render 3"  # the first set went meanwhile


def test_the_warm_up_leaves_its_views_out_of_the_collectors_sight(analyses: list[str], tmp_path: Path) -> None:
    """Streamlit collects garbage after every script run: the views the warm-up made for an analysis
    are frozen with it, so that collection does not walk them again at every click."""
    import gc
    import threading

    from advisor.decisions import DecisionStore

    report, _ = use("warm")
    choice = state.InputChoice("upload", "warm", "warm", uploads=UPLOADS)
    loaded = state.Loaded(choice, Config(), report, report, DecisionStore(tmp_path / "d.sqlite"))
    state._warmed.discard("warm")
    state._warm_up(loaded)
    for thread in threading.enumerate():
        if thread.name.startswith("advisor-warm-warm"):
            thread.join(timeout=60)
    index = state.service_index(loaded)  # the warm-up's, from the cache
    assert not any(o is index for o in gc.get_objects())


def test_a_new_analysis_is_frozen_without_walking_the_heap(analyses: list[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A full collection after every analysis walked every object (0.7 s at 20,000 services) and found
    next to nothing: the report is frozen as it is, and no collection, explicit or automatic, runs on
    the way (the collector is still paused when it is frozen)."""
    import gc

    collections: list[str] = []
    paused: list[bool] = []
    freeze = state._freeze_heap

    def noted_freeze() -> None:
        paused.append(not gc.isenabled())
        freeze()

    monkeypatch.setattr(state, "_freeze_heap", noted_freeze)

    def noted(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(f"generation {info['generation']}")

    gc.callbacks.append(noted)
    try:
        report, evicted = use("a")
    finally:
        gc.callbacks.remove(noted)
    assert analyses == ["analysed"] and evicted == []
    assert collections == [] and paused == [True]
    assert not any(o is report for o in gc.get_objects())  # frozen: out of the collector's sight
    assert use("a")[0] is report and analyses == ["analysed"]  # cached


def test_cycles_among_frozen_objects_are_collected_when_an_analysis_goes(
        analyses: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    class Held:
        me: object

    held = Held()
    held.me = held  # a reference cycle: only the collector frees it
    gone = weakref.ref(held)
    gc.freeze()
    del held
    monkeypatch.setenv("ADVISOR_DASHBOARD_MEMORY_MB", "0")  # one analysis at a time
    assert use("a")[1] == []
    assert gone() is not None  # frozen, and nothing was let go: not collected
    assert use("b")[1] == ["a"]
    assert gone() is None


def test_cycles_among_frozen_objects_are_collected_when_an_analysis_was_let_go_elsewhere(
        analyses: list[str]) -> None:
    import gc
    import weakref

    class Held:
        me: object

    use("a")
    held = Held()
    held.me = held
    gone = weakref.ref(held)
    gc.freeze()
    del held
    st.cache_resource.clear()  # the report of "a" is no longer held by anything (Streamlit's "Clear cache")
    use("b")
    assert list(state._kept) == ["b"]
    assert gone() is None
