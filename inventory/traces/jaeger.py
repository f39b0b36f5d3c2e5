"""Jaeger: the ``/api/dependencies`` answer, and trace JSON as the UI downloads it.

**Dependencies** (``{"data": [{"parent", "child", "callCount"}], ...}``, or a bare list of links):
one record per link; each becomes a claim parent -> child whose weight is ``callCount``. An empty
answer is not an error but a known gap, and is reported as such: Jaeger computes links itself only
for its memory and Badger storage; with Cassandra, Elasticsearch or OpenSearch they exist only when
the ``spark-dependencies`` job runs.

**Traces** (``{"data": [trace, ...]}``, a bare trace object, or a list of traces; each trace holds
``spans`` and ``processes``): the service of a span is ``processes[span.processID].serviceName``
(or an inline ``process``); the parent is the first ``CHILD_OF`` reference, else the first reference
of any type; a reference into another trace is a link; ``FOLLOWS_FROM`` marks an asynchronous
hand-off. Tags give the span kind (``span.kind``), errors (``error=true``) and the peer attributes
the edge rules read (:mod:`inventory.traces.spans`). Root spans' ``sampler.type``/``sampler.param``
tags are reported as the sampling in force.

Both are walked element by element (:mod:`inventory.traces.jsonstream`), one trace in memory at a
time; each trace is evaluated as soon as it has been read. One record is one span (or one link).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import BinaryIO

from inventory.model import Fragment
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces.edges import EdgeBook
from inventory.traces.jsonstream import GuardedStream, JsonStream, JsonStreamError
from inventory.traces.spans import WANTED_ATTRIBUTES, SpanGraph, make_span

READER = "jaeger"

EMPTY_DEPENDENCIES = (
    "the Jaeger dependencies answer holds no links: Jaeger computes them itself only with memory or Badger "
    "storage; with Cassandra, Elasticsearch or OpenSearch they exist only when the spark-dependencies job runs "
    "(run it, or give the advisor trace files instead)"
)
_DATA_FIRST = re.compile(rb'^\s*\{[^\[{]*"data"\s*:\s*\[')
_DEPENDENCIES = re.compile(rb'^\s*(?:\{[^\[{]*"data"\s*:\s*)?\[\s*(?:\]|\{[^{}]*"(?:parent|child|callCount)"\s*:)')
_PROCESS_TAGS = frozenset({"k8s.namespace.name", "telemetry.sdk.language", "jaeger.version"})


def sniff_dependencies(head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf")
    return bool(_DEPENDENCIES.match(head)) and (b'"callCount"' in head or b'"data"' in head)


def sniff_traces(head: bytes) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return head[:1] in (b"{", b"[") and b'"traceID"' in head and b'"spans"' in head and (
        b'"processes"' in head or b'"processID"' in head or b'"process"' in head)


def sniff(head: bytes, location: str) -> bool:
    return sniff_dependencies(head) or sniff_traces(head)


# --------------------------------------------------------------------------------------------
# Dependencies
# --------------------------------------------------------------------------------------------


class DependencyReading:
    """Links of a dependencies answer, added one by one (from a file or the live query service)."""

    def __init__(self, location: str) -> None:
        self.book = EdgeBook(READER, location)
        self.links = 0

    def add(self, link: object, where: str) -> None:
        book = self.book
        book.records += 1
        self.links += 1
        if not isinstance(link, Mapping):
            book.skip(where, "a dependency link is not an object")
            return
        parent, child, count = link.get("parent"), link.get("child"), link.get("callCount", 1)
        if not isinstance(parent, str) or not parent.strip() or not isinstance(child, str) or not child.strip():
            book.skip(where, "a dependency link has no parent or child service name")
            return
        if isinstance(count, bool) or not isinstance(count, int | float) or count < 0:
            book.skip(where, f"the link {parent} -> {child} has a callCount that is not a number of 0 or more "
                             f"({count!r})")
            return
        parent, child = parent.strip(), child.strip()
        book.used += 1
        for name in (parent, child):
            tally = book.service(name, where)
            tally.note = tally.note or "named in a Jaeger dependencies answer"
        if parent != child:
            book.edge(book.key(parent), book.key(child), where, weight=float(count))

    def fragment(self) -> Fragment:
        book = self.book
        if self.links == 0:
            book.records += 1
            book.skip(book.location, EMPTY_DEPENDENCIES)
        return book.fragment(book.summary())


def parse_dependencies(links: Iterable[object], *, location: str) -> Fragment:
    """The fragment of a dependencies answer's ``data`` list (e.g. fetched over HTTP)."""
    reading = DependencyReading(location)
    for link in links:
        reading.add(link, location)
    return reading.fragment()


# --------------------------------------------------------------------------------------------
# Traces
# --------------------------------------------------------------------------------------------


def _tags(items: object, wanted: frozenset[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    if isinstance(items, list):
        for tag in items:
            if isinstance(tag, dict):
                key = tag.get("key")
                if isinstance(key, str) and key in wanted:
                    out[key] = tag.get("value")
    return out


def _runtime(tags: Mapping[str, object]) -> str | None:
    language = tags.get("telemetry.sdk.language")
    if isinstance(language, str) and language:
        return language.lower()
    version = tags.get("jaeger.version")
    if isinstance(version, str) and "-" in version:
        return version.split("-", 1)[0].lower() or None
    return None


class TraceReading:
    """Jaeger traces added one trace object at a time."""

    def __init__(self, location: str) -> None:
        self.book = EdgeBook(READER, location)
        self.graph = SpanGraph(self.book)
        self.location = location

    def trace(self, trace: object, line: int) -> None:
        book, graph = self.book, self.graph
        where = f"{self.location}:{line}"
        if isinstance(trace, list) or (isinstance(trace, dict) and isinstance(trace.get("data"), list)
                                       and "spans" not in trace):
            for element in trace if isinstance(trace, list) else trace["data"]:
                self.trace(element, line)
            return
        spans = trace.get("spans") if isinstance(trace, dict) else None
        if not isinstance(trace, dict) or not isinstance(spans, list):
            book.records += 1
            book.skip(where, "is not a Jaeger trace (an object with a spans list)")
            return
        processes = trace.get("processes")
        processes = processes if isinstance(processes, dict) else {}
        services: dict[str, str] = {}
        for pid, process in processes.items():
            if isinstance(process, dict) and isinstance(process.get("serviceName"), str):
                name = process["serviceName"].strip()
                if name:
                    services[pid] = name
                    tags = _tags(process.get("tags"), _PROCESS_TAGS)
                    tally = book.service(name, where)
                    namespace = tags.get("k8s.namespace.name")
                    if isinstance(namespace, str) and namespace and tally.namespace is None:
                        tally.namespace = namespace
                    tally.runtime = tally.runtime or _runtime(tags)
        default_trace = trace.get("traceID")
        touched: set[str] = set()
        for raw in spans:
            book.records += 1
            if not isinstance(raw, dict):
                book.skip(where, "a span is not an object")
                continue
            trace_id, span_id = raw.get("traceID") or default_trace, raw.get("spanID")
            if not isinstance(trace_id, str) or not trace_id or not isinstance(span_id, str) or not span_id:
                book.skip(where, "a span has no traceID or spanID")
                continue
            process_id = raw.get("processID")
            service = services.get(process_id) if isinstance(process_id, str) else None
            inline = raw.get("process")
            if service is None and isinstance(inline, dict) and isinstance(inline.get("serviceName"), str):
                service = inline["serviceName"].strip() or None
            if service is None:
                book.skip(where, f"span {span_id} names no process with a serviceName")
                continue
            parent, follows, links = _references(raw, trace_id)
            tags = _tags(raw.get("tags"), WANTED_ATTRIBUTES)
            if "sampler.type" in tags:
                graph.sampling.add(f"{tags['sampler.type']} {tags.get('sampler.param', '')}".strip())
            name = raw.get("operationName")
            span = make_span(span_id, parent, service, 0, name if isinstance(name, str) else "", tags,
                             location=where, follows=follows, links=links)
            if graph.add(trace_id, span):
                book.used += 1
                touched.add(trace_id)
            else:
                book.skip(where, f"span {span_id} repeats a span id of trace {trace_id}")
        for trace_id in touched:
            graph.close(trace_id)

    def fragment(self, raw: GuardedStream | None = None) -> Fragment:
        if raw is not None and raw.problem:
            self.book.records += 1
            self.book.skip(self.location, f"{raw.problem}; what came before was read", always=True)
        return self.book.fragment(self.graph.finish())


def _references(span: Mapping[str, object], trace_id: str) -> tuple[str | None, bool, tuple[tuple[str, str], ...]]:
    refs = span.get("references")
    chosen: dict[str, object] | None = None
    links: list[tuple[str, str]] = []
    if isinstance(refs, list):
        usable = [r for r in refs if isinstance(r, dict) and isinstance(r.get("spanID"), str)]
        same = [r for r in usable if r.get("traceID") in (None, trace_id)]
        chosen = next((r for r in same if r.get("refType") == "CHILD_OF"), same[0] if same else None)
        for r in usable:
            other = r.get("traceID")
            if isinstance(other, str) and other != trace_id:
                links.append((other, r["spanID"]))
    if chosen is None:
        legacy = span.get("parentSpanID")
        if isinstance(legacy, str) and legacy.strip("0"):
            return legacy, False, tuple(links)
        return None, False, tuple(links)
    return str(chosen["spanID"]), chosen.get("refType") == "FOLLOWS_FROM", tuple(links)


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def read_stream(stream: BinaryIO, location: str, *, head: bytes, max_record_bytes: int) -> Fragment:
    """Read a Jaeger dependencies answer or trace file from a decompressed byte stream."""
    raw = GuardedStream(stream)
    walker = JsonStream(raw, max_value_chars=max_record_bytes)
    data_first = bool(_DATA_FIRST.match(head.lstrip(b"\xef\xbb\xbf")))
    arrays = frozenset({"data"}) if data_first else frozenset()
    if sniff_dependencies(head):
        deps = DependencyReading(location)
        try:
            for item in walker.items(arrays=arrays):
                if item.array is not None:
                    deps.add(item.value, f"{location}:{item.line}")
                elif item.key is None and isinstance(item.value, dict) and isinstance(item.value.get("data"), list):
                    for link in item.value["data"]:
                        deps.add(link, f"{location}:{item.line}")
                elif item.key is None:
                    deps.book.records += 1
                    deps.book.skip(f"{location}:{item.line}", "is not a Jaeger dependencies answer")
        except JsonStreamError as exc:
            deps.book.records += 1
            deps.book.skip(f"{location}:{exc.line}", f"{exc.reason}; the rest of the file from this line was not read",
                  always=True)
        if raw.problem:
            deps.book.records += 1
            deps.book.skip(location, f"{raw.problem}; what came before was read", always=True)
        return deps.fragment()
    reading = TraceReading(location)
    try:
        for item in walker.items(arrays=arrays):
            if item.array is not None or item.key is None:
                reading.trace(item.value, item.line)
    except JsonStreamError as exc:
        reading.book.records += 1
        reading.book.skip(f"{location}:{exc.line}", f"{exc.reason}; the rest of the file from this line was not read",
                  always=True)
    return reading.fragment(raw)


def read(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for Jaeger files (plain or gzip)."""
    head = item.head(64 * 1024)
    with item.open_stream() as raw:
        return read_stream(raw, item.location, head=head, max_record_bytes=options.limits.max_file_bytes)
