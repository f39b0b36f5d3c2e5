"""OpenTelemetry traces as OTLP JSON: one document, or JSONL as the collector's file exporter writes.

Recognised by a document that opens with ``resourceSpans`` (or ``resource_spans``, or Jaeger v2's
``{"result": {"resourceSpans": ...}}``). Accepted encodings (OTLP "JSON Protobuf Encoding"):
lowerCamelCase and snake_case field names, ``scopeSpans`` and the old ``instrumentationLibrarySpans``,
hex ids, integer and named span kinds (``2``, ``"SPAN_KIND_SERVER"``), int64 values as strings.
The service is the resource's ``service.name``; ``k8s.namespace.name`` gives the namespace and
``telemetry.sdk.language`` the runtime. The edge rules are in :mod:`inventory.traces.spans`.

Streaming: a JSONL file is read line by line; a single document (pretty-printed or not) is walked
with :class:`~inventory.traces.jsonstream.JsonStream` one ``resourceSpans`` element at a time. One
record is one span; a line that is not JSON, or a ``resourceSpans`` entry that is not usable, is one
skipped record with its line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import BinaryIO

from inventory.model import Fragment
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces.edges import EdgeBook
from inventory.traces.jsonstream import GuardedStream, JsonStream, JsonStreamError
from inventory.traces.spans import WANTED_ATTRIBUTES, SpanGraph, make_span, span_kind

READER = "otlp"

_OPENING = re.compile(rb'^\s*\{\s*"(?:resourceSpans|resource_spans)"\s*:|^\s*\{\s*"result"\s*:\s*\{\s*"resourceSpans"')
_RESOURCE_KEYS = frozenset({"service.name", "k8s.namespace.name", "telemetry.sdk.language", "service.namespace"})
_VALUE_KEYS = ("stringValue", "string_value", "intValue", "int_value", "boolValue", "bool_value",
               "doubleValue", "double_value")
_NO_ID = frozenset({"", "0000000000000000", "00000000000000000000000000000000", "AAAAAAAAAAA="})


def sniff(head: bytes, location: str) -> bool:
    """An OTLP JSON document or JSONL line opens with ``resourceSpans``."""
    return bool(_OPENING.match(head.lstrip(b"\xef\xbb\xbf")))


def attributes(items: object, wanted: frozenset[str]) -> dict[str, object]:
    """The ``wanted`` keys of an OTLP attribute list, unwrapped from their value wrappers."""
    out: dict[str, object] = {}
    if not isinstance(items, list):
        return out
    for item in items:
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if not isinstance(key, str) or key not in wanted:
            continue
        value = item.get("value")
        if isinstance(value, dict):
            for name in _VALUE_KEYS:
                if name in value:
                    out[key] = value[name]
                    break
        elif value is not None:
            out[key] = value
    return out


def _field(obj: Mapping[str, object], camel: str, snake: str) -> object:
    value = obj.get(camel)
    return obj.get(snake) if value is None else value


def _id(value: object) -> str | None:
    if not isinstance(value, str) or value in _NO_ID:
        return None
    return value


class _OtlpReading:
    def __init__(self, location: str) -> None:
        self.book = EdgeBook(READER, location)
        self.graph = SpanGraph(self.book)
        self.location = location

    def document(self, doc: object, line: int) -> None:
        """One OTLP document (a JSONL line or a whole file)."""
        where = f"{self.location}:{line}"
        if isinstance(doc, dict) and isinstance(doc.get("result"), dict):
            doc = doc["result"]
        batches = _field(doc, "resourceSpans", "resource_spans") if isinstance(doc, dict) else None
        if not isinstance(batches, list):
            self.book.records += 1
            self.book.skip(where, "holds no OTLP resourceSpans list")
            return
        for i, batch in enumerate(batches):
            self.resource_spans(batch, line, f"resourceSpans[{i}]")

    def resource_spans(self, batch: object, line: int, label: str) -> None:
        book = self.book
        where = f"{self.location}:{line}"
        if not isinstance(batch, dict):
            book.records += 1
            book.skip(where, f"{label} is not an object")
            return
        resource = batch.get("resource")
        res = attributes(resource.get("attributes") if isinstance(resource, dict) else None, _RESOURCE_KEYS)
        service = res.get("service.name")
        scopes = (_field(batch, "scopeSpans", "scope_spans")
                  or _field(batch, "instrumentationLibrarySpans", "instrumentation_library_spans"))
        if not isinstance(scopes, list):
            book.records += 1
            book.skip(where, f"{label} has no scopeSpans (or instrumentationLibrarySpans) list")
            return
        if not isinstance(service, str) or not service.strip():
            count = sum(len(spans) for s in scopes
                        if isinstance(s, dict) and isinstance(spans := s.get("spans"), list)) or 1
            book.records += count
            for _ in range(count):
                book.skip(where, f"{label}: the resource has no service.name, so its spans belong to no service")
            return
        service = service.strip()
        tally = book.service(service, where)
        namespace, runtime = res.get("k8s.namespace.name"), res.get("telemetry.sdk.language")
        if isinstance(namespace, str) and namespace and tally.namespace is None:
            tally.namespace = namespace
        if isinstance(runtime, str) and runtime and tally.runtime is None:
            tally.runtime = runtime
        graph = self.graph
        for scope in scopes:
            spans = scope.get("spans") if isinstance(scope, dict) else None
            if not isinstance(spans, list):
                book.records += 1
                book.skip(where, f"{label}: a scope entry has no spans list")
                continue
            for raw in spans:
                book.records += 1
                if not isinstance(raw, dict):
                    book.skip(where, f"{label}: a span is not an object")
                    continue
                trace_id = _id(_field(raw, "traceId", "trace_id"))
                span_id = _id(_field(raw, "spanId", "span_id"))
                if trace_id is None or span_id is None:
                    book.skip(where, f"{label}: a span has no traceId or spanId")
                    continue
                status = raw.get("status")
                code = status.get("code") if isinstance(status, dict) else None
                error = code in (2, "2", "STATUS_CODE_ERROR")
                links: tuple[tuple[str, str], ...] = ()
                raw_links = raw.get("links")
                if isinstance(raw_links, list) and raw_links:
                    links = tuple((t, s) for link in raw_links if isinstance(link, dict)
                                  for t, s in [(_id(_field(link, "traceId", "trace_id")),
                                                _id(_field(link, "spanId", "span_id")))]
                                  if t is not None and s is not None)
                name = raw.get("name")
                span = make_span(span_id, _id(_field(raw, "parentSpanId", "parent_span_id")), service,
                                 span_kind(raw.get("kind")), name if isinstance(name, str) else "",
                                 attributes(raw.get("attributes"), WANTED_ATTRIBUTES), error=error,
                                 location=where, links=links)
                if graph.add(trace_id, span):
                    book.used += 1
                else:
                    book.skip(where, f"{label}: span {span_id} repeats a span id of trace {trace_id}")

    def fragment(self, raw: GuardedStream) -> Fragment:
        if raw.problem:
            self.book.records += 1
            self.book.skip(self.location, f"{raw.problem}; what came before was read", always=True)
        return self.book.fragment(self.graph.finish())


def _is_jsonl(head: bytes) -> bool:
    first, newline, _rest = head.lstrip().partition(b"\n")
    if not newline:
        return False
    try:
        json.loads(first)
    except ValueError:
        return False
    return True


def read_stream(stream: BinaryIO, location: str, *, jsonl: bool, max_record_bytes: int) -> Fragment:
    """Read OTLP spans from a decompressed byte stream (JSONL line by line, else one document)."""
    reading = _OtlpReading(location)
    book = reading.book
    raw = GuardedStream(stream)
    if jsonl:
        line_no = 0
        while True:
            line = raw.readline(max_record_bytes + 1)
            if not line:
                break
            line_no += 1
            if len(line) > max_record_bytes and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = raw.readline(1 << 20)
                book.records += 1
                book.skip(f"{location}:{line_no}",
                          f"the line is longer than {max_record_bytes:,} bytes; it was not read")
                continue
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as exc:
                book.records += 1
                book.skip(f"{location}:{line_no}", f"is not valid JSON ({str(exc).split(':')[0]})")
                continue
            except RecursionError:
                book.records += 1
                book.skip(f"{location}:{line_no}", "is nested too deeply to read")
                continue
            reading.document(doc, line_no)
        return reading.fragment(raw)
    walker = JsonStream(raw, max_value_chars=max_record_bytes)
    try:
        for item in walker.items(arrays=frozenset({"resourceSpans", "resource_spans"}), descend=frozenset({"result"})):
            if item.array:
                reading.resource_spans(item.value, item.line, f"{item.array} entry")
            elif item.key is None:
                reading.document(item.value, item.line)
    except JsonStreamError as exc:
        book.records += 1
        book.skip(f"{location}:{exc.line}", f"{exc.reason}; the rest of the file from this line was not read",
                  always=True)
    return reading.fragment(raw)


def read(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for OTLP files (plain or gzip)."""
    head = item.head(64 * 1024)
    with item.open_stream() as raw:
        return read_stream(raw, item.location, jsonl=_is_jsonl(head), max_record_bytes=options.limits.max_file_bytes)
