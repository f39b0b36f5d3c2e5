"""Work in a forked child gives the answer the same function gives here, and a child that fails or
is killed costs nothing but the time to do the work here instead."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.context import BaseContext
from pathlib import Path

import pytest

from advisor import clustering, forking
from advisor.api import analyze_paths
from advisor.config import Config
from advisor.exports import render_json_bytes
from advisor.forking import Forked, ForkedParts
from bench.generate import generate
from inventory.cache import FileCache

needs_fork = pytest.mark.skipif(not forking.CAN_FORK, reason="no fork and memfd_create here (Linux only)")


def _pid_and(value: object) -> tuple[int, object]:
    return os.getpid(), value


@needs_fork
def test_the_answer_comes_from_a_child() -> None:
    big = {"x" * 10: list(range(200_000))}  # more than a pipe would hold
    pid, value = Forked(_pid_and, big).result()
    assert pid != os.getpid()
    assert value == big


def _parts() -> dict[str, bytes]:
    return {"empty": b"", "small": b'{"a":1}', "large": bytes(range(256)) * 40_000}  # 10 MB


@needs_fork
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="lists descriptors from /proc")
def test_an_answer_read_from_the_memory_file_leaves_nothing_open() -> None:
    """The answer is unpickled from the memory file's pages (mapped, not read into bytes first): the
    bytes come back whole, and neither the file nor its mapping stays open."""
    before = set(os.listdir("/proc/self/fd"))
    maps_before = Path("/proc/self/maps").read_text().count("sprawl-advisor-result")
    assert Forked(_parts).result() == _parts()
    assert set(os.listdir("/proc/self/fd")) == before
    assert Path("/proc/self/maps").read_text().count("sprawl-advisor-result") == maps_before


def _parts_from(pid: int) -> dict[str, bytes]:
    return {**_parts(), "who": b"child" if os.getpid() != pid else b"here"}


def _nothing() -> None:
    return None


@needs_fork
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="lists descriptors from /proc")
def test_named_parts_come_back_as_views_of_the_childs_memory_file() -> None:
    """:class:`ForkedParts`: the same bytes, in the same order, without a copy; the mapping (and
    the descriptor the mapping keeps) goes with the last view of it."""
    before = set(os.listdir("/proc/self/fd"))
    maps_before = Path("/proc/self/maps").read_text().count("sprawl-advisor-result")
    parts = ForkedParts(_parts_from, os.getpid()).result()
    assert parts is not None
    assert list(parts) == [*_parts(), "who"] and {k: bytes(v) for k, v in parts.items()} == _parts_from(-1) | {
        "who": b"child"}
    assert all(isinstance(v, memoryview) for v in parts.values())
    del parts
    assert set(os.listdir("/proc/self/fd")) == before
    assert Path("/proc/self/maps").read_text().count("sprawl-advisor-result") == maps_before
    assert ForkedParts(_nothing).result() is None


@needs_fork
def test_named_parts_a_child_did_not_finish_writing_are_worked_out_here(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ForkedParts._encoded

    def cut(self: ForkedParts, answer: object) -> object:
        header, *values = list(real(self, answer))
        yield header
        yield values[-1][:10]  # less than the lengths announce: a file cut short

    monkeypatch.setattr(ForkedParts, "_encoded", cut)
    parts = ForkedParts(_parts_from, os.getpid()).result()
    assert parts is not None and parts["who"] == b"here"


def _nice_and_pid() -> tuple[int, int]:
    return os.getpriority(os.PRIO_PROCESS, 0), os.getpid()


@needs_fork
def test_a_child_runs_at_the_nice_value_asked_for_and_the_parent_as_before() -> None:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    nice, pid = Forked(_nice_and_pid, nice=7).result()
    assert pid != os.getpid() and nice == min(19, before + 7)
    assert Forked(_nice_and_pid).result()[0] == before == os.getpriority(os.PRIO_PROCESS, 0)


def _signals_and_descriptors() -> tuple[int, bool, set[int]]:
    descriptors = {int(fd) for fd in os.listdir("/proc/self/fd")}
    return os.getpid(), signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, descriptors


@needs_fork
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="lists descriptors from /proc")
def test_a_child_forked_from_a_server_thread_keeps_neither_its_handlers_nor_its_sockets() -> None:
    """As in the dashboard's server: a thread forks while the main thread has its own SIGTERM handler
    and a listening socket. The child stops on SIGTERM as any process does, and holds no descriptor of
    the parent's but the standard streams and its answer's."""
    import socket

    answers: list[tuple[int, bool, set[int]]] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    listening = socket.create_server(("127.0.0.1", 0))
    held = listening.fileno()
    try:
        thread = threading.Thread(target=lambda: answers.append(Forked(_signals_and_descriptors).result()))
        thread.start()
        thread.join(timeout=60)
    finally:
        listening.close()
        signal.signal(signal.SIGTERM, previous)
    [(pid, default_term, descriptors)] = answers
    assert pid != os.getpid()  # the child's answer, not worked out here
    assert default_term
    assert held not in descriptors
    assert len(descriptors - {0, 1, 2}) <= 2  # its answer's, and the listing's own


def _fails_in_a_child(parent: int) -> str:
    if os.getpid() != parent:
        os._exit(3)  # as a child killed for memory would end
    return "done here"


def _slow(parent: int) -> str:
    if os.getpid() != parent:
        time.sleep(60)
    return "done here"


@needs_fork
def test_a_failed_or_killed_child_means_the_work_is_done_here() -> None:
    assert Forked(_fails_in_a_child, os.getpid()).result() == "done here"
    slow = Forked(_slow, os.getpid())
    assert slow._pid is not None
    os.kill(slow._pid, signal.SIGKILL)
    assert slow.result() == "done here"


@needs_fork
def test_a_child_that_does_not_finish_in_time_is_killed_and_the_work_done_here() -> None:
    """A child stuck for good (on a lock another thread held at the fork, say) costs the timeout."""
    stuck = Forked(_slow, os.getpid())
    pid = stuck._pid
    assert pid is not None
    started = time.monotonic()
    assert stuck.result(timeout=0.3) == "done here"
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # killed and reaped


@needs_fork
def test_a_child_that_finishes_within_the_timeout_gives_its_answer() -> None:
    pid, value = Forked(_pid_and, "x").result(timeout=30)
    assert pid != os.getpid() and value == "x"


@needs_fork
def test_whether_a_child_has_finished() -> None:
    slow = Forked(_slow, os.getpid())
    assert not slow.finished()
    slow.cancel()
    quick = Forked(_pid_and, 1)
    deadline = time.monotonic() + 30
    while not quick.finished() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert quick.finished()
    assert quick.result()[1] == 1  # not reaped by finished(): the answer is still there


def test_the_second_child_waits_for_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most one child holds pages of its own at a time: while the inventory's is still at work,
    the parts known before the proposals are left to the store."""
    from advisor.api import MEASURED_NICE, _Ahead

    started: list[str] = []
    nices: list[int] = []
    monkeypatch.setattr(forking, "CAN_FORK", True)
    monkeypatch.setattr("advisor.api.CAN_FORK", True)

    class Child:
        def __init__(self, fn: Callable[..., object], *args: object, nice: int = 0) -> None:
            started.append(getattr(fn, "__name__", ""))
            nices.append(nice)
            self.done = False

        def finished(self) -> bool:
            return self.done

    monkeypatch.setattr("advisor.api.ForkedParts", Child)
    ahead = _Ahead()
    ahead.start_inventory(object())  # type: ignore[arg-type]
    ahead.start_measured(object())  # type: ignore[arg-type]
    assert started == ["inventory_json"] and ahead.measured is None
    ahead.inventory.done = True  # type: ignore[union-attr]
    ahead.start_measured(object())  # type: ignore[arg-type]
    assert started == ["inventory_json", "measured_json"]
    assert nices == [0, MEASURED_NICE]  # the second shares its core with the stability runs, wanted later


@needs_fork
def test_a_cancelled_child_is_gone() -> None:
    slow = Forked(_slow, os.getpid())
    pid = slow._pid
    assert pid is not None
    slow.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind


def test_without_fork_the_work_is_done_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forking, "CAN_FORK", False)
    pid, value = Forked(_pid_and, 7).result()
    assert (pid, value) == (os.getpid(), 7)


def test_the_json_rendered_in_children_is_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    truth = generate(tmp_path / "generated", services=200, seed=5)
    folder = tmp_path / "generated" / truth.inventory
    started: list[object] = []
    original = Forked.__init__

    def spy(self: Forked[object], fn: object, *args: object, **kwargs: object) -> None:
        started.append(fn)
        original(self, fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Forked, "__init__", spy)
    # the first child has always finished when the second is due (a busy machine could delay it)
    monkeypatch.setattr(Forked, "finished", lambda self: self._pid is None or forking._exited_within(self._pid, 30))
    # workers and a cache entry to write: the inventory's JSON, then the parts known before the
    # proposals, are rendered in children
    ahead = analyze_paths([folder], Config(), workers=2, cache=FileCache(tmp_path / "cache"))
    assert [getattr(fn, "__name__", "") for fn in started] == (
        ["inventory_json", "measured_json"] if forking.CAN_FORK else [])
    assert ahead.proposals
    alone = analyze_paths([folder], Config(), workers=1)
    assert render_json_bytes(ahead) == render_json_bytes(alone)
    assert render_json_bytes(ahead, pretty=True) == render_json_bytes(alone, pretty=True)


def test_inventory_parts_render_the_same_json(tmp_path: Path) -> None:
    from dataclasses import replace

    from advisor.exports import cache_json, inventory_json, measured_json

    report = analyze_paths([Path(__file__).resolve().parents[1] / "fixtures" / "exports"], Config())
    assert report.proposals
    rendered = render_json_bytes(report)  # before cache_json keeps its bytes for the report
    parts = inventory_json(report.inventory)
    assert parts is not None and set(parts) >= {"dependencies", "resources", "unresolved", "inputs"}
    assert cache_json(report, parts) == rendered
    # the parts known before the proposals, from the report as it was then
    measured = measured_json(replace(report, proposals=(), settings={}))
    assert measured is not None and set(measured) == {"services", "clusters", "coupling", "metrics"}
    assert cache_json(report, parts, measured) == rendered
    assert cache_json(report, None, measured) == rendered
    # a value beyond orjson's range: no parts, and the report still renders (the slow way)
    first, *rest = report.inventory.inputs
    huge = replace(report, inventory=replace(report.inventory, inputs=(replace(first, documents=2**70), *rest)))
    assert inventory_json(huge.inventory) is None
    assert b"1180591620717411303424" in render_json_bytes(huge)


def _seeded_in_child(parent: int) -> bool:
    with clustering.seeded(7):
        return os.getpid() != parent


@needs_fork
def test_a_child_forked_while_a_thread_holds_the_rng_lock_does_not_wait_for_it() -> None:
    """igraph's generator is shared by the threads of one process behind a lock; a child forked while
    another thread held it (a dashboard session laying out a graph) starts with a lock of its own."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with clustering.seeded(1):
            held.set()
            release.wait(20)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(5)
        # a child stuck on the lock would be killed after 5 s, and the work done here
        assert Forked(_seeded_in_child, os.getpid()).result(timeout=5)
    finally:
        release.set()
        holder.join()


def test_an_analysis_among_other_threads_starts_its_workers_from_a_fork_server(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In a process running other threads (the dashboard's server) the workers are not forked from it
    (a worker forked while a thread held some lock could wait for ever) but from a fork server; the
    report is the same."""
    import advisor.api as api

    example = Path(__file__).resolve().parents[2] / "examples" / "inventory"
    started: list[str] = []

    class Pool(api.ProcessPoolExecutor):
        def __init__(self, max_workers: int, mp_context: BaseContext | None, initializer: Callable[[], object]
                     ) -> None:
            started.append(type(mp_context).__name__)
            super().__init__(max_workers=max_workers, mp_context=mp_context, initializer=initializer)

    monkeypatch.setattr(api, "ProcessPoolExecutor", Pool)
    here = render_json_bytes(analyze_paths([example], workers=1))
    seen: dict[str, bytes] = {}
    worker = threading.Thread(target=lambda: seen.update(report=render_json_bytes(analyze_paths([example], workers=2))))
    worker.start()
    worker.join(300)
    assert started == ["ForkServerContext"]
    assert seen["report"] == here


def test_preload_imports_the_modules_a_worker_will_need() -> None:
    import subprocess
    import sys

    from advisor.api import _WORKER_MODULES

    code = ("import sys; from inventory.reading import import_ahead; import_ahead(sys.argv[1:]); "
            "assert all(m in sys.modules for m in sys.argv[1:]) and 'networkx' in sys.modules")
    assert "networkx" not in _WORKER_MODULES
    subprocess.run([sys.executable, "-c", code, *_WORKER_MODULES], check=True, timeout=120)


def test_the_api_imports_no_analysis_before_its_workers_are_forked() -> None:
    """A run's workers are forked as it starts and hash the files while the command imports the
    analysis (see advisor.api._load_analysis): that only pays while importing the API and the CLI
    leaves networkx and igraph out."""
    import subprocess
    import sys

    code = ("import sys, advisor.cli, advisor.api; "
            "assert not {'networkx', 'igraph', 'advisor.analysis'} & set(sys.modules), sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
