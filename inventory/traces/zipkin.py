"""Zipkin JSON: v2 span arrays (``localEndpoint``, ``kind``, ``tags``) and v1 (``annotations``).

A file is an array of spans, or an array of traces (each an array of spans, as
``/api/v2/traces`` returns). Spans of one trace that arrive as one array are evaluated together at
once; a flat array is grouped by ``traceId`` with the bounded buffer of
:class:`~inventory.traces.spans.SpanGraph`.

* **v2**: the service is ``localEndpoint.serviceName``; ``kind`` is CLIENT/SERVER/PRODUCER/CONSUMER;
  a CLIENT or PRODUCER span's ``remoteEndpoint.serviceName`` names its peer (like ``peer.service``);
  an ``error`` tag marks a failure; Zipkin's *shared* spans (client and server reporting one id) are
  split into a client half and a server half, the server half being the parent of whatever ran
  inside it.
* **v1**: ``cs``/``cr`` annotations make the client half (in the annotation endpoint's service),
  ``sr``/``ss`` the server half, ``ms``/``mr`` a producer and a consumer; the ``sa`` binary
  annotation names the server of a client span that has no server half (an uninstrumented peer);
  ``lc`` names the service of a local span; an ``error`` binary annotation marks a failure.

One record is one span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import BinaryIO

from inventory.model import Fragment
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces.edges import EdgeBook
from inventory.traces.jsonstream import GuardedStream, JsonStream, JsonStreamError
from inventory.traces.spans import (
    CLIENT,
    CONSUMER,
    INTERNAL,
    PRODUCER,
    SERVER,
    WANTED_ATTRIBUTES,
    Span,
    SpanGraph,
    make_span,
    span_kind,
)

READER = "zipkin"

_OPENING = re.compile(rb"^\s*\[\s*(?:\[\s*)?\{")


def sniff(head: bytes, location: str) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf")
    return bool(_OPENING.match(head)) and b'"traceId"' in head and (
        b'"localEndpoint"' in head or b'"annotations"' in head or b'"binaryAnnotations"' in head
        or b'"remoteEndpoint"' in head) and b'"resourceSpans"' not in head


def _service(endpoint: object) -> str | None:
    if isinstance(endpoint, dict):
        name = endpoint.get("serviceName")
        if isinstance(name, str) and name.strip() and name.strip().lower() != "unknown":
            return name.strip()
    return None


class ZipkinReading:
    def __init__(self, location: str) -> None:
        self.book = EdgeBook(READER, location)
        self.graph = SpanGraph(self.book)
        self.location = location

    def element(self, value: object, line: int) -> None:
        """One element of the outer array: a span, or a whole trace (a list of spans)."""
        if isinstance(value, list):
            touched: set[str] = set()
            for span in value:
                trace_id = self.span(span, line)
                if trace_id:
                    touched.add(trace_id)
            for trace_id in touched:
                self.graph.close(trace_id)
        else:
            self.span(value, line)

    def span(self, raw: object, line: int) -> str | None:
        book = self.book
        where = f"{self.location}:{line}"
        book.records += 1
        if not isinstance(raw, dict):
            book.skip(where, "a Zipkin span is not an object")
            return None
        trace_id, span_id = raw.get("traceId"), raw.get("id")
        if not isinstance(trace_id, str) or not trace_id or not isinstance(span_id, str) or not span_id:
            book.skip(where, "a Zipkin span has no traceId or id")
            return None
        trace_id = trace_id.lower().rjust(32, "0")
        parent = raw.get("parentId") if isinstance(raw.get("parentId"), str) else None
        raw_name = raw.get("name")
        name = raw_name if isinstance(raw_name, str) else ""
        if "annotations" in raw or "binaryAnnotations" in raw:
            spans = self._v1(raw, span_id, parent, name, where)
        else:
            spans = self._v2(raw, span_id, parent, name, where)
        if not spans:
            book.skip(where, f"span {span_id} names no service (no localEndpoint or annotation endpoint)")
            return None
        added = False
        for span in spans:
            added = self.graph.add(trace_id, span) or added
        if added:
            book.used += 1
        else:
            book.skip(where, f"span {span_id} repeats a span id of trace {trace_id}")
        return trace_id

    def _v2(self, raw: Mapping[str, object], span_id: str, parent: str | None, name: str, where: str) -> list[Span]:
        service = _service(raw.get("localEndpoint"))
        if service is None:
            return []
        tags = raw.get("tags")
        attrs: dict[str, object] = {k: v for k, v in tags.items() if k in WANTED_ATTRIBUTES} \
            if isinstance(tags, dict) else {}
        kind = span_kind(raw.get("kind"))
        remote = _service(raw.get("remoteEndpoint"))
        if remote and kind in (PRODUCER, CONSUMER) and "messaging.system" not in attrs:
            attrs["messaging.system"] = remote  # Brave names the broker as the remote endpoint
        if remote and kind in (CLIENT, PRODUCER) and "peer.service" not in attrs:
            attrs["peer.service"] = remote
        error = isinstance(tags, dict) and "error" in tags
        return [make_span(span_id, parent, service, kind, name, attrs, error=error, location=where)]

    def _v1(self, raw: Mapping[str, object], span_id: str, parent: str | None, name: str, where: str) -> list[Span]:
        by_value: dict[str, str] = {}
        annotations = raw.get("annotations")
        for a in annotations if isinstance(annotations, list) else []:
            if isinstance(a, dict) and isinstance(a.get("value"), str):
                service = _service(a.get("endpoint"))
                if service:
                    by_value.setdefault(a["value"], service)
        attrs: dict[str, object] = {}
        error = False
        local = None
        binary = raw.get("binaryAnnotations")
        for b in binary if isinstance(binary, list) else []:
            if not isinstance(b, dict) or not isinstance(b.get("key"), str):
                continue
            key = b["key"]
            if key == "sa":
                peer = _service(b.get("endpoint"))
                if peer:
                    attrs.setdefault("peer.service", peer)
            elif key == "lc":
                local = _service(b.get("endpoint"))
            elif key == "error":
                error = True
            elif key in WANTED_ATTRIBUTES:
                attrs[key] = b.get("value")
            if key not in ("sa", "ca") and local is None:
                local = _service(b.get("endpoint"))
        client = by_value.get("cs") or by_value.get("cr")
        server = by_value.get("sr") or by_value.get("ss")
        producer, consumer = by_value.get("ms"), by_value.get("mr")
        spans = []
        if client:
            spans.append(make_span(span_id, parent, client, CLIENT, name, attrs, error=error, location=where))
        if server:
            server_attrs = {k: v for k, v in attrs.items() if k != "peer.service"}
            spans.append(make_span(span_id, parent, server, SERVER, name, server_attrs, error=error, location=where))
        if producer:
            spans.append(make_span(span_id, parent, producer, PRODUCER, name, attrs, error=error, location=where))
        if consumer:
            consumer_id = f"{span_id}#consumer" if producer else span_id
            spans.append(make_span(consumer_id, span_id if producer else parent, consumer, CONSUMER, name, attrs,
                                   error=error, location=where))
        if not spans and local:
            spans.append(make_span(span_id, parent, local, INTERNAL, name, attrs, error=error, location=where))
        return spans

    def fragment(self, raw: GuardedStream) -> Fragment:
        if raw.problem:
            self.book.records += 1
            self.book.skip(self.location, f"{raw.problem}; what came before was read", always=True)
        return self.book.fragment(self.graph.finish())


def read_stream(stream: BinaryIO, location: str, *, max_record_bytes: int) -> Fragment:
    """Read Zipkin spans from a decompressed byte stream, one outer array element at a time."""
    raw = GuardedStream(stream)
    reading = ZipkinReading(location)
    try:
        for item in JsonStream(raw, max_value_chars=max_record_bytes).items():
            reading.element(item.value, item.line)
    except JsonStreamError as exc:
        reading.book.records += 1
        reading.book.skip(f"{location}:{exc.line}", f"{exc.reason}; the rest of the file from this line was not read",
                  always=True)
    return reading.fragment(raw)


def read(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for Zipkin files (plain or gzip)."""
    with item.open_stream() as raw:
        return read_stream(raw, item.location, max_record_bytes=options.limits.max_file_bytes)
