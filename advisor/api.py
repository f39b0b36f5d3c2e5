"""The advisor's public API: analyse an inventory (or files, or uploads) into a :class:`Report`.

This is the one composition root. The CLI and the dashboard call these functions and render
what they return; nothing here prints, except the optional progress display on a terminal.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from advisor.cochange import ChangeHistory, change_history
from advisor.config import Config
from advisor.exports import cache_json, inventory_json, keep_json, measured_json
from advisor.forking import CAN_FORK, ForkedParts, Parts
from advisor.loading import load_report
from advisor.model import Report
from inventory.cache import FileCache, source_digest
from inventory.errors import ConfigError, InputError
from inventory.gitlog import read_repositories
from inventory.live import LiveSource, live_accounts, parse_lookback, read_live_sources
from inventory.model import Fragment, Inventory, Skipped
from inventory.options import ReadOptions
from inventory.reading import (
    FileResult,
    file_keys,
    forks_workers,
    import_ahead,
    parts_of,
    read_inputs,
    resolve_results,
    results_digest,
    worker_context,
)
from inventory.sources import InputSet, collect, from_uploads

#: Whole reports kept in the cache, the most recently written or used: each serves only the very
#: same run again (about 115 MB at 20,000 services), while per-file entries serve any run sharing files.
REPORTS_KEPT = 3
#: Run keys kept, each naming the report of what its run read (a few bytes each).
REFERENCES_KEPT = 64

#: Below this many input bytes, parsing stays in this process (worker start-up costs more): where
#: the workers start from a fork server (a process with other threads, the dashboard's server), whose
#: start costs the first pool about a second, and (``FORKED_PARALLEL_THRESHOLD``) where they are
#: forked from this process, as in the CLI, which takes hundredths of a second. Measured with the CLI
#: (2026-11-26 22:10 UTC, three runs each, one worker against two): 2,000 generated services (7.5
#: MB) 2.14-2.36 s against 1.78-2.03 s, 1,000 (3.8 MB) 1.25-1.38 s against 1.15-1.27 s, 500 (1.9 MB)
#: 0.87-1.02 s against 0.99-1.03 s.
PARALLEL_THRESHOLD = 8 * 1024 * 1024
FORKED_PARALLEL_THRESHOLD = 3 * 1024 * 1024


@dataclass
class Stages:
    """Wall time per stage, and an optional progress line per stage on a terminal."""

    timings: dict[str, float] = field(default_factory=dict)
    show: bool = False
    _started: float = field(default_factory=time.perf_counter)

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        t0 = time.perf_counter()
        if self.show:
            print(f"advisor: {name}{' ' + detail if detail else ''} …", file=sys.stderr, flush=True)
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - t0
        if self.show:
            print(f"advisor: {name} done in {self.timings[name]:.2f} s", file=sys.stderr, flush=True)


_PAUSE_LOCK = threading.Lock()
_pauses = 0  # blocks inside without_cycle_collection, in every thread
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one analysis, or one computation over a report.

    The analysis builds millions of small objects that live until the report is done and hold no
    reference cycles; the collector would walk all of them again and again (resolving 5,000
    services took 4.2 s with it and 1.6 s without). The same goes for what the dashboard builds from
    a report of 20,000 services (its JSON export took 3.3-5.0 s with it, 1.4 s without). Reference
    counting still frees everything as usual.

    Blocks may overlap, in one thread or several (the dashboard's sessions and its warm-up): the
    collector stays off until the last of them ends, then is back as it was before the first.
    """
    global _pauses, _resume
    with _PAUSE_LOCK:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()


@contextmanager
def _worker_pool(n: int, inputs: InputSet, *, wait: bool = True) -> Iterator[Executor | None]:
    """The worker processes of one analysis: they hash the files for the cache (see
    :func:`_analyze_inputs`), parse them, then stay for the stability runs (see
    :func:`advisor.analysis.analyze_inventory`). None when the files are read in this process.

    ``wait=False``: on the way out the pool is shut down by a thread, which
    :func:`wait_for_cache_writes` joins: the workers exit (each writing what is left of its
    parse-cache entries, and the kernel freeing its few hundred MB) while this process renders and
    writes the report, rather than before (0.02-0.08 s at 20,000 services)."""
    if n <= 1:
        yield None
        return
    # the workers run without the cyclic collector, as the analysis does (forked ones inherit that)
    pool = ProcessPoolExecutor(max_workers=n, mp_context=worker_context(_WORKER_MODULES), initializer=gc.disable)
    try:
        yield pool
    finally:
        if wait:
            pool.shutdown(wait=True)
        else:
            closer = threading.Thread(target=pool.shutdown, name="advisor-workers-exit")
            with _writes_lock:
                _writes.append(closer)
            closer.start()


#: What the fork server imports once for the workers (see :func:`inventory.reading.worker_context`);
#: forked workers import the last three while this process resolves (see :func:`_analyze_read`).
#: SciPy's sparse arrays are what networkx's PageRank (in the metrics) imports on its first call:
#: 0.1 s that the metrics job, which the analysis waits for, used to spend after the clusters.
_WORKER_MODULES = ("inventory.reading", "advisor.stability", "advisor.metrics", "scipy.sparse")


def _load_analysis() -> None:
    """Import the analysis (networkx and igraph with it: about 0.15 s). Not at this module's import:
    a run's workers are forked first, and hash its files while this process imports (a forked worker
    then needs none of it until the stability runs and the metrics)."""
    import advisor.analysis  # noqa: F401


def _hashing_pool(pool: Executor | None) -> Executor | None:
    """The pool to hash the files in: only while the analysis is still to be imported, the work this
    process does meanwhile. Where it is imported already (the dashboard's server), the files are
    hashed here as before, so that a report found in the cache starts no worker process."""
    return pool if "advisor.analysis" not in sys.modules else None


def _advisor_version() -> str:
    """A digest of the advisor package's source, with the versions of the libraries the analysis and
    its JSON depend on: a cached report made by other code, or with other libraries (an upgraded
    igraph may cluster differently), never matches. The readers' side (Python, PyYAML) is in every
    cache key already (:func:`inventory.cache.code_version`)."""
    return f"{source_digest(Path(__file__).resolve().parent)} {library_versions()}"


#: The libraries whose versions are in every report's key (see :func:`_advisor_version`): the graph
#: algorithms and clustering, what networkx's PageRank runs on, and the JSON's renderer.
KEYED_LIBRARIES = ("networkx", "igraph", "scipy", "numpy", "orjson")


@functools.cache
def library_versions() -> str:
    """``name version`` of each of :data:`KEYED_LIBRARIES` ("not installed" when missing): the version
    of the module this process has loaded, if it has, else the installed distribution's (without
    importing it)."""
    from importlib import metadata

    versions = []
    for name in KEYED_LIBRARIES:
        version = getattr(sys.modules.get(name), "__version__", None)
        if not isinstance(version, str):
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "not installed"
        versions.append(f"{name} {version}")
    return ", ".join(versions)


def _input_bytes(inputs: InputSet) -> int:
    total = 0
    for f in inputs.files:
        if f.data is not None:
            total += len(f.data)
        elif f.path is not None:
            with suppress(OSError):
                total += os.path.getsize(f.path)
    return total


def _default_workers(inputs: InputSet, options: ReadOptions) -> int:
    """Worker processes for an input set: none below :data:`PARALLEL_THRESHOLD` bytes (or
    :data:`FORKED_PARALLEL_THRESHOLD` when they would be forked from this process), or for fewer
    than four files none of which is large enough to be read in parts."""
    threshold = FORKED_PARALLEL_THRESHOLD if forks_workers() else PARALLEL_THRESHOLD
    if _input_bytes(inputs) < threshold or (
            len(inputs.files) < 4 and all(parts_of(f, options) == 1 for f in inputs.files)):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def analyze(inventory: Inventory, config: Config | None = None, *, timings: dict[str, float] | None = None,
            progress: bool = False) -> Report:
    """Analyse an already-read inventory."""
    from advisor.analysis import analyze_inventory

    stages = Stages(timings if timings is not None else {}, show=progress)
    with without_cycle_collection():
        return analyze_inventory(inventory, config or Config(), stages=stages)


def _history(inventory: Inventory, repositories: Sequence[str | os.PathLike[str]], config: Config
             ) -> tuple[Inventory, ChangeHistory]:
    settings = config.co_change
    commits, skipped = read_repositories(repositories, max_commits=settings.max_commits, since=settings.since or None)
    history = change_history(commits, inventory.services, settings)
    if skipped:
        inventory = replace(inventory, skipped=inventory.skipped + tuple(skipped))
    return inventory, history


def analyze_inputs(inputs: InputSet, config: Config | None = None, *, workers: int | None = None,
                   timings: dict[str, float] | None = None, progress: bool = False,
                   git: Sequence[str | os.PathLike[str]] | None = None,
                   live: Sequence[LiveSource] | None = None, cache: FileCache | None = None,
                   wait: bool = True, keep: list[object] | None = None) -> Report:
    """Read an input set (and live sources, and git history) and analyse it.

    ``wait=False``: the report's entry in ``cache`` may still be being written, by a thread, when this
    returns (at 20,000 services, 116 MB: a quarter of a second the caller can spend writing its own
    output meanwhile), and the worker processes still exiting; :func:`wait_for_cache_writes`
    returns once both are done.

    ``keep``: a list the caller holds until it ends, for a caller that ends without freeing its heap
    (the command: ``os._exit``). What the run no longer needs on its way (the per-file parse results,
    once resolved) goes there instead of being freed object by object on the run's time: 0.13 s at
    20,000 services, for about 30 MB more at the peak."""
    wait_for_cache_writes()  # the entries of an earlier analysis first: no thread runs while workers start
    with without_cycle_collection():
        return _analyze_inputs(inputs, config or Config(), workers=workers, timings=timings, progress=progress,
                               git=git, live=live, cache=cache, wait=wait, keep=keep)


_writes: list[threading.Thread] = []
_writes_lock = threading.Lock()


def wait_for_cache_writes() -> None:
    """Return once every report cache entry written in the background (``wait=False``) is on disk,
    and the workers of such a run have exited (their parse-cache entries written too)."""
    while True:
        with _writes_lock:
            if not _writes:
                return
            writer = _writes.pop()
        writer.join()


def _store_report(cache: FileCache, run_key: str, read_key: str, data: bytes | None) -> None:
    """The report's JSON under ``read_key`` (unless ``data`` is None: it is there already), and
    ``read_key`` under ``run_key``: the next run over the same files finds the report before reading
    them, a run over files changed in ways nothing reads finds it after reading them."""
    if data is not None:
        cache.put_bytes(read_key, data, suffix=".json")
        cache.prune(".json", keep=REPORTS_KEPT)
    cache.put_bytes(run_key, read_key.encode("ascii"), suffix=".ref")
    cache.prune(".ref", keep=REFERENCES_KEPT)


def _analyze_inputs(inputs: InputSet, config: Config, *, workers: int | None, timings: dict[str, float] | None,
                    progress: bool, git: Sequence[str | os.PathLike[str]] | None,
                    live: Sequence[LiveSource] | None, cache: FileCache | None, wait: bool,
                    keep: list[object] | None) -> Report:
    stages = Stages(timings if timings is not None else {}, show=progress)
    options = config.read_options()
    n = workers if workers is not None else _default_workers(inputs, options)
    sources = list(live) if live is not None else config.live_sources()
    repositories: list[str | os.PathLike[str]] = list(git) if git else list(config.co_change.repositories)
    keys: list[str | None] | None = None
    run_key: str | None = None
    ahead = _Ahead()
    try:
        # the workers first: they hash the files for the cache while this process imports the analysis
        with _worker_pool(n, inputs, wait=wait) as pool:
            if cache is not None and cache.enabled:
                with stages.stage("digest", f"{len(inputs.files):,} files"):
                    hashing = _hashing_pool(pool)
                    keys = file_keys(inputs, options, cache, pool=hashing, workers=n,
                                     meanwhile=_load_analysis if hashing is not None else None)
                if not sources and not repositories and None not in keys:
                    # nothing but files: a run over the very same files and configuration gives the same report
                    run_key = _report_key(cache, "report", config, inputs, [k or "" for k in keys])
                    previous = _cached_report(cache, run_key)
                    if previous is not None:
                        for key in filter(None, keys):  # its files count as used too: the last to go when trimming
                            cache.touch(key)
                        if progress:
                            print("advisor: nothing changed since the last run; its report is reused "
                                  f"(cache {cache.folder})", file=sys.stderr)
                        return previous
            _load_analysis()
            report, read_key, reused, changed = _analyze_read(
                pool, inputs, config, options, stages, n, sources, repositories, cache, keys, progress,
                ahead=ahead if run_key is not None else None, keep=keep)
        if changed:  # the report is of what was read, which is not what the run key stands for
            if progress:
                print("advisor: files changed while they were read; this run's report is not kept for the next",
                      file=sys.stderr)
        elif run_key is not None and cache is not None:
            read_key = read_key or run_key  # something read had no digest: the report goes by its run
            if reused:
                _store_report(cache, run_key, read_key, None)  # this run's files name that report too
                return report
            with stages.stage("store"):
                # the entry is the report's JSON, which the caller will most likely write anyway: it is
                # kept with the report (render_json_bytes returns it again), and it is data, not a pickle;
                # a report orjson cannot render (hostile input) is not stored, and the run goes on
                data = cache_json(report, *ahead.results())
                if data is not None and wait:
                    _store_report(cache, run_key, read_key, data)
                elif data is not None:  # the kernel copies the bytes while this thread goes on
                    writer = threading.Thread(target=_store_report, args=(cache, run_key, read_key, data),
                                              name="advisor-report-cache")
                    with _writes_lock:
                        _writes.append(writer)
                    writer.start()
    finally:
        ahead.cancel()  # nothing left to do after results(); else the children are stopped and reaped
    return report


#: The nice value of the child that renders the parts known before the proposals (see
#: :class:`_Ahead`): it shares the second core with the stability runs (at nice 5 in a worker) while
#: this process works out the proposals, whose time is the run's; its answer is wanted only after
#: them. At 20,000 services, five runs each: proposals 0.74 s instead of 0.83 s, the store as long.
MEASURED_NICE = 5


class _Ahead:
    """The report's JSON rendered in forked children while this process analyses (see
    :mod:`advisor.forking`), when there will be JSON to render: the inventory's parts (about half
    of it) while the coupling graph is built, and the parts known once the metrics are (services,
    clusters, coupling) while the proposals are worked out. In each of those stages this process
    works alone. The second child is forked only once the first has exited, so that at most one
    holds pages of its own at a time; if the first is still at work (a busy machine), the store
    renders those parts itself."""

    def __init__(self) -> None:
        self.inventory: ForkedParts | None = None
        self.measured: ForkedParts | None = None

    def start_inventory(self, inventory: Inventory) -> None:
        if CAN_FORK:
            self.inventory = ForkedParts(inventory_json, inventory)

    def start_measured(self, report: Report) -> None:
        if CAN_FORK and (self.inventory is None or self.inventory.finished()):
            self.measured = ForkedParts(measured_json, report, nice=MEASURED_NICE)

    def results(self) -> tuple[Parts | None, Parts | None]:
        return (self.inventory.result() if self.inventory is not None else None,
                self.measured.result() if self.measured is not None else None)

    def cancel(self) -> None:
        for child in (self.inventory, self.measured):
            if child is not None:
                child.cancel()


def _cached_report(cache: FileCache, run_key: str) -> Report | None:
    """The report of an earlier run over the same files and configuration, or None (none, or
    damaged)."""
    ref = cache.get_bytes(run_key, suffix=".ref")
    if ref is None or not _KEY.fullmatch(ref):
        return None
    report = _report_of_read(cache, ref.decode("ascii"))
    if report is not None:
        cache.touch(run_key, suffix=".ref")
    return report


_KEY = re.compile(rb"[0-9a-f]{64}")


def _report_of_read(cache: FileCache, read_key: str, data: bytes | None = None) -> Report | None:
    """The report stored under ``read_key`` (see :func:`_read_key`; ``data``: its bytes, when read
    already), or None (none, or damaged)."""
    if data is None:
        data = cache.get_bytes(read_key, suffix=".json")
    if data is None:
        return None
    try:
        report = load_report(data)
    except InputError:
        return None
    keep_json(report, data)  # a report read back renders these very bytes
    cache.touch(read_key, suffix=".json")  # the latest used stays among the reports kept
    return report


def _report_key(cache: FileCache, kind: str, config: Config, inputs: InputSet, files: Sequence[str]) -> str:
    """A key of a report: everything its analysis depends on besides the files (the code, the
    configuration, what was skipped before reading, the ``.env`` files found), then ``files``, what
    stands for them (the run key: their cache keys; the read key: what was read from them)."""
    return cache.key([kind, _advisor_version(), repr(config), repr(inputs.skipped),
                      repr(sorted(inputs.dotenv_locations.items())), *files])


def _read_key(cache: FileCache, config: Config, inputs: InputSet, results: Sequence[FileResult]) -> str | None:
    """The key of a report by what its run read, whatever bytes the files held; None when something
    read has no digest."""
    read = results_digest(results)
    return None if read is None else _report_key(cache, "report of what was read", config, inputs, [read])


def _analyze_read(pool: Executor | None, inputs: InputSet, config: Config, options: ReadOptions, stages: Stages,
                  n: int, sources: list[LiveSource], repositories: list[str | os.PathLike[str]],
                  cache: FileCache | None, keys: list[str | None] | None, progress: bool, *,
                  ahead: _Ahead | None, keep: list[object] | None = None) -> tuple[Report, str | None, bool, bool]:
    """The report, the key of what was read (see :func:`_read_key`), whether the report is one an
    earlier run stored under that key, and whether a file changed between its digest and the end of
    its reading (:attr:`~inventory.reading.FileResult.changed`). With ``ahead`` (and workers), parts
    of its JSON are rendered in forked children while this process analyses; only then is a report
    looked for by what was read (``ahead`` is given when the run's report is stored)."""
    with stages.stage("read", f"{len(inputs.files):,} files with {n} worker(s)"):
        used: set[str] = set()
        results = read_inputs(inputs, options, workers=n, cache=cache, keys=keys, pool=pool, used_keys=used)
    if cache is not None and keys is not None and any(
            k is not None and not r.cached for r, k in zip(results, keys, strict=True)):
        cache.trim(keep=used)  # new entries were written: the least recently used others may go
    changed = any(r.changed for r in results)
    if cache is not None and progress:
        unchanged = sum(1 for r in results if r.cached)
        print(f"advisor: {unchanged:,} of {len(results):,} files unchanged since the last run (cache {cache.folder})",
              file=sys.stderr)
    read_key = (_read_key(cache, config, inputs, results) if ahead is not None and cache is not None and not changed
                else None)
    stored = cache.get_bytes(read_key, suffix=".json") if read_key is not None and cache is not None else None
    if stored is not None and read_key is not None and cache is not None:
        # files changed, but in nothing any reader takes from them: the report of what was read is
        # built without the parse results beside it (a few hundred MB at 20,000 services)
        parsed = any(not r.cached for r in results)
        del results
        previous = _report_of_read(cache, read_key, stored)
        del stored
        if previous is not None:
            if progress:
                why = "the files changed, but not in anything the advisor reads from them; " if parsed else ""
                print(f"advisor: {why}the report of an earlier run that read the same is reused (cache {cache.folder})",
                      file=sys.stderr)
            return previous, read_key, True, False
        # a damaged entry: the files again, from the parse cache
        results = read_inputs(inputs, options, workers=n, cache=cache, keys=keys, pool=pool)
        changed = any(r.changed for r in results)
    warming: list[Future[None]] = []
    if pool is not None:  # the workers sit out resolving: they import what their next jobs need meanwhile
        for _ in range(n):
            with suppress(Exception):
                warming.append(pool.submit(import_ahead, _WORKER_MODULES))

    def warm() -> bool:
        """Whether the workers are through those imports (a fifth of a second): on a small inventory
        the analysis gets to its jobs for them sooner, and does them itself rather than wait."""
        return all(f.done() for f in warming)
    live_fragments: list[Fragment] = []
    failed: list[Skipped] = []
    if sources:
        with stages.stage("live", ", ".join(s.kind for s in sources)):
            live_fragments, failed = read_live_sources(sources, options)
    from advisor.analysis import analyze_inventory

    with stages.stage("resolve", f"{sum(len(r.fragments) for r in results):,} fragments"):
        inventory = resolve_results(inputs, results, options, extra_fragments=live_fragments, extra_skipped=failed,
                                    extra_accounts=live_accounts(live_fragments, failed))
    if keep is not None:
        keep.append(results)  # not freed on the run's time (see analyze_inputs)
    del results  # the per-file parse results: the inventory holds what is needed from here on
    history = None
    if repositories:
        with stages.stage("history", f"{len(repositories)} path(s)"):
            inventory, history = _history(inventory, repositories, config)
    # From here this process works alone until the clusters are known (then the workers take the
    # stability runs and the metrics), and again while the proposals are worked out: forked children
    # render parts of the JSON meanwhile, when there will be JSON to render and workers to share with.
    if ahead is None or pool is None or changed:  # no JSON to render ahead when the report is not stored
        return (analyze_inventory(inventory, config, stages=stages, history=history, executor=pool,
                                  executor_ready=warm), read_key, False, changed)
    ahead.start_inventory(inventory)
    return (analyze_inventory(inventory, config, stages=stages, history=history, executor=pool, executor_ready=warm,
                              on_measured=ahead.start_measured), read_key, False, changed)


def analyze_paths(paths: Sequence[str | os.PathLike[str]], config: Config | None = None, *,
                  workers: int | None = None, timings: dict[str, float] | None = None,
                  progress: bool = False, git: Sequence[str | os.PathLike[str]] | None = None,
                  live: Sequence[LiveSource] | None = None, cache: FileCache | None = None,
                  wait: bool = True, keep: list[object] | None = None) -> Report:
    """Read files, folders (recursively) and ``.zip`` archives, and analyse them.

    ``git`` names local repositories (or folders of them) whose history gives change coupling;
    ``live`` names live sources (default: those in ``config.live``); ``wait`` and ``keep`` as for
    :func:`analyze_inputs`.
    """
    config = config or Config()
    return analyze_inputs(collect(paths, config.limits), config, workers=workers, timings=timings, progress=progress,
                          git=git, live=live, cache=cache, wait=wait, keep=keep)


def analyze_uploads(uploads: Iterable[tuple[str, bytes]], config: Config | None = None, *,
                    timings: dict[str, float] | None = None, live: Sequence[LiveSource] | None = None,
                    cache: FileCache | None = None, workers: int | None = None) -> Report:
    """Analyse in-memory files (name, bytes), as the dashboard receives them; ``.zip`` allowed.

    ``live`` adds live sources (default: those in ``config.live``); ``cache`` as for
    :func:`analyze_paths` (entries are keyed on each file's name and bytes); ``workers`` as for
    :func:`analyze_inputs` (by default, worker processes from the same size as for files on disk).
    """
    config = config or Config()
    return analyze_inputs(from_uploads(uploads, config.limits), config, workers=workers, timings=timings, live=live,
                          cache=cache)


def parse_cache() -> FileCache | None:
    """The per-user parse cache (see :mod:`inventory.cache`), or None when ``$ADVISOR_NO_CACHE`` is set."""
    return None if os.environ.get("ADVISOR_NO_CACHE") else FileCache()


def live_source(kind: str, url: str, lookback: str = "7d") -> LiveSource:
    """A live source from what a person typed: ``kind`` jaeger/backstage/prometheus, a base URL and
    a lookback such as ``7d`` (ConfigError when unusable)."""
    if kind not in ("jaeger", "backstage", "prometheus"):
        raise ConfigError(f"unknown live source '{kind}'; use jaeger, backstage or prometheus")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"the {kind} address must start with http:// or https:// (got {url!r})")
    return LiveSource(kind, url.strip(), parse_lookback(lookback))  # type: ignore[arg-type]
