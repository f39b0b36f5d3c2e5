"""Reading inputs into an :class:`~inventory.model.Inventory`: recognise, parse, account, resolve.

Inputs are recognised by their content, never by their names: each document is offered to the
readers in :data:`READERS` order and the first whose ``recognise`` accepts it parses it. A file
can mix formats (a ``kubectl get -o yaml`` dump next to Backstage entities). Every document is
either used by a reader or listed in ``skipped`` with its file, position and a reason; a file
that cannot be opened or decoded is one skipped entry and never stops the others.

:func:`read_file` handles one file and returns plain picklable data, so that
:func:`read_inputs` can fan files out to worker processes on large inventories.
"""

from __future__ import annotations

import hashlib
import importlib
import multiprocessing
import multiprocessing.util
import os
import pickle
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

from inventory import asyncapi, backstage, compose, kubernetes, native
from inventory.cache import FileCache
from inventory.documents import Document, ReadWhole, SharedUse, decode, iter_documents
from inventory.errors import InputError
from inventory.model import Fragment, InputAccount, Inventory, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.resolving import resolve
from inventory.secrets import redact_text
from inventory.sources import InputFile, InputSet, collect, from_uploads


@dataclass(frozen=True)
class FileContext:
    """What a reader may know about the file beyond its documents."""

    location: str
    folder: str
    dotenv: Mapping[str, str] = field(default_factory=dict)
    dotenv_location: str | None = None


Parser = Callable[[Sequence[Document], FileContext, ReadOptions], Fragment]


@dataclass(frozen=True)
class Reader:
    name: str
    recognise: Callable[[object], bool]
    parse: Parser


READERS: tuple[Reader, ...] = (
    Reader(native.READER, native.recognise,
           lambda docs, ctx, opts: native.parse_native(docs, options=opts)),
    Reader(backstage.READER, backstage.recognise,
           lambda docs, ctx, opts: backstage.parse_catalog(docs, options=opts)),
    Reader(kubernetes.READER, kubernetes.recognise,
           lambda docs, ctx, opts: kubernetes.parse_manifests(docs, options=opts)),
    Reader(asyncapi.READER, asyncapi.recognise,
           lambda docs, ctx, opts: asyncapi.parse_asyncapi(docs, options=opts)),
    Reader(compose.READER, compose.recognise,
           lambda docs, ctx, opts: compose.parse_compose(
               docs, env=ctx.dotenv, project=compose.project_name(ctx.folder), options=opts,
               env_location=ctx.dotenv_location)),
)


def _describe(data: object) -> str:
    if data is None:
        return "the document is empty (null)"
    if isinstance(data, list):
        return ("the document is a list, not one of the inventory formats "
                "(Kubernetes, Compose, Backstage, AsyncAPI, advisor)")
    if not isinstance(data, dict):
        return f"the document is a single {type(data).__name__} value, not an inventory document"
    keys = ", ".join(sorted(_clip(str(k), 40) for k in list(data)[:6]))
    return f"not a recognised inventory document (top-level keys: {keys})"


def _clip(text: str, limit: int) -> str:
    """``text`` on one line (runs of white space become one space), cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class FileResult:
    """One file's fragments and its accounting line."""

    location: str
    fragments: list[Fragment]
    account: InputAccount
    skipped: list[Skipped]
    folder: str = ""
    cached: bool = False
    #: With a cache: the SHA-256 of the result pickled as it was read (``cached`` False, no digest),
    #: for a file read in parts of its parts' digests: two results with the same digest are the same,
    #: whatever bytes the files held (see :func:`results_digest`). Empty when unknown (no cache). A
    #: file read in parts keeps its digest only while no document moves to another part.
    digest: str = ""
    #: The file's bytes changed between their digest (the cache key) and the end of reading: the result
    #: is what was read, but it is not stored under that key, nor is the run's report (see
    #: :func:`_parsed_and_stored`).
    changed: bool = False


@dataclass(frozen=True)
class StreamReader:
    """A reader for files too large to load whole (trace dumps): it sniffs the first bytes and then
    reads the file as a stream itself (``open_stream`` gives decompressed bytes), keeping memory flat.
    ``read`` returns one fragment whose ``documents``/``used``/``skipped`` count records."""

    name: str
    sniff: Callable[[bytes, str], bool]
    read: Callable[[InputFile, FileContext, ReadOptions], Fragment]


@dataclass(frozen=True)
class TextReader:
    """A reader for text files that hold no inventory document (source code, configuration files):
    offered a file only when none of :data:`READERS` recognised anything in it."""

    name: str
    accept: Callable[[str, str], bool]  # (location, text)
    parse: Callable[[str, FileContext, ReadOptions], Fragment]
    #: Files that are this reader's by their name alone (source code, a Dockerfile): they skip the
    #: attempt to read them as YAML documents, which costs a third of a code file's read time.
    claims: Callable[[str], bool] | None = None


#: Registered by the trace readers (issue 4); tried before a file is loaded whole.
STREAM_READERS: list[StreamReader] = []
#: Registered by the source scanner (issue 3); tried on files no document reader recognised.
TEXT_READERS: list[TextReader] = []
SNIFF_BYTES = 64 * 1024


def _unreadable(item: InputFile, reason: str, location: str | None = None) -> FileResult:
    skip = Skipped(location or item.location, reason)
    return FileResult(item.location, [], InputAccount(item.location, "unreadable", 1, 0, 1), [skip], item.folder)


def _stream_result(item: InputFile, fragment: Fragment) -> FileResult:
    fragment.location = item.location
    skipped = list(fragment.skipped)
    fragment.skipped = []
    # A reader lists the first skipped records one by one and sums up the rest in one entry: the
    # account counts records, so that documents = used + skipped holds however many were skipped.
    documents = max(fragment.documents, fragment.used + len(skipped))
    account = InputAccount(item.location, fragment.format, documents, fragment.used, documents - fragment.used)
    return FileResult(item.location, [fragment], account, skipped, item.folder)


def read_file(item: InputFile, context: FileContext, options: ReadOptions) -> FileResult:
    """Read one input file; never raises for bad input."""
    result = read_part(item, context, options, None)
    assert isinstance(result, FileResult)
    return result


def read_part(item: InputFile, context: FileContext, options: ReadOptions, part: tuple[int, int] | None
              ) -> FileResult | Partial:
    """Read one input file, or with ``part=(i, n)`` the YAML documents of its ``i``-th of ``n``
    shares (a :class:`Partial`). A file that is not read as YAML documents (a trace dump, source
    code, a JSON text, an unreadable file) is read whole by part 0, and the other parts give nothing."""
    if STREAM_READERS:
        try:
            head = item.head(SNIFF_BYTES)
        except InputError as exc:
            return _unreadable(item, exc.reason, exc.location)
        except OSError as exc:
            return _unreadable(item, f"cannot be read ({exc.strerror or exc})")
        for stream_reader in STREAM_READERS:
            if stream_reader.sniff(head, item.location):
                if part is not None and part[0] != 0:
                    return Partial()
                try:
                    return _stream_result(item, stream_reader.read(item, context, options))
                except InputError as exc:
                    return _unreadable(item, exc.reason, exc.location)
                except OSError as exc:
                    return _unreadable(item, f"cannot be read ({exc.strerror or exc})")
    try:
        text = decode(item.read(options.limits), item.location)
    except InputError as exc:
        return _unreadable(item, exc.reason, exc.location)
    except OSError as exc:
        return _unreadable(item, f"cannot be read ({exc.strerror or exc})")
    try:
        if part is None:
            result = parse_text(text, context, options)
        else:
            whole = _claimed_by_name(text, context, options)
            if whole is not None:
                return whole if part[0] == 0 else Partial()
            return _parse_documents(text, context, options, part)
    except Exception as exc:  # a bug must lose this one file at most, never the run
        return _unreadable(item, f"could not be read ({type(exc).__name__}: {_short(exc)})")
    result.folder = item.folder
    return result


def _text_result(reader: TextReader, text: str, context: FileContext, options: ReadOptions) -> FileResult:
    try:
        fragment = reader.parse(text, context, options)
    except Exception as exc:  # a bug in one reader must not lose the other files
        reason = f"could not be read by the {reader.name} reader ({type(exc).__name__}: {_short(exc)})"
        fragment = Fragment(context.location, reader.name, documents=1, skipped=[Skipped(context.location, reason)])
    fragment.location = context.location
    skipped, fragment.skipped = list(fragment.skipped), []
    account = InputAccount(context.location, fragment.format, max(fragment.documents, fragment.used + len(skipped), 1),
                           fragment.used, len(skipped))
    return FileResult(context.location, [fragment], account, skipped)


def parse_text(text: str, context: FileContext, options: ReadOptions = DEFAULT_OPTIONS) -> FileResult:
    """Recognise and parse every document of one decoded file."""
    whole = _claimed_by_name(text, context, options)
    if whole is not None:
        return whole
    result = _finish(context, [_parse_documents(text, context, options)], text, options)
    assert result is not None  # with the text, nothing is left to read again
    return result


def _claimed_by_name(text: str, context: FileContext, options: ReadOptions) -> FileResult | None:
    """The file read by a text reader that takes it by its name alone (source code), else None."""
    for text_reader in TEXT_READERS:
        if text_reader.claims is not None and text_reader.claims(context.location) and text.strip():
            return _text_result(text_reader, text, context, options)
    return None


@dataclass
class Partial:
    """What the documents of one part of a file gave (see :data:`SPLIT_BYTES`), before the parts are
    put together by :func:`_finish` as if the file had been read whole: the skipped documents in
    file order, and per reader its fragment (its own skipped entries still in it) and how many
    documents it was given."""

    count: int = 0
    doc_skipped: list[Skipped] = field(default_factory=list)
    readers: list[tuple[str, Fragment, int]] = field(default_factory=list)
    cached: bool = False
    #: The part cannot be read on its own (see :class:`~inventory.documents.ReadWhole`).
    whole: bool = False
    #: As :attr:`FileResult.digest`, of this part.
    digest: str = ""


def _parse_documents(text: str, context: FileContext, options: ReadOptions,
                     part: tuple[int, int] | None = None) -> Partial:
    location = context.location
    groups: dict[str, list[Document]] = {}
    out = Partial()
    try:
        for item in iter_documents(text, location, limits=options.limits, part=part):
            out.count += 1
            if isinstance(item, Skipped):
                out.doc_skipped.append(item)
                continue
            for reader in READERS:
                try:
                    accepted = reader.recognise(item.data)
                except Exception:
                    accepted = False
                if accepted:
                    groups.setdefault(reader.name, []).append(item)
                    break
            else:  # not kept: its value goes as soon as it is described
                out.doc_skipped.append(Skipped(f"{item.where} (line {item.line})", _describe(item.data)))
    except ReadWhole:
        return Partial(whole=True)
    for reader in READERS:
        docs = groups.get(reader.name)
        if not docs:
            continue
        try:
            fragment = reader.parse(docs, context, options)
        except RecursionError:
            fragment = Fragment(location, reader.name, documents=len(docs))
            fragment.skipped.extend(Skipped(d.where, "is nested too deeply to read") for d in docs)
        except Exception as exc:
            fragment = Fragment(location, reader.name, documents=len(docs))
            fragment.skipped.extend(
                Skipped(f"{d.where} (line {d.line})", f"could not be read by the {reader.name} reader "
                                                       f"({type(exc).__name__}: {_short(exc)})")
                for d in docs
            )
        fragment.location = location
        out.readers.append((reader.name, fragment, len(docs)))
    return out


#: Readers whose fragments of the parts of one file, put together, are the fragment of the whole
#: file: every document is read on its own, in order (the Kubernetes reader's same-file ConfigMap
#: lookups are checked again over every file in ``assemble``). A file where another reader (which
#: joins what several documents of a file say) has documents in more than one part is read again
#: whole.
_SPLITTABLE = frozenset({kubernetes.READER, asyncapi.READER})


def _finish(context: FileContext, parts: Sequence[Partial], text: str | None, options: ReadOptions
            ) -> FileResult | None:
    """The file's result from its parts (one part: the file read whole), or None when the file
    must be read whole (``text`` None and no reader recognised anything, so a text reader may
    want it; or a reader that is not in :data:`_SPLITTABLE` has documents in several parts)."""
    location = context.location
    if any(part.whole for part in parts):
        return None
    skipped = [s for part in parts for s in part.doc_skipped]
    count = sum(part.count for part in parts)
    fragments: list[Fragment] = []
    used = 0
    for reader in READERS:
        pieces = [(fragment, n) for part in parts for name, fragment, n in part.readers if name == reader.name]
        if not pieces:
            continue
        if len(pieces) > 1 and reader.name not in _SPLITTABLE:
            return None
        fragment = pieces[0][0] if len(pieces) == 1 else _joined([f for f, _ in pieces])
        shared = [x for x in fragment.extras if isinstance(x, SharedUse)]
        if shared:  # a large List read in parts: one document, given to each part that had items of it
            if not all(any(x.used for x in shared if x.index == i) for i in {x.index for x in shared}):
                return None  # a List nothing was used from: read whole, to say so as it would
            fragment.extras = [x for x in fragment.extras if not isinstance(x, SharedUse)]
            repeats = len(shared) - len({x.index for x in shared})
            fragment.documents -= repeats
            count -= repeats
            fragment.used += len({x.index for x in shared})
        used += fragment.used
        count += sum(max(f.documents - n, 0) for f, n in pieces)  # entries a reader reports inside one document
        skipped.extend(fragment.skipped)
        fragment.skipped = []
        fragments.append(fragment)
    if not fragments and TEXT_READERS and (text is None or text.strip()):
        if text is None:
            return None
        for text_reader in TEXT_READERS:
            if text_reader.accept(location, text):
                return _text_result(text_reader, text, context, options)
    formats = "+".join(f.format for f in fragments) or ("empty" if count == 0 else "unrecognised")
    if count == 0:
        skipped.append(Skipped(location, "the file is empty"))
        count = 1
    account = InputAccount(location, formats, count, used, len(skipped))
    return FileResult(location, fragments, account, skipped)


def _joined(fragments: Sequence[Fragment]) -> Fragment:
    """One reader's fragments of the parts of a file, in file order, as one."""
    out = Fragment(fragments[0].location, fragments[0].format)
    for f in fragments:
        out.entities.extend(f.entities)
        out.claims.extend(f.claims)
        out.skipped.extend(f.skipped)
        out.documents += f.documents
        out.used += f.used
        out.extras.extend(f.extras)
        out.aliases.update(f.aliases)
        out.owners.update(f.owners)
        out.notes.extend(f.notes)
    return out


def _short(exc: BaseException) -> str:
    """The first line of an exception's message, short and with passwords masked."""
    try:
        text = str(exc).splitlines()[0] if str(exc) else ""
    except ValueError:  # a message quoting an integer too long to print
        return ""
    return redact_text(text[:120])


def _parse_dotenv(data: bytes) -> dict[str, str]:
    return compose.parse_dotenv(data.decode("utf-8", errors="replace"))


def _contexts(inputs: InputSet) -> list[tuple[InputFile, FileContext]]:
    env_cache: dict[str, dict[str, str]] = {}
    out = []
    for item in inputs.files:
        env = env_cache.get(item.folder)
        if env is None and item.folder in inputs.dotenv:
            env = env_cache[item.folder] = _parse_dotenv(inputs.dotenv[item.folder])
        out.append((item, FileContext(item.location, item.folder, env or {}, inputs.dotenv_locations.get(item.folder))))
    return out


_CACHES: dict[str, FileCache] = {}


def _cache_in(folder: str) -> FileCache:
    """The cache in ``folder``, one object per process (its ownership check runs once)."""
    cache = _CACHES.get(folder)
    if cache is None:
        cache = _CACHES[folder] = FileCache(folder)
    return cache


def _cache_key(cache: FileCache, item: InputFile, ctx: FileContext, options: ReadOptions) -> str:
    parse_options = repr((options.owner_keys, options.limits, options.normalise_names, options.external_datastores))
    parts = [item.location, ctx.folder, ctx.dotenv_location or "", repr(sorted(ctx.dotenv.items())), parse_options]
    if item.data is not None:
        return cache.key([*parts, item.data])
    with open(item.path or "", "rb") as fh:
        return cache.key(parts, fh)


def _oversized(item: InputFile, options: ReadOptions) -> bool:
    """A file over the size limit is refused by its size: it is not hashed whole for the cache first."""
    try:
        return item.path is not None and os.path.getsize(item.path) > options.limits.max_file_bytes
    except OSError:
        return False


#: A file of this many bytes or more is read in parts of about this size by the workers together
#: (its YAML documents shared out by where they start), when there are workers: one large dump
#: (``helm template`` of a whole platform) would otherwise keep one worker busy while the others
#: wait. The parts are put back together exactly as the whole file reads (see :func:`_finish`).
SPLIT_BYTES = 4 * 1024 * 1024
MAX_PARTS = 16

#: (file, context, options, cache folder, cache key, part): ``part`` is ``(i, n)`` or None (whole).
_Job = tuple[InputFile, FileContext, ReadOptions, str | None, str | None, tuple[int, int] | None]
_Read = FileResult | Partial


def _read_one(job: _Job, *, here: bool = False) -> _Read | tuple[bool, bytes]:
    """Read one file, or one part of it. With a cache the result travels pickled, ``(from the
    cache, pickle)``: it is pickled once, for the cache and for the way back from a worker process,
    and an entry found in the cache goes back as it was stored, without being unpickled here first.
    ``here``: read in the process that uses the result, which it gets as such (what was just
    pickled for the cache is not unpickled again)."""
    item, ctx, options, cache_folder, key, part = job
    if cache_folder is None or key is None:
        return read_part(item, ctx, options, part)
    cache = _cache_in(cache_folder)
    stored = cache.get_bytes(key)
    if stored is not None:
        cache.touch(key)  # used: the last to go when the cache is trimmed
        return _result(job, (True, stored)) if here else (True, stored)
    if here:
        return _parsed_and_stored(job, cache, key, kept=True)[0]
    with _LATER.busy():
        waiting = _LATER.get(cache_folder, key)  # parsed in this worker, not written yet
        if waiting is not None:
            return True, waiting
        _, data = _parsed_and_stored(job, cache, key, kept=False)
    return False, data


class _LaterWrites:
    """The parse-cache entries of a worker process, written by a thread of its own once the worker
    has sat idle for :attr:`IDLE` seconds: while the workers read, both cores parse, and writing
    1,771 entries (80 MB of YAML, 20,000 services) took them 0.6-0.9 CPU s, 0.3-0.45 s of the
    reading; once reading is done, one core sits out while the command resolves. Every job a worker
    runs for the advisor counts as busy (:meth:`busy`, :func:`worker_job`): the thread, at the lowest
    priority, would otherwise hold up the jobs the analysis waits for each time it takes the
    interpreter's lock. The thread ends when nothing is left to write. When the worker is told to
    exit, what is left is written at once from its main thread (a multiprocessing finalizer, run
    before the worker joins its threads), so the entries are on disk once the pool is shut down. A
    worker killed before (for memory, say) leaves its files to be parsed again next time. An entry
    not yet written is still found by :meth:`get`: a second reading in the same pool takes it."""

    IDLE = 0.05

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], bytes] = {}  # in the order added
        self._thread: threading.Thread | None = None
        self._busy = 0
        self._last = 0.0
        self._exiting = False
        self._finalizer_pid: int | None = None

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Mark the worker busy meanwhile: nothing is written until it has been idle."""
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1
            self._last = time.monotonic()

    def add(self, folder: str, key: str, data: bytes) -> None:
        with self._lock:
            self._pending[(folder, key)] = data
            if self._finalizer_pid != os.getpid():  # a worker's registry starts empty: once per process
                self._finalizer_pid = os.getpid()
                multiprocessing.util.Finalize(None, self.flush, exitpriority=10)
            if self._thread is None:
                self._start()

    def _start(self) -> None:
        """Start the writing thread (the lock held, no thread running)."""
        self._thread = threading.Thread(target=self._write, name="parse-cache-writes")
        self._thread.start()

    def get(self, folder: str, key: str) -> bytes | None:
        """The bytes of an entry added and not yet written, if any."""
        with self._lock:
            return self._pending.get((folder, key))

    def _next(self) -> tuple[str, str, bytes] | None:
        with self._lock:
            if not self._pending:
                return None
            (folder, key), data = next(iter(self._pending.items()))
            del self._pending[(folder, key)]
            return folder, key, data

    def _put(self, entry: tuple[str, str, bytes]) -> None:
        folder, key, data = entry
        with suppress(Exception):  # an entry that cannot be written is a file parsed again next time
            _cache_in(folder).put_bytes(key, data)

    def _write(self) -> None:
        # the lowest priority, so that the entries take only what the command leaves of the machine
        # (while it resolves, writing them at the same priority made resolving 0.3 s longer). On
        # Linux a thread has a nice value of its own, set through its thread id.
        _lower_this_thread(19)
        try:
            while True:
                while not self._exiting and (self._busy or time.monotonic() - self._last < self.IDLE):
                    time.sleep(self.IDLE / 2)
                entry = self._next()
                if entry is None:
                    return
                self._put(entry)
        finally:
            with self._lock:
                self._thread = None
                if self._pending and not self._exiting:  # added after the last look, or a write failed
                    self._start()

    def flush(self) -> None:
        """Write what is left now, from the calling thread (a worker that is about to exit)."""
        self._exiting = True
        while (entry := self._next()) is not None:
            self._put(entry)
        self.join()

    def join(self) -> None:
        """Return once every entry added so far is written (tests)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()


def worker_job(fn: Callable[..., _T], *args: Any, nice: int = 0) -> _T:
    """``fn(*args)`` in a worker, counted as busy (see :class:`_LaterWrites`): for the jobs the
    analysis gives the workers that read its files. With ``nice``, it runs in a thread of that nice
    value, which this waits for: a job whose answer is wanted later than the others' (the stability
    runs) then leaves the cores to the work that is waited for first."""
    with _LATER.busy():
        return _in_thread(nice, fn, *args) if nice else fn(*args)


def _in_thread(nice: int, fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)`` in a thread of its own at nice value ``nice`` (see :func:`_lower_this_thread`),
    waited for; an exception it raises is raised here."""
    answer: list[_T] = []
    failed: list[BaseException] = []

    def run() -> None:
        _lower_this_thread(nice)
        try:
            answer.append(fn(*args))
        except BaseException as exc:  # handed to the caller, which raises it
            failed.append(exc)

    thread = threading.Thread(target=run, name="advisor-job-niced")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return answer[0]


_LATER = _LaterWrites()
_T = TypeVar("_T")


def _parsed_and_stored(job: _Job, cache: FileCache, key: str, *, kept: bool) -> tuple[_Read, bytes]:
    """The file (or part) of ``job`` parsed, and stored in ``cache`` under ``key`` unless the file
    changed since ``key`` was worked out (:attr:`FileResult.changed`), and its pickle. ``kept``: the
    result is used in this process, and carries that pickle's digest (taken before it is set); one
    sent to another process as its pickle gets it there (:func:`_result`). A whole file's entry made
    in a worker is written once the worker sits idle (:class:`_LaterWrites`); the entries of a file's
    parts are written at once, since the check of their file when they are put together may remove
    them."""
    item, ctx, options, _, _, part = job
    result = read_part(item, ctx, options, part)
    if part is None and item.data is None and isinstance(result, FileResult):
        # the bytes read are the bytes hashed for ``key``, unless the file changed since: then the
        # result is not what ``key`` stands for (a run over the old bytes would be handed it). Hashing
        # the file again costs 0.05 CPU s for the 80 MB of 20,000 services, next to 10 s of parsing.
        # A file read in parts is hashed again once, when its parts are put together (_joined_parts);
        # bytes in memory (uploads) cannot change.
        result.changed = _key_or_none(cache, item, ctx, options) != key
    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    if not (isinstance(result, FileResult) and result.changed):
        if kept or part is not None or multiprocessing.parent_process() is None:  # not in a worker
            cache.put_bytes(key, data)
        else:
            _LATER.add(str(cache.folder), key, data)
    if kept:
        result.digest = _digest(data)
    return result, data


def _read_here(job: _Job) -> _Read:
    """:func:`_read_one` in the process that uses the result."""
    read = _read_one(job, here=True)
    assert isinstance(read, FileResult | Partial)
    return read


def _result(job: _Job, read: _Read | tuple[bool, bytes]) -> _Read:
    if isinstance(read, FileResult | Partial):
        return read
    cached, data = read
    try:
        result = pickle.loads(data)  # noqa: S301 - written by _read_one, in a folder only this user can write
    except Exception:  # a damaged cache entry: read the file again
        result = None
    if not isinstance(result, FileResult | Partial):
        item, ctx, options, folder, key, part = job
        if folder is None or key is None:
            return read_part(item, ctx, options, part)
        return _parsed_and_stored(job, _cache_in(folder), key, kept=True)[0]
    result.cached = cached
    result.digest = _digest(data)
    return result


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _size(item: InputFile) -> int:
    if item.data is not None:
        return len(item.data)
    try:
        return os.path.getsize(item.path or "")
    except OSError:
        return 0


def parts_of(item: InputFile, options: ReadOptions) -> int:
    """How many parts a file is read in by workers (1: whole). By its size alone, so that the cache
    entries of its parts are found again whatever the number of workers."""
    size = _size(item)
    if size < 2 * SPLIT_BYTES or size > options.limits.max_file_bytes:
        return 1
    return min(MAX_PARTS, -(-size // SPLIT_BYTES))


def part_key(cache: FileCache, key: str, part: tuple[int, int]) -> str:
    """The cache key of one part of the file whose key is ``key``."""
    return cache.key([key, f"part {part[0]} of {part[1]}"])


def _joined_parts(jobs: Sequence[_Job], reads: Sequence[_Read]) -> FileResult:
    """The result of a file read in parts, as if it had been read whole (read again whole in the
    cases :func:`_finish` cannot put together)."""
    item, ctx, options = jobs[0][0], jobs[0][1], jobs[0][2]
    whole = next((r for r in reads if isinstance(r, FileResult)), None)
    if whole is None:
        whole = _finish(ctx, [r for r in reads if isinstance(r, Partial)], None, options)
        if whole is None:  # read again here, and checked after, whether or not the parts were cached
            again = read_file(item, ctx, options)
            again.changed = _parts_changed(jobs, reads, read_again=True)
            return again
        if all(r.digest for r in reads):  # with a cache: what was put together is what the parts read
            whole.digest = _digest("\0".join(["parts", *(r.digest for r in reads)]).encode())
        whole.cached = all(r.cached for r in reads)
    whole.changed = _parts_changed(jobs, reads)
    whole.folder = item.folder
    return whole


def _parts_changed(jobs: Sequence[_Job], reads: Sequence[_Read], *, read_again: bool = False) -> bool:
    """Whether the file of ``jobs`` changed since the keys of its parts were worked out, when some part
    was parsed afresh (or, ``read_again``, the file was read again whole here): then the entries its
    parts stored go (see :func:`_parsed_and_stored`). Once per file, rather than once per part: each
    part reads the whole file. Bytes in memory (uploads) cannot change."""
    item, ctx, options, folder = jobs[0][0], jobs[0][1], jobs[0][2], jobs[0][3]
    fresh = [job[4] for job, read in zip(jobs, reads, strict=True) if not read.cached and job[4] is not None]
    if folder is None or item.data is not None or not (fresh or read_again) or any(job[4] is None for job in jobs):
        return False
    cache = _cache_in(folder)
    now = _key_or_none(cache, item, ctx, options)
    if now is not None and all(job[5] is not None and part_key(cache, now, job[5]) == job[4] for job in jobs):
        return False
    for key in fresh:
        cache.remove(key)
    return True


def _key_or_none(cache: FileCache, item: InputFile, ctx: FileContext, options: ReadOptions) -> str | None:
    if not cache.enabled or _oversized(item, options):
        return None
    try:
        return _cache_key(cache, item, ctx, options)
    except OSError:
        return None


def _keys_in_worker(jobs: Sequence[tuple[InputFile, FileContext, ReadOptions, str]]) -> list[str | None]:
    with _LATER.busy():
        return [_key_or_none(_cache_in(folder), item, ctx, options) for item, ctx, options, folder in jobs]


def file_keys(inputs: InputSet, options: ReadOptions, cache: FileCache, *, pool: Executor | None = None,
              workers: int = 1, meanwhile: Callable[[], object] | None = None) -> list[str | None]:
    """The cache key of every input file, in :func:`read_inputs` order (None: not cacheable).

    With a ``pool`` (of ``workers`` processes), the files on disk are hashed in its workers, in
    chunks, and ``meanwhile`` is called here while they do (the caller's own start-up work: the
    workers start the run earlier). The keys are the same either way."""
    contexts = _contexts(inputs)
    keys: dict[int, str | None] = {}
    pending: list[tuple[list[int], Future[list[str | None]]]] = []
    if pool is not None and cache.enabled:
        on_disk = [i for i, (item, _) in enumerate(contexts) if item.data is None]  # not sent there in full
        per = max(1, -(-len(on_disk) // (workers * 4)))
        chunks = [on_disk[i:i + per] for i in range(0, len(on_disk), per)]
        folder = str(cache.folder)
        with suppress(Exception):  # a broken pool: the rest are hashed here
            for chunk in chunks:
                pending.append((chunk, pool.submit(_keys_in_worker, [(*contexts[i], options, folder) for i in chunk])))
    if meanwhile is not None:
        meanwhile()
    for chunk, future in pending:
        with suppress(Exception):  # a worker lost: its chunk is hashed here
            keys.update(zip(chunk, future.result(), strict=True))
    return [keys[i] if i in keys else _key_or_none(cache, item, ctx, options) for i, (item, ctx) in enumerate(contexts)]


def read_inputs(inputs: InputSet, options: ReadOptions = DEFAULT_OPTIONS, *, workers: int = 1,
                cache: FileCache | None = None, keys: Sequence[str | None] | None = None,
                pool: Executor | None = None, used_keys: set[str] | None = None) -> list[FileResult]:
    """Read every file of ``inputs``; with ``workers > 1`` files are parsed in worker processes
    (those of ``pool`` when given: the caller keeps them for later work), large ones in parts
    (see :data:`SPLIT_BYTES`).

    With a ``cache``, files whose content (and context) was read before are not parsed again
    (``keys`` from :func:`file_keys` when the caller already has them); ``used_keys`` receives
    every cache key the run read or wrote (those of the parts of large files included).
    """
    folder = str(cache.folder) if cache is not None and cache.enabled else None
    contexts = _contexts(inputs)
    if folder is not None and cache is not None and keys is None:
        keys = file_keys(inputs, options, cache)
    parallel = workers > 1
    files: list[list[_Job]] = []
    for i, (item, ctx) in enumerate(contexts):
        key = keys[i] if keys is not None else None
        n = parts_of(item, options) if parallel else 1
        if n == 1:
            files.append([(item, ctx, options, folder, key, None)])
        else:
            files.append([(item, ctx, options, folder,
                           part_key(cache, key, (p, n)) if cache is not None and key is not None else None, (p, n))
                          for p in range(n)])
    if used_keys is not None:
        used_keys.update(job[4] for jobs in files for job in jobs if job[4] is not None)
    if parallel and sum(len(jobs) for jobs in files) > 1:
        if pool is not None:
            return _read_in(pool, files, workers)
        with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context()) as own:
            return _read_in(own, files, workers)
    return [_one_file(jobs, [_read_here(job) for job in jobs]) for jobs in files]


def _one_file(jobs: Sequence[_Job], reads: Sequence[_Read]) -> FileResult:
    if len(jobs) == 1:
        read = reads[0]
        assert isinstance(read, FileResult)  # a file read whole
        return read
    return _joined_parts(jobs, reads)


#: The nice value of the thread that imports ahead in a worker (see :func:`import_ahead`).
IMPORT_NICE = 10


def import_ahead(modules: Sequence[str]) -> None:
    """Import ``modules``: in a worker, ahead of the jobs that will need them. The command resolves
    meanwhile, in one process: the imports of both workers (0.2-0.3 CPU s each at 20,000 services)
    share the other core with it unless they yield, so they run in a thread at nice
    :data:`IMPORT_NICE`, which this job waits for. A failed import fails the job, as it would here."""
    worker_job(_import_all, modules, nice=IMPORT_NICE)


def _import_all(modules: Sequence[str]) -> None:
    for name in modules:
        importlib.import_module(name)


def _lower_this_thread(nice: int) -> None:
    """Raise the calling thread's nice value to ``nice``, unless it is that high already (on Linux a
    thread has one of its own, set through its thread id; elsewhere nothing changes)."""
    if sys.platform.startswith("linux"):
        with suppress(AttributeError, OSError):
            thread = threading.get_native_id()
            if os.getpriority(os.PRIO_PROCESS, thread) < nice:
                os.setpriority(os.PRIO_PROCESS, thread, nice)


def forks_workers() -> bool:
    """Whether worker processes are forked from this process (see :func:`worker_context`)."""
    return threading.active_count() == 1 or "forkserver" not in multiprocessing.get_all_start_methods()


def worker_context(preload: Sequence[str] = ("inventory.reading",)) -> BaseContext | None:
    """How worker processes start: forked from this process (the quickest) when it runs one thread,
    as the CLI does (None: the default). When other threads run, as in the dashboard's server, a
    worker forked while one of them held a lock (in a library, or an import under way) could wait for
    it for ever: the workers are forked by a fork server instead, a clean process started once, which
    imports the ``preload`` modules for them (its start costs the first pool about a second)."""
    if forks_workers():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


def _read_in(pool: Executor, files: list[list[_Job]], workers: int) -> list[FileResult]:
    """The files read by the workers of ``pool``, in order: the parts of large files first, one task
    each, so that they spread over the workers, then the other files in chunks. If a worker dies
    (killed for memory, say), the pool is broken: what was not read yet is read in this process
    instead, so the workers only ever make a read faster, never decide whether it succeeds."""
    split = [job for jobs in files if len(jobs) > 1 for job in jobs]
    whole = [jobs[0] for jobs in files if len(jobs) == 1]
    reads: dict[int, _Read] = {}  # by id of the job
    try:
        futures = [(job, pool.submit(_read_one, job)) for job in split]
        chunksize = max(1, len(whole) // (workers * 8))
        for job, read in zip(whole, pool.map(_read_one, whole, chunksize=chunksize), strict=False):
            reads[id(job)] = _result(job, read)
        for job, future in futures:
            reads[id(job)] = _result(job, future.result())
    except BrokenExecutor:
        pass
    return [_one_file(jobs, [reads[id(job)] if id(job) in reads else _read_here(job) for job in jobs])
            for jobs in files]


def results_digest(results: Sequence[FileResult]) -> str | None:
    """A digest of everything read from the files (each result's location, folder and digest, in order): two
    runs with the same digest read the same, whatever bytes changed in between (a comment, a field
    no reader looks at). None when a result's digest is unknown (read without a cache)."""
    digest = hashlib.sha256()
    for r in results:
        if not r.digest:
            return None
        digest.update(f"{r.location}\0{r.folder}\0{r.digest}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _dotenv_accounts(inputs: InputSet, results: Sequence[FileResult]) -> tuple[list[InputAccount], list[Skipped]]:
    compose_folders = {r.folder for r in results if any(f.format == compose.READER for f in r.fragments)}
    accounts: list[InputAccount] = []
    skipped: list[Skipped] = []
    for folder, location in sorted(inputs.dotenv_locations.items()):
        if folder in compose_folders:
            accounts.append(InputAccount(location, "dotenv", 1, 1, 0))
        else:
            accounts.append(InputAccount(location, "dotenv", 1, 0, 1))
            skipped.append(Skipped(location, "a .env file with no Compose file beside it to interpolate"))
    return accounts, skipped


def resolve_results(inputs: InputSet, results: Sequence[FileResult],
                    options: ReadOptions = DEFAULT_OPTIONS, *, extra_fragments: Sequence[Fragment] = (),
                    extra_skipped: Sequence[Skipped] = (), extra_accounts: Sequence[InputAccount] = ()
                    ) -> Inventory:
    """Resolve the per-file results of :func:`read_inputs` (and fragments from live sources) into one
    inventory."""
    fragments = [f for r in results for f in r.fragments] + list(extra_fragments)
    skipped = list(inputs.skipped) + list(extra_skipped)
    accounts = [r.account for r in results] + list(extra_accounts)
    for r in results:
        skipped.extend(r.skipped)
    env_accounts, env_skipped = _dotenv_accounts(inputs, results)
    return resolve(fragments, options=options, extra_skipped=skipped + env_skipped,
                   extra_accounts=accounts + env_accounts)


def build_inventory(inputs: InputSet, options: ReadOptions = DEFAULT_OPTIONS, *, workers: int = 1) -> Inventory:
    """Read and resolve an input set into one inventory."""
    return resolve_results(inputs, read_inputs(inputs, options, workers=workers), options)


def read_paths(paths: Iterable[str | os.PathLike[str]], options: ReadOptions = DEFAULT_OPTIONS, *,
               workers: int = 1) -> Inventory:
    """The inventory of files, folders (recursively) and ``.zip`` archives at ``paths``."""
    return build_inventory(collect(paths, options.limits), options, workers=workers)


def read_uploads(uploads: Iterable[tuple[str, bytes]], options: ReadOptions = DEFAULT_OPTIONS) -> Inventory:
    """The inventory of in-memory files, as the dashboard receives them."""
    return build_inventory(from_uploads(uploads, options.limits), options)


# Last, because the trace readers register themselves into STREAM_READERS defined above.
from inventory import sourcecode  # noqa: E402, F401, I001  (registers the source scanner)
from inventory import traces  # noqa: E402, F401  (registers the trace readers)
