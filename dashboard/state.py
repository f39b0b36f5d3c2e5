"""What the dashboard is looking at, and every cached computation the pages draw from.

* The **input** is one :class:`InputChoice`: uploaded files, the bundled example, or the paths the
  ``advisor dashboard PATH...`` command preloaded (``ADVISOR_PRELOAD``). It lives in
  ``st.session_state`` and carries a digest: sha256 of the uploaded bytes (or of the preloaded files'
  names, sizes and modification times) plus the configuration.
* The **analysis** is cached on that digest (``st.cache_resource``: a report is never mutated), and so
  is everything derived from it (coupled pairs, groups, layouts, tables, exports), so a widget change
  never re-reads or re-analyses anything and a layout never moves between reruns. The server keeps at
  most :data:`KEPT_ANALYSES` analyses within an estimated memory budget (``$ADVISOR_DASHBOARD_MEMORY_MB``,
  see :func:`_keep`), the least recently used going first with their views. Across restarts
  the per-user parse cache of the CLI serves (``$XDG_CACHE_HOME/sprawl-advisor``, off with
  ``$ADVISOR_NO_CACHE``): unchanged files are not parsed again, and an unchanged inventory's report is
  read back.
* **Decisions** come from the :class:`~advisor.decisions.DecisionStore` on every run (a small SQLite
  read) and are applied to the cached report; the store is ``$ADVISOR_STORE``, else ``store:`` of the
  configuration, else ``.advisor/decisions.sqlite``.
* The **selection** (services picked in the table or the graph) is kept per input digest, so every
  page can follow it.

Pages call :func:`require_loaded` and only describe UI; unusable input and failures end the page with
one sentence saying what to do (``st.error`` + ``st.stop``), never a traceback.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx

from advisor.analysis import what_if as advisor_what_if
from advisor.api import analyze_paths, analyze_uploads, live_source, parse_cache, without_cycle_collection
from advisor.config import Config, ConfigError, load_config
from advisor.decisions import DEFAULT_STORE, DecisionStore, apply_decisions
from advisor.errors import AdvisorError
from advisor.model import Proposal, Report
from dashboard import views
from dashboard.text import md

logger = logging.getLogger(__name__)
T = TypeVar("T")

INPUT_KEY = "advisor_input"
SELECTION_KEY = "advisor_selection"
FLASH_KEY = "advisor_flash"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE_DIR = REPO / "examples" / "inventory"
EXAMPLE_CONFIG = REPO / "examples" / "advisor.yaml"


@dataclass(frozen=True)
class InputChoice:
    """One set of inputs to analyse. ``digest`` identifies inputs and configuration together."""

    kind: str
    label: str
    digest: str
    uploads: tuple[tuple[str, bytes], ...] = ()
    paths: tuple[str, ...] = ()
    config_path: str | None = None
    live: tuple[tuple[str, str, str], ...] = ()  # (kind, base URL, lookback) read over HTTP with the files


@dataclass(frozen=True)
class Loaded:
    """What every page works with: the input, its configuration, the report as analysed (``base``)
    and with the stored decisions applied (``report``), and the decision store."""

    choice: InputChoice
    config: Config
    base: Report
    report: Report
    store: DecisionStore

    @property
    def digest(self) -> str:
        return self.choice.digest


# ----------------------------------------------------------------------------------------------
# Inputs and their digests
# ----------------------------------------------------------------------------------------------


def _config_path_from_env() -> str | None:
    path = os.environ.get("ADVISOR_CONFIG")
    return path or None


def _config_stamp(path: str | None) -> str:
    if path is None:
        return "defaults"
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path}"


def upload_choice(files: Iterable[tuple[str, bytes]], *, config_path: str | None = None) -> InputChoice:
    """An input of uploaded ``(name, bytes)`` files, in name order (the same files give the same digest)."""
    ordered = tuple(sorted(files, key=lambda f: f[0]))
    config_path = config_path if config_path is not None else _config_path_from_env()
    h = hashlib.sha256(b"upload\0")
    for name, data in ordered:
        h.update(name.encode("utf-8", "surrogateescape") + b"\0")
        h.update(hashlib.sha256(data).digest())
    h.update(_config_stamp(config_path).encode())
    n = len(ordered)
    label = f"{n} uploaded file{'s' if n != 1 else ''}"
    return InputChoice("upload", label, h.hexdigest(), uploads=ordered, config_path=config_path)


def path_choice(paths: Sequence[str], *, kind: str, label: str, config_path: str | None) -> InputChoice:
    """An input of files and folders on disk; the digest covers every file's name, size and mtime."""
    h = hashlib.sha256(kind.encode() + b"\0")
    for raw in paths:
        p = Path(raw)
        h.update(str(p).encode("utf-8", "surrogateescape") + b"\0")
        if p.is_dir():
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames.sort()
                for name in sorted(filenames):
                    _stamp_file(h, Path(dirpath) / name)
        else:
            _stamp_file(h, p)
    h.update(_config_stamp(config_path).encode())
    return InputChoice(kind, label, h.hexdigest(), paths=tuple(str(p) for p in paths), config_path=config_path)


def _stamp_file(h: Any, path: Path) -> None:
    try:
        st_ = path.stat()
    except OSError:
        h.update(f"{path}:missing\0".encode("utf-8", "surrogateescape"))
        return
    h.update(f"{path}:{st_.st_size}:{st_.st_mtime_ns}\0".encode("utf-8", "surrogateescape"))


def preload_paths() -> tuple[str, ...]:
    raw = os.environ.get("ADVISOR_PRELOAD", "")
    return tuple(p for p in raw.split(os.pathsep) if p)


def preload_choice() -> InputChoice | None:
    paths = preload_paths()
    if not paths:
        return None
    label = ", ".join(Path(p).name or p for p in paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return path_choice(paths, kind="preload", label=f"preloaded: {label}", config_path=_config_path_from_env())


def example_available() -> bool:
    return EXAMPLE_DIR.is_dir()


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it (shorter file:line evidence)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def example_choice() -> InputChoice:
    config = str(EXAMPLE_CONFIG) if EXAMPLE_CONFIG.is_file() else None
    return path_choice([_shown(EXAMPLE_DIR)], kind="example", label="the bundled example inventory",
                       config_path=config)


def current_input() -> InputChoice | None:
    """The input chosen in this session; the preloaded paths until something else is chosen."""
    choice = st.session_state.get(INPUT_KEY)
    if choice is None:
        choice = preload_choice()
        if choice is not None:
            st.session_state[INPUT_KEY] = choice
    return choice


def choose(choice: InputChoice) -> None:
    st.session_state[INPUT_KEY] = choice


def choose_example() -> None:
    choose(example_choice())


def choose_preload() -> None:
    choice = preload_choice()
    if choice is not None:
        choose(choice)


def take_uploads(files: Sequence[Any]) -> bool:
    """Switch to newly uploaded files (Streamlit ``UploadedFile`` objects); ``True`` when switched.

    An empty uploader never clears the input: the uploaders are empty again whenever a person comes
    back to the Inventory page, and that must not throw away what they uploaded before.
    """
    if not files:
        return False
    ids = tuple(str(getattr(f, "file_id", "")) + "/" + str(f.name) for f in files)
    if ids == st.session_state.get("_advisor_upload_ids"):
        return False
    st.session_state["_advisor_upload_ids"] = ids
    choose(upload_choice([(str(f.name), bytes(f.getvalue())) for f in files]))
    return True


# ----------------------------------------------------------------------------------------------
# Configuration, analysis, decisions
# ----------------------------------------------------------------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def _config(path: str | None, stamp: str) -> Config:
    return load_config(path)


def config_for(choice: InputChoice) -> Config:
    return _config(choice.config_path, _config_stamp(choice.config_path))


#: Analyses the server keeps at most, the one in use included, whatever their size.
KEPT_ANALYSES = 6
#: What the kept analyses may take, estimated, in MB: ``$ADVISOR_DASHBOARD_MEMORY_MB`` (ASCII digits),
#: else this. The least recently used go first; the one in use is kept whatever its size.
DEFAULT_MEMORY_MB = 3072
#: The estimate: bytes per service, resource and dependency of an analysis together with its views
#: and the JSON export's preview. ``python -m bench.dashboard_bench`` measured the server's resident
#: memory growing by 6.8-7.2 KB per item between 2,000 and 20,000 services (11,324 and 136,444 items;
#: 0.93 GB for the latter at this estimate); see docs/performance.md.
BYTES_PER_ITEM = 7 * 1024


def memory_budget() -> int:
    """The budget in bytes (see :data:`DEFAULT_MEMORY_MB`)."""
    text = os.environ.get("ADVISOR_DASHBOARD_MEMORY_MB", "").strip()
    mb = int(text) if text.isascii() and text.isdigit() else DEFAULT_MEMORY_MB
    return mb * 1024 * 1024


def analysis_bytes(report: Report) -> int:
    """The memory an analysis and its views take, estimated from its size."""
    inv = report.inventory
    return (len(inv.services) + len(inv.resources) + len(inv.dependencies)) * BYTES_PER_ITEM


_kept: OrderedDict[str, tuple[weakref.ref[Report], int]] = OrderedDict()
_kept_lock = threading.Lock()


def _keep(digest: str, report: Report) -> list[str]:
    """Note that the analysis of ``digest`` is in use, and let the least recently used others go
    while more than :data:`KEPT_ANALYSES` are kept or they take more than :func:`memory_budget`
    (with their cached views: those of the analyses kept are computed again when next drawn).
    Returns the digests that went.

    At 20,000 services an analysis takes about 0.9 GB: kept by count alone, six of them (a few
    changes to the configuration, say) would hold over 5 GB."""
    budget = memory_budget()
    with _kept_lock:
        held = _kept.get(digest)
        if held is None or held[0]() is not report:
            _kept[digest] = (weakref.ref(report), analysis_bytes(report))
        _kept.move_to_end(digest)
        gone = [d for d, (ref, _) in _kept.items() if ref() is None]  # let go of elsewhere
        for digest_gone in gone:
            del _kept[digest_gone]
        total = sum(size for _, size in _kept.values())
        evicted: list[str] = []
        while len(_kept) > 1 and (len(_kept) > KEPT_ANALYSES or total > budget):
            oldest, (_, size) = _kept.popitem(last=False)
            total -= size
            evicted.append(oldest)
    if evicted:
        for old in evicted:
            _analysed.clear(old, None, None)
            with _warm_lock:
                _warmed.discard(old)
            with _kept_lock:
                for key in [k for k in _rendered_stamps if k[0] == old]:
                    del _rendered_stamps[key]
        for view in _VIEWS:  # keyed on digests and more: cleared whole, computed again when drawn
            view.clear()
        logger.info("let %d analyses go to stay within %d MB: %s", len(evicted), budget // 2**20,
                    ", ".join(d[:12] for d in evicted))
    if evicted or gone:
        _collect_frozen()
    return evicted


@st.cache_resource(max_entries=4 * KEPT_ANALYSES, show_spinner=False)  # _keep bounds it first
def _analysed(digest: str, _choice: InputChoice, _config: Config) -> Report:
    live = [live_source(kind, url, lookback) for kind, url, lookback in _choice.live] or None
    # the parse cache the CLI uses too: a restarted dashboard, or the same files uploaded again, is not
    # parsed again, and an unchanged inventory's report is read back from its JSON
    # the collector stays paused until the report is frozen, so that no automatic collection walks it
    # first (an explicit one, in another session's run meanwhile, still may)
    with without_cycle_collection():
        if _choice.kind == "upload":
            report = analyze_uploads(_choice.uploads, _config, live=live, cache=parse_cache())
        else:
            report = analyze_paths(_choice.paths, _config, live=live, cache=parse_cache())
        _freeze_heap()  # the report above all
    return report


_freeze_lock = threading.Lock()


def _freeze_heap() -> None:
    """Take what is alive now out of the cyclic garbage collector's sight.

    Streamlit runs a full collection after every script run, and a full collection walks every
    object: with the report of 20,000 services in memory that took 0.9 s of every click. Frozen
    objects (:func:`gc.freeze`) are skipped. They are still freed by reference counting when the
    cache lets a report go.

    Nothing is collected first: a full collection walks every object, about 0.7 s per analysis of
    20,000 services kept, and after an analysis it found 0-10 objects in reference cycles (the analysis
    runs with the collector paused, in every thread: what other sessions left in cycles meanwhile is
    frozen too). What frozen objects hold in cycles is collected when analyses are let go
    (:func:`_collect_frozen`), the moment memory can be had back; a server whose every new analysis
    lets another go (the memory budget) pays that collection then, as it did after every analysis."""
    with _freeze_lock:
        gc.freeze()


def _collect_frozen() -> None:
    """One full collection, frozen objects included, and everything alive frozen again: called when
    analyses were let go, so that reference cycles among what they held are freed too."""
    with _freeze_lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()


def _freeze_young() -> None:
    """Take what is alive and not frozen yet out of the collector's sight too, after one collection of
    it: called when the warm-up has built its views. At 20,000 services they are about 160,000
    tracked objects, and the full collection Streamlit runs after every script run walked them at
    every click (0.1-0.2 s each).

    It freezes what every thread holds at that moment, not the views alone (another session's objects
    of the moment, say). Frozen objects are still freed by reference counting; only reference cycles
    among them wait for :func:`_collect_frozen`, when analyses are let go."""
    with _freeze_lock:
        gc.collect()  # frozen objects are not looked at: this walks what was made since the last freeze
        gc.freeze()


def with_live_sources(sources: Sequence[tuple[str, str, str]]) -> None:
    """Read these live sources (kind, URL, lookback) together with the current files; a new digest
    each time, so pressing the button again fetches fresh data."""
    for kind, url, lookback in sources:
        live_source(kind, url, lookback)  # raises ConfigError with a sentence for the page
    base = current_input() or InputChoice("live", "no files", hashlib.sha256(b"live").hexdigest(),
                                          config_path=_config_path_from_env())
    h = hashlib.sha256(base.digest.encode())
    for kind, url, lookback in sources:
        h.update(f"{kind}\0{url}\0{lookback}\0".encode())
    h.update(str(time.time()).encode())
    names = ", ".join(kind for kind, _, _ in sources)
    label = base.label.split(" + live:")[0] + (f" + live: {names}" if sources else "")
    choose(replace(base, digest=h.hexdigest(), live=tuple(sources), label=label))


def limits_description(choice: InputChoice | None) -> dict[str, int]:
    """The size limits that apply to ``choice`` (the defaults when its configuration is unusable)."""
    if choice is not None:
        try:
            return config_for(choice).limits.describe()
        except ConfigError:
            pass
    return Config().limits.describe()


def store_path(config: Config) -> str:
    """``$ADVISOR_STORE``, else ``store:`` of the configuration, else ``.advisor/decisions.sqlite``."""
    return os.environ.get("ADVISOR_STORE") or config.store or DEFAULT_STORE


def stop_with(message: str, *, kind: str = "error") -> NoReturn:
    """End the page with one sentence saying what to do."""
    if kind == "info":
        st.info(message, icon=":material/info:")
    else:
        st.error(message, icon=":material/error:")
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises; this line only satisfies the type checker


def require_loaded(*, allow_unusable: bool = False) -> Loaded:
    """The analysed input with decisions applied, or the page ends with a sentence saying what to do."""
    choice = current_input()
    if choice is None:
        stop_with("No inventory is loaded yet: upload manifests, catalog files or a .zip on the Inventory "
                  "page, or choose the bundled example there.", kind="info")
    try:
        config = config_for(choice)
    except ConfigError as exc:
        stop_with(f"The configuration {md(str(choice.config_path))} cannot be used: {md(exc)}. Fix it (or start the "
                  "dashboard without --config) and reload the page.")
    try:
        with st.spinner(f"Analysing {choice.label} …"):
            base = _analysed(choice.digest, choice, config)
    except AdvisorError as exc:
        stop_with(f"The inputs could not be analysed: {md(exc)}. Remove or fix that input and upload again.")
    except Exception as exc:
        logger.exception("analysis failed")
        stop_with(f"The analysis failed ({type(exc).__name__}: {md(exc)}). This is a bug in the advisor, not in "
                  "your files: please report it with the inputs; other inputs can still be analysed.")
    _keep(choice.digest, base)
    if not base.inventory.usable and not allow_unusable:
        stop_with("Nothing usable was read from these inputs: no service or resource was found. Open the "
                  "Inventory page to see why each file was skipped, then upload Kubernetes manifests, "
                  "compose files, Backstage catalog files, AsyncAPI documents or an advisor inventory.")
    store = DecisionStore(store_path(config))
    report = base
    if base.inventory.usable:
        try:
            report = apply_decisions(base, store)
            _record_once(store, report, choice.digest)
        except (sqlite3.Error, OSError) as exc:
            st.warning(f"The decision store {md(str(store.path))} cannot be read ({md(exc)}); decisions are not "
                       "shown. Set ADVISOR_STORE to a writable file to keep decisions.")
    loaded = Loaded(choice, config, base, report, store)
    if base.inventory.usable:
        _warm_up(loaded)
    return loaded


_warmed: set[str] = set()
_warm_lock = threading.Lock()


def _warm_up(loaded: Loaded) -> None:
    """Compute the heavier views of a new analysis in the background (once per input and process), so that
    the first visit to the graph or the export page finds them cached. A page that needs one before it is
    ready waits for the same computation (the cache locks per key) instead of starting its own."""
    with _warm_lock:
        if loaded.digest in _warmed:
            return
        _warmed.add(loaded.digest)

    def work() -> None:
        try:
            with without_cycle_collection():
                pairs(loaded)
                service_index(loaded)
                for by in ("cluster", "namespace", "team"):
                    category_order(loaded, by)
                    group_members(loaded, by)
                group_layout(loaded, "cluster")
                service_table(loaded)
                from dashboard.exporting import FORMATS, preview

                preview(loaded, next(f for f in FORMATS if f.key == "json"))
        except Exception:  # a failure here only means the page computes it itself
            logger.exception("warming the dashboard views failed")
        _freeze_young()  # the views above, made to stay

    thread = threading.Thread(target=work, name=f"advisor-warm-{loaded.digest[:8]}", daemon=True)
    add_script_run_ctx(thread)
    thread.start()


def _record_once(store: DecisionStore, report: Report, digest: str) -> None:
    """Record this analysis in the run history once per session and input, unless the last recorded run
    is the same (restarting the dashboard on unchanged inputs and decisions adds nothing to the history).
    ``report`` has the decisions applied, as ``advisor analyze`` records it: a run of the command on the
    same inputs and decisions is the same run, and the first session after a rejection records a run
    without the rejected proposal, as the command's next run would."""
    done = st.session_state.setdefault("_advisor_recorded", set())
    key = (str(store.path), digest)
    if key in done:
        return
    done.add(key)
    store.record_run(report, unless_same=True)


def decide(loaded: Loaded, proposal_id: str, verb: str, reason: str) -> str:
    """Record a decision about a proposal of the analysed report; returns a sentence for the page."""
    proposal = next((p for p in loaded.base.proposals if p.id == proposal_id), None)
    if proposal is None:
        return f"Proposal {proposal_id} is not in this analysis any more; reload the page."
    decision = loaded.store.decide(proposal, verb, reason)
    return f"Recorded: {decision.status} ({decision.decided_at})."


def flash(message: str) -> None:
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


# ----------------------------------------------------------------------------------------------
# The selection
# ----------------------------------------------------------------------------------------------


def selected_services(loaded: Loaded) -> list[str]:
    """The services picked in the table or the graph, for this input (unknown ids dropped)."""
    saved = st.session_state.get(SELECTION_KEY)
    if not saved or saved.get("digest") != loaded.digest:
        return []
    known = service_index(loaded).services
    return [s for s in saved.get("ids", []) if s in known]


def select_services(loaded: Loaded, ids: Iterable[str]) -> None:
    st.session_state[SELECTION_KEY] = {"digest": loaded.digest, "ids": list(dict.fromkeys(ids))}


def clear_selection() -> None:
    st.session_state.pop(SELECTION_KEY, None)


# ----------------------------------------------------------------------------------------------
# Cached views (all keyed on the input digest)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceIndex:
    services: Mapping[str, Any]
    metrics: Mapping[str, Any]
    outgoing: Mapping[str, tuple[Any, ...]]
    incoming: Mapping[str, tuple[Any, ...]]
    names: Mapping[str, str]


def _collector_paused(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` run with the cyclic garbage collector paused: what the pages build from a report of
    thousands of services is millions of objects the collector would otherwise walk again and again
    (see :func:`advisor.api.without_cycle_collection`)."""

    @functools.wraps(fn)
    def paused(*args: Any, **kwargs: Any) -> T:
        with without_cycle_collection():
            return fn(*args, **kwargs)

    return paused


@st.cache_resource(max_entries=6, show_spinner=False)
@_collector_paused
def _service_index(digest: str, _report: Report) -> ServiceIndex:
    out: dict[str, list[Any]] = defaultdict(list)
    inc: dict[str, list[Any]] = defaultdict(list)
    for d in _report.inventory.dependencies:
        out[d.source].append(d)
        inc[d.target].append(d)
    names = {s.id: s.name for s in _report.inventory.services}
    names.update({r.id: r.name for r in _report.inventory.resources})
    return ServiceIndex(
        {s.id: s for s in _report.inventory.services},
        {m.id: m for m in _report.service_metrics},
        {k: tuple(v) for k, v in out.items()},
        {k: tuple(v) for k, v in inc.items()},
        names,
    )


def service_index(loaded: Loaded) -> ServiceIndex:
    return _service_index(loaded.digest, loaded.base)


@st.cache_resource(max_entries=6, show_spinner=False)
@_collector_paused
def _pairs(digest: str, _report: Report) -> tuple[views.PairEdge, ...]:
    return views.coupling_pairs(_report)


def pairs(loaded: Loaded) -> tuple[views.PairEdge, ...]:
    return _pairs(loaded.digest, loaded.base)


@st.cache_resource(max_entries=24, show_spinner=False)
def _attribute(digest: str, by: str, _report: Report) -> dict[str, str]:
    return views.service_attribute(_report, by)


def attribute(loaded: Loaded, by: str) -> dict[str, str]:
    return _attribute(loaded.digest, by, loaded.base)


@st.cache_resource(max_entries=24, show_spinner=False)
def _categories(digest: str, by: str, _report: Report) -> tuple[str, ...]:
    return views.categories(_attribute(digest, by, _report).values())


def category_order(loaded: Loaded, by: str) -> tuple[str, ...]:
    return _categories(loaded.digest, by, loaded.base)


@st.cache_resource(max_entries=24, show_spinner=False)
@_collector_paused
def _group_layout(digest: str, by: str, _report: Report) -> dict[str, tuple[float, float]]:
    """Positions of every group, computed once on the unfiltered graph so filters never move them."""
    full = views.FilteredView(frozenset(s.id for s in _report.inventory.services), _pairs(digest, _report), 0, 0)
    graph = views.group_graph(full, _attribute(digest, by, _report), limit=10**9)
    largest = sorted(graph.nodes, key=lambda n: (-len(n.members), -n.internal_weight, views._natural(n.id)))
    return views.layout([n.id for n in graph.nodes], [(e.a, e.b, e.weight) for e in graph.edges],
                        first=[n.id for n in largest[:views.MAX_DRAWN_NODES]])


def group_layout(loaded: Loaded, by: str) -> dict[str, tuple[float, float]]:
    return _group_layout(loaded.digest, by, loaded.base)


@st.cache_resource(max_entries=64, show_spinner=False)
@_collector_paused
def _detail_layout(digest: str, nodes: tuple[str, ...], _edges: tuple[views.PairEdge, ...]
                   ) -> dict[str, tuple[float, float]]:
    return views.layout(nodes, [(e.a, e.b, e.weight) for e in _edges])


def detail_layout(loaded: Loaded, nodes: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Positions for a drilled-down view, laid out on the unfiltered pairs among those nodes and cached
    on the node set, so the same view always looks the same."""
    key = tuple(sorted(nodes))
    return _detail_layout(loaded.digest, key, views._induced(key, pairs(loaded)))


@st.cache_resource(max_entries=6, show_spinner=False)
@_collector_paused
def _service_table(digest: str, _report: Report) -> pd.DataFrame:
    return views.service_table(_report)


def service_table(loaded: Loaded) -> pd.DataFrame:
    return _service_table(loaded.digest, loaded.base)


@st.cache_resource(max_entries=64, show_spinner=False)
@_collector_paused
def _what_if(digest: str, members: tuple[str, ...], _report: Report, _config: Config) -> Proposal:
    return advisor_what_if(_report, members, _config)


def what_if(loaded: Loaded, members: Sequence[str]) -> Proposal:
    return _what_if(loaded.digest, tuple(sorted(members)), loaded.base, loaded.config)


def decisions_stamp(loaded: Loaded) -> str:
    """A fingerprint of the decisions shown, so exports rendered before a decision are not reused."""
    return hashlib.sha256(repr([(p.id, dict(p.decision or {})) for p in loaded.report.proposals]).encode()
                          ).hexdigest()[:16]


@st.cache_resource(max_entries=16, show_spinner=False)
@_collector_paused
def _rendered(digest: str, stamp: str, name: str, _render: Callable[[Report], str | bytes], _report: Report
              ) -> str | bytes:
    return _render(_report)


_rendered_stamps: dict[tuple[str, str], str] = {}


def rendered(loaded: Loaded, name: str, render: Callable[[Report], str | bytes]) -> str | bytes:
    """An export of the report with decisions applied, rendered once per input and set of decisions.

    Only the latest set of decisions is kept per input and export (decisions accumulate: an earlier
    set is rarely shown again): at 20,000 services the JSON alone is over 100 MB."""
    stamp = decisions_stamp(loaded)
    with _kept_lock:
        previous = _rendered_stamps.get((loaded.digest, name))
        _rendered_stamps[(loaded.digest, name)] = stamp
    if previous is not None and previous != stamp:
        _rendered.clear(loaded.digest, previous, name, None, None)
    return _rendered(loaded.digest, stamp, name, render, loaded.report)


@st.cache_resource(max_entries=24, show_spinner=False)
def _group_members(digest: str, by: str, _report: Report) -> dict[str, tuple[str, ...]]:
    members: dict[str, list[str]] = defaultdict(list)
    for sid, group in _attribute(digest, by, _report).items():
        members[group].append(sid)
    return {g: tuple(sorted(m)) for g, m in sorted(members.items(), key=lambda kv: views._natural(kv[0]))}


def group_members(loaded: Loaded, by: str) -> dict[str, tuple[str, ...]]:
    """Group label -> its services, for grouping by cluster, namespace or team."""
    return _group_members(loaded.digest, by, loaded.base)


#: Every cached view: cleared whole when an analysis goes (see :func:`_keep`).
_VIEWS = (_service_index, _pairs, _attribute, _categories, _group_layout, _detail_layout, _service_table,
          _what_if, _rendered, _group_members)


# ----------------------------------------------------------------------------------------------
# Widget values that survive a visit to another page
# ----------------------------------------------------------------------------------------------


def restore_widgets(keys: Iterable[str]) -> None:
    """Put back the values these widgets had when the page was last shown (Streamlit forgets the
    state of widgets that were not drawn in a run, i.e. of every other page)."""
    for key in keys:
        kept = f"_advisor_keep_{key}"
        if key not in st.session_state and kept in st.session_state:
            st.session_state[key] = st.session_state[kept]


def remember_widgets(keys: Iterable[str]) -> None:
    for key in keys:
        if key in st.session_state:
            st.session_state[f"_advisor_keep_{key}"] = st.session_state[key]
