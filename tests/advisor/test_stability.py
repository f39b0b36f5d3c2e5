"""Stability: how often a proposal's members stay together across seeds and resolutions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from advisor.stability import co_assignment


def two_cliques_and_a_bridge() -> nx.Graph:
    G = nx.Graph()
    for group in (["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"]):
        for i, u in enumerate(group):
            for v in group[i + 1:]:
                G.add_edge(u, v, weight=5.0)
    G.add_edge("a1", "b1", weight=0.5)
    return G


def test_a_tight_group_is_stable_and_a_group_across_a_weak_bridge_is_not() -> None:
    G = two_cliques_and_a_bridge()
    tight, across = co_assignment(G, [("a1", "a2", "a3", "a4"), ("a1", "b1")], resolution=1.0)
    assert tight == 1.0
    assert across == 0.0


def test_the_figures_are_deterministic_and_count_every_run() -> None:
    G = nx.karate_club_graph()
    G = nx.relabel_nodes(G, {n: f"s{n:02d}" for n in G})
    nx.set_edge_attributes(G, 1.0, "weight")
    groups = [("s00", "s01"), ("s00", "s33"), ("s32", "s33")]
    first = co_assignment(G, groups, resolution=1.0, seeds=range(5), multipliers=(0.5, 1.0, 2.0))
    assert first == co_assignment(G, groups, resolution=1.0, seeds=range(5), multipliers=(0.5, 1.0, 2.0))
    assert all(abs(f * 15 - round(f * 15)) < 1e-3 for f in first)  # a fraction of the 15 runs
    assert first[0] > first[1]  # neighbours in one faction stay together more often than the two leaders


def test_a_member_missing_from_the_graph_is_never_together() -> None:
    assert co_assignment(two_cliques_and_a_bridge(), [("a1", "ghost")], resolution=1.0) == [0.0]


def test_analysis_with_worker_processes_gives_the_same_report_as_without() -> None:
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    from advisor.analysis import analyze_inventory
    from advisor.config import Config
    from advisor.exports import render_json
    from inventory.reading import read_paths

    inventory = read_paths([Path(__file__).resolve().parents[2] / "examples" / "inventory"])
    here = analyze_inventory(inventory, Config())
    with ProcessPoolExecutor(max_workers=1) as pool:
        there = analyze_inventory(inventory, Config(), executor=pool)
    assert [p.stability for p in here.proposals] and all(p.stability is not None for p in here.proposals)
    assert [(p.members, p.stability) for p in there.proposals] == [(p.members, p.stability) for p in here.proposals]
    assert render_json(there) == render_json(here)  # the metrics were measured in the worker too


def test_an_analysis_whose_workers_fail_still_completes_with_the_same_report() -> None:
    from concurrent.futures import Executor, Future
    from pathlib import Path

    from advisor.analysis import analyze_inventory
    from advisor.config import Config
    from advisor.exports import render_json
    from inventory.reading import read_paths

    class Failing(Executor):
        """Takes every job and fails it, as a pool whose worker was killed would."""

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_exception(RuntimeError("worker killed"))
            return future

    class Broken(Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            raise RuntimeError("a broken pool takes no job")

    inventory = read_paths([Path(__file__).resolve().parents[2] / "examples" / "inventory"])
    expected = render_json(analyze_inventory(inventory, Config()))
    assert render_json(analyze_inventory(inventory, Config(), executor=Failing())) == expected
    assert render_json(analyze_inventory(inventory, Config(), executor=Broken())) == expected


@pytest.mark.parametrize("ready", [True, False])
def test_jobs_go_to_the_workers_only_once_they_are_ready(ready: bool) -> None:
    """Workers still importing what the jobs need (a small inventory resolves in less time than that
    takes) are not waited for: the analysis does the jobs itself, with the same report."""
    from concurrent.futures import Executor, Future
    from pathlib import Path

    from advisor.analysis import STABILITY_NICE, analyze_inventory
    from advisor.config import Config
    from advisor.exports import render_json
    from inventory.reading import read_paths

    class Recording(Executor):
        def __init__(self) -> None:
            self.jobs: list[str] = []
            self.nice: list[int] = []

        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            # the analysis's jobs go through inventory.reading.worker_job, which counts the worker busy
            self.jobs.append(args[0].__name__ if fn.__name__ == "worker_job" else fn.__name__)
            self.nice.append(kwargs.get("nice", 0))
            future: Future[Any] = Future()
            future.set_result(fn(*args, **kwargs))
            return future

    inventory = read_paths([Path(__file__).resolve().parents[2] / "examples" / "inventory"])
    expected = render_json(analyze_inventory(inventory, Config()))
    executor = Recording()
    report = analyze_inventory(inventory, Config(), executor=executor, executor_ready=lambda: ready)
    assert executor.jobs == (["memberships", "dependency_metrics"] if ready else [])
    # the stability runs, wanted last, yield the cores to the metrics and the candidate groups
    assert executor.nice == ([STABILITY_NICE, 0] if ready else [])
    assert render_json(report) == expected


def test_an_analysis_whose_reading_worker_dies_still_completes_with_the_same_report(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    from advisor.api import analyze_paths
    from advisor.config import Config
    from advisor.exports import render_json
    from inventory import reading
    from inventory.cache import FileCache

    example = Path(__file__).resolve().parents[2] / "examples" / "inventory"
    expected = render_json(analyze_paths([example], Config(), workers=1))
    parent, original = os.getpid(), reading.read_file

    def dies(item: Any, ctx: Any, options: Any) -> Any:
        if os.getpid() != parent:
            os._exit(9)  # every worker dies on its first file: the pool is broken for the analysis too
        return original(item, ctx, options)

    monkeypatch.setattr(reading, "read_file", dies)
    report = analyze_paths([example], Config(), workers=2, cache=FileCache(tmp_path / "cache"))
    assert render_json(report) == expected
