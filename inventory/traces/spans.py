"""Spans in one normal form, and the span -> service dependency algorithm over a stream of them.

Every trace format (OTLP, Jaeger, Zipkin) is turned into :class:`Span` values; :class:`SpanGraph`
collects them per trace and, when a trace is complete (or must be closed to keep memory flat),
applies the edge rules and counts the result into an :class:`~inventory.traces.edges.EdgeBook`:

1. **Parent edges** (Jaeger's own rule): a span whose parent span runs in another service is one
   call parent-service -> child-service, with the child's operation and error status.
   A PRODUCER parent or a CONSUMER child makes it a message hand-off instead (rule 3);
   a ``FOLLOWS_FROM`` reference makes it an ``async`` edge.
2. **Uninstrumented peers**: a CLIENT span (or a PRODUCER, or an unspecified span naming a peer)
   with no child in another service calls the peer it names, first of: ``service.peer.name`` /
   ``peer.service`` (a service), ``db.system.name`` / ``db.system`` with ``db.namespace`` (a
   datastore: by its ``server.address`` when that is a host name, else a datastore named
   ``<system>-<namespace>``), ``rpc.service`` (its last dotted part, e.g. ``myorg.Orders`` ->
   ``Orders``), ``server.address`` (a host the resolver looks up among the manifests).
3. **Messaging**: a PRODUCER span with a destination (``messaging.destination.name`` and its older
   names) is a ``produce`` claim on that topic, a CONSUMER span a ``consume`` claim; the resolver
   pairs producers and consumers of one topic into producer -> consumer edges ``via`` it. A
   consumer without a destination takes its producer's (through the parent or a span link), and the
   other way round; a producer -> consumer pair with no destination at all is a direct ``async`` edge.
4. **Links** (OTel ``links``, Jaeger references into another trace): a linked span in another
   service is an ``async`` hand-off, unless messaging destinations already cover it.

**Bounded memory.** A stream does not say when a trace is complete. Open traces are kept in
insertion/recency order; when more than ``max_open_spans`` spans are open the least recently
touched traces are closed and evaluated. A span that arrives after its trace was closed still finds
its parent's service in a bounded index of recently closed spans (``max_recent``); beyond that it
counts as an orphan, and late arrivals are counted in the summary. Formats that deliver whole
traces (Jaeger trace JSON, Zipkin trace lists) close each trace at once.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from inventory.addresses import SCHEME_TECHNOLOGY, split_cluster_host
from inventory.model import Address, NamedTarget
from inventory.traces.edges import EdgeBook, TraceSummary, datastore_role, is_ip

UNSPECIFIED, INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER = range(6)
_KIND_NAMES = {
    "unspecified": UNSPECIFIED, "internal": INTERNAL, "server": SERVER, "client": CLIENT,
    "producer": PRODUCER, "consumer": CONSUMER,
}

#: The span attributes (tags) the edge rules read; everything else is never copied.
WANTED_ATTRIBUTES = frozenset({
    "service.peer.name", "peer.service", "db.system.name", "db.system", "db.namespace", "db.name",
    "rpc.service", "rpc.system", "server.address", "server.port", "net.peer.name", "net.peer.port", "http.host",
    "url.full", "http.url", "messaging.system", "messaging.destination.name", "messaging.destination",
    "message_bus.destination", "kafka.topic", "messaging.operation.type", "messaging.operation",
    "http.method", "http.request.method", "error", "otel.status_code", "span.kind", "sampler.type", "sampler.param",
})
_DESTINATION_KEYS = ("messaging.destination.name", "messaging.destination", "message_bus.destination", "kafka.topic")
_SEND = frozenset({"publish", "send", "create"})
_RECEIVE = frozenset({"receive", "process", "deliver", "settle"})


def span_kind(value: object) -> int:
    """OTLP integer kinds, ``SPAN_KIND_CLIENT``-style names, and Jaeger/Zipkin ``client`` etc."""
    if isinstance(value, bool):
        return UNSPECIFIED
    if isinstance(value, int):
        return value if 0 <= value <= 5 else UNSPECIFIED
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdecimal() and len(text) < 3:
            return span_kind(int(text))
        if text.startswith("span_kind_"):
            text = text[10:]
        return _KIND_NAMES.get(text, UNSPECIFIED)
    return UNSPECIFIED


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _port(value: object) -> int | None:
    try:
        port = int(str(value))
    except (TypeError, ValueError):
        return None
    return port if 0 < port < 65536 else None


def is_error(value: object) -> bool:
    """A tag or attribute value that says the span failed (``error=true``, ``otel.status_code=ERROR``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return text not in ("", "false", "0", "ok", "unset", "none", "null")


class Span:
    """One span, reduced to what the edge rules need."""

    __slots__ = ("address", "db_namespace", "db_system", "destination", "error", "follows", "id", "kind",
                 "links", "location", "msg_system", "name", "parent", "peer", "port", "protocol", "rpc_service",
                 "service")

    def __init__(self, span_id: str, parent: str | None, service: str, kind: int, name: str, *,
                 error: bool = False, location: str = "", follows: bool = False,
                 links: tuple[tuple[str, str], ...] = ()) -> None:
        self.id = span_id
        self.parent = parent if parent != span_id else None
        self.service = service
        self.kind = kind
        self.name = name
        self.error = error
        self.location = location
        self.follows = follows
        self.links = links
        self.peer: str | None = None
        self.db_system: str | None = None
        self.db_namespace: str | None = None
        self.rpc_service: str | None = None
        self.address: str | None = None
        self.port: int | None = None
        self.msg_system: str | None = None
        self.destination: str | None = None
        self.protocol: str | None = None

    @property
    def names_peer(self) -> bool:
        return bool(self.peer or self.db_system or self.rpc_service or self.address)


def make_span(span_id: str, parent: str | None, service: str, kind: int, name: str,
              attributes: Mapping[str, object], *, error: bool = False, location: str = "",
              follows: bool = False, links: tuple[tuple[str, str], ...] = ()) -> Span:
    """A :class:`Span` with the peer, datastore, RPC and messaging fields read from ``attributes``.

    Newer semantic-convention names win over older ones; a CLIENT (or unspecified) span whose
    ``messaging.operation(.type)`` is ``publish``/``send`` counts as a PRODUCER, ``receive``/``process``
    as a CONSUMER (newer messaging conventions use CLIENT for some of these).
    """
    get = attributes.get
    if kind == UNSPECIFIED and "span.kind" in attributes:
        kind = span_kind(get("span.kind"))
    if not error and ("error" in attributes or "otel.status_code" in attributes):
        error = is_error(get("error", False)) or str(get("otel.status_code", "")).upper() == "ERROR"
    span = Span(span_id, parent, service, kind, name, error=error, location=location, follows=follows, links=links)
    span.peer = _text(get("service.peer.name")) or _text(get("peer.service"))
    db_system = _text(get("db.system.name")) or _text(get("db.system"))
    span.db_system = db_system.lower() if db_system else None
    span.db_namespace = _text(get("db.namespace")) or _text(get("db.name"))
    span.rpc_service = _text(get("rpc.service"))
    address = _text(get("server.address")) or _text(get("net.peer.name"))
    port = _port(get("server.port") or get("net.peer.port"))
    if address is None:
        host = _text(get("http.host"))
        url = _text(get("url.full")) or _text(get("http.url"))
        if host:
            address, _, maybe_port = host.partition(":")
            port = port or _port(maybe_port)
        elif url:
            try:
                parts = urlsplit(url)
                address, port = parts.hostname, port or parts.port
            except ValueError:
                address = None
    span.address = address.lower() if address else None
    span.port = port
    span.msg_system = _text(get("messaging.system"))
    for key in _DESTINATION_KEYS:
        destination = _text(get(key))
        if destination:
            span.destination = destination
            break
    if span.destination and kind in (CLIENT, UNSPECIFIED, INTERNAL):
        operation = (_text(get("messaging.operation.type")) or _text(get("messaging.operation")) or "").lower()
        if operation in _SEND:
            span.kind = PRODUCER
        elif operation in _RECEIVE:
            span.kind = CONSUMER
    rpc_system = _text(get("rpc.system"))
    if rpc_system:
        span.protocol = rpc_system
    elif span.msg_system:
        span.protocol = span.msg_system
    elif span.db_system:
        span.protocol = span.db_system
    elif "http.method" in attributes or "http.request.method" in attributes:
        span.protocol = "http"
    return span


class SpanGraph:
    """Collects spans per trace and counts the service edges they show into an :class:`EdgeBook`."""

    def __init__(self, book: EdgeBook, *, max_open_spans: int = 50_000, max_recent: int = 50_000) -> None:
        self.book = book
        self.max_open_spans = max_open_spans
        self.max_recent = max_recent
        self._open: OrderedDict[str, dict[str, Span]] = OrderedDict()
        self._open_spans = 0
        # keyed by hash((trace, span)): a 64-bit hash, so that the index holds no id strings
        self._recent: OrderedDict[int, tuple[str, int, str | None]] = OrderedDict()
        self._closed: OrderedDict[int, None] = OrderedDict()
        self._max_closed = max(max_recent // 5, 1)
        self.spans = 0
        self.traces = 0
        self.orphan_spans = 0
        self.traces_with_orphans = 0
        self.late_spans = 0
        self.unresolved_links = 0
        self.silent_clients = 0
        self.sampling: set[str] = set()

    def add(self, trace_id: str, span: Span) -> bool:
        """Add one span; False when the trace already holds a span with that id (a duplicate)."""
        spans = self._open.get(trace_id)
        if spans is None:
            spans = self._open[trace_id] = {}
            if hash(trace_id) in self._closed:
                self.late_spans += 1
        elif len(self._open) > 1:
            self._open.move_to_end(trace_id)
        old = spans.get(span.id)
        if old is not None:
            if {old.kind, span.kind} != {CLIENT, SERVER}:
                return False
            # Zipkin's shared span: client and server report one id; the server half is the parent
            # of whatever runs inside it, the client half keeps the original parent.
            client, server = (old, span) if old.kind == CLIENT else (span, old)
            client.id = f"{span.id}#client"
            server.parent = client.id
            spans[client.id] = client
            spans[server.id] = server
        else:
            spans[span.id] = span
        self._open_spans += 1
        self.spans += 1
        if self._open_spans > self.max_open_spans:
            self._evict()
        return True

    def close(self, trace_id: str) -> None:
        """The trace is complete (the format delivers whole traces): evaluate it now."""
        spans = self._open.pop(trace_id, None)
        if spans is not None:
            self._open_spans -= len(spans)
            self._finish_trace(trace_id, spans)

    def finish(self) -> TraceSummary:
        """Evaluate every trace still open and return the summary of the input."""
        while self._open:
            trace_id, spans = self._open.popitem(last=False)
            self._open_spans -= len(spans)
            self._finish_trace(trace_id, spans)
        return self.book.summary(
            spans=self.spans, traces=self.traces, orphan_spans=self.orphan_spans,
            traces_with_orphans=self.traces_with_orphans, late_spans=self.late_spans,
            unresolved_links=self.unresolved_links, silent_clients=self.silent_clients,
            sampling=tuple(sorted(self.sampling)),
        )

    # ------------------------------------------------------------------------------------------

    def _evict(self) -> None:
        floor = int(self.max_open_spans * 0.9)
        while self._open and self._open_spans > floor:
            trace_id, spans = self._open.popitem(last=False)
            self._open_spans -= len(spans)
            self._finish_trace(trace_id, spans)

    def _lookup(self, trace_id: str, span_id: str, own: Mapping[str, Span], same_trace: bool
                ) -> tuple[str, int, str | None, Span | None] | None:
        span = own.get(span_id) if same_trace else self._open.get(trace_id, {}).get(span_id)
        if span is not None:
            return span.service, span.kind, span.destination, span
        info = self._recent.get(hash((trace_id, span_id)))
        return (*info, None) if info is not None else None

    def _finish_trace(self, trace_id: str, spans: dict[str, Span]) -> None:
        book = self.book
        self.traces += 1
        seen_services: set[str] = set()
        crossed: set[str] = set()
        pairs: list[tuple[str, int, str | None, Span | None, Span]] = []
        hand_offs: list[tuple[str, Span, str]] = []
        dest: dict[str, str] = {s.id: s.destination for s in spans.values() if s.destination}
        orphaned = False
        for s in spans.values():
            if s.service not in seen_services:
                seen_services.add(s.service)
                book.service(s.service, s.location).traces += 1
            tally = book.service(s.service, s.location)
            tally.spans += 1
            if s.parent is not None:
                info = self._lookup(trace_id, s.parent, spans, True)
                if info is None:
                    tally.orphans += 1
                    self.orphan_spans += 1
                    orphaned = True
                elif info[0] != s.service:
                    crossed.add(s.parent)
                    pairs.append((info[0], info[1], info[2], info[3], s))
                    if info[1] == PRODUCER or s.kind == CONSUMER:
                        parent_dest = dest.get(s.parent) or info[2]
                        if s.id not in dest and parent_dest:
                            dest[s.id] = parent_dest
                        elif info[3] is not None and s.parent not in dest and s.id in dest:
                            dest[s.parent] = dest[s.id]
            for link_trace, link_span in s.links:
                info = self._lookup(link_trace, link_span, spans, link_trace == trace_id)
                if info is None:
                    self.unresolved_links += 1
                    continue
                if info[0] == s.service:
                    continue
                if s.kind == CONSUMER and s.id not in dest and info[2]:
                    dest[s.id] = info[2]
                if s.kind == CONSUMER and s.id in dest and info[1] == PRODUCER:
                    continue  # the topic claims pair them
                hand_offs.append((info[0], s, "link"))
        if orphaned:
            self.traces_with_orphans += 1

        for parent_service, parent_kind, parent_dest, parent, s in pairs:
            source = book.key(parent_service)
            target = book.key(s.service)
            if parent_kind == PRODUCER or s.kind == CONSUMER:
                if dest.get(s.id) or (parent is not None and dest.get(parent.id)) or parent_dest:
                    continue  # counted through the produce/consume claims on the destination
                book.edge(source, target, s.location, kind="async", protocol=s.msg_system or s.protocol,
                          operation=s.name, error=s.error, example=trace_id, what="message")
            elif s.follows:
                book.edge(source, target, s.location, kind="async", protocol=s.protocol, operation=s.name,
                          error=s.error, example=trace_id, what="hand-off")
            else:
                protocol = s.protocol or (parent.protocol if parent is not None else None)
                book.edge(source, target, s.location, protocol=protocol, operation=s.name, error=s.error,
                          example=trace_id)
        for source_service, s, _what in hand_offs:
            book.edge(book.key(source_service), book.key(s.service), s.location, kind="async",
                      protocol=s.msg_system or s.protocol, operation=s.name, error=s.error, example=trace_id,
                      what="hand-off")

        for s in spans.values():
            destination = dest.get(s.id)
            if destination and s.kind in (PRODUCER, CONSUMER):
                self._message(s, destination, trace_id)
            elif s.id not in crossed and (s.kind in (CLIENT, PRODUCER) or (s.kind == UNSPECIFIED and s.names_peer)):
                self._peer_edge(s, trace_id)
        self._remember(trace_id, spans.values())

    def _remember(self, trace_id: str, spans: Iterable[Span]) -> None:
        recent = self._recent
        for s in spans:
            recent[hash((trace_id, s.id))] = (s.service, s.kind, s.destination)
        while len(recent) > self.max_recent:
            recent.popitem(last=False)
        closed = self._closed
        closed[hash(trace_id)] = None
        while len(closed) > self._max_closed:
            closed.popitem(last=False)

    def _message(self, s: Span, destination: str, trace_id: str) -> None:
        role = "produce" if s.kind == PRODUCER else "consume"
        target = NamedTarget(name=destination, role="topic", technology=s.msg_system, create=True)
        self.book.edge(self.book.key(s.service), target, s.location, kind="async", via=destination, role=role,
                       protocol=s.msg_system, operation=s.name, error=s.error, example=trace_id, what="message")

    def _peer_edge(self, s: Span, trace_id: str) -> None:
        book = self.book
        source = book.key(s.service)
        if s.peer:
            if s.peer == s.service:
                return
            book.service(s.peer, s.location)
            book.edge(source, book.key(s.peer), s.location, protocol=s.protocol,
                      operation=s.name, error=s.error, example=trace_id)
            return
        if s.db_system:
            role, technology = datastore_role(s.db_system)
            namespace = s.db_namespace
            scheme_tech = SCHEME_TECHNOLOGY.get(s.db_system)
            if s.address and not is_ip(s.address) and scheme_tech:
                raw = f"{s.db_system}://{s.address}" + (f":{s.port}" if s.port else "") + (
                    f"/{namespace}" if namespace else "")
                target: Address | str = Address(s.address, s.port, s.db_system, namespace, raw, "url")
            else:
                name = s.address if s.address and not is_ip(s.address) else (
                    f"{s.db_system}-{namespace}" if namespace else s.db_system)
                target = book.datastore(name, role, technology, s.location)
            book.edge(source, target, s.location, kind="datastore", via=namespace, protocol=technology or s.db_system,
                      operation=s.name, error=s.error, example=trace_id)
            return
        if s.rpc_service:
            name = s.rpc_service.rsplit(".", 1)[-1] or s.rpc_service
            if name == s.service:
                return
            book.service(name, s.location).aliases.add(s.rpc_service)
            book.edge(source, book.key(name), s.location, protocol=s.protocol,
                      operation=s.name, error=s.error, example=trace_id)
            return
        if s.address and not is_ip(s.address) and s.address not in ("localhost",):
            candidates = split_cluster_host(s.address)
            if "." not in s.address or ".svc" in s.address:
                name = candidates[0][0]
                if name != s.service:
                    book.service(name, s.location)
                    book.edge(source, book.key(name), s.location, protocol=s.protocol,
                      operation=s.name, error=s.error, example=trace_id)
                return
            raw = s.address + (f":{s.port}" if s.port else "")
            book.edge(source, Address(s.address, s.port, None, None, raw, "hostport"), s.location,
                      protocol=s.protocol,
                      operation=s.name, error=s.error, example=trace_id)
            return
        self.silent_clients += 1
