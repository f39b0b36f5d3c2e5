"""Service-mesh telemetry: Prometheus query results over Istio metrics, and Kiali graph JSON.

**Prometheus** (``{"status": "success", "data": {"resultType": "vector"|"matrix", "result": [...]}}``,
or just its ``data``): each series whose labels name a source and a destination is one edge.
A side is named by ``*_canonical_service``, else ``*_app``, else ``*_workload`` (and, for the
destination, ``destination_service_name``), so that the versions of one service (``reviews-v1``,
``reviews-v2``) are one service; the workloads are kept on the record. Istio's ``unknown`` (traffic
from outside the mesh) names nothing and such series are skipped with that reason. The value is the
sample of a ``vector``; for a ``matrix`` the last sample, except for a raw counter series (one that
still has ``__name__``), whose increase over the range is taken (counter resets handled). A series
with a ``response_code`` label counts its value as errors when the code is 5xx. Query an *increase*
(``sum by (...) (increase(istio_requests_total{reporter="source"}[7d]))``) so that the weight is a
number of requests.

**Kiali** (``{"elements": {"nodes": [...], "edges": [...]}, "duration": 600}``): nodes are resolved
by id; a node's name is its ``app`` (workload and versioned-app graphs), its ``service`` (service
nodes and ServiceEntries) or its ``workload``; box nodes only group. An edge's HTTP/gRPC rate times
the graph's ``duration`` is its request count and ``httpPercentErr``/``grpcPercentErr`` its error
share; a TCP edge (bytes per second) counts once.

These answers are small: each file is read whole (up to the per-file size limit). One record is one
series (Prometheus) or one node or edge (Kiali).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from inventory.errors import LimitExceeded
from inventory.model import Fragment
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces.edges import EdgeBook

PROMETHEUS = "prometheus"
KIALI = "kiali"

_UNKNOWN = frozenset({"", "unknown"})
_SOURCE_LABELS = ("source_canonical_service", "source_app", "source_workload")
_DESTINATION_LABELS = ("destination_canonical_service", "destination_app", "destination_workload",
                       "destination_service_name")
_PROM_OPENING = re.compile(rb'^\s*\{')
_RESULT_TYPE = re.compile(rb'"resultType"\s*:')
_KIALI = re.compile(rb'"elements"\s*:\s*\{')


def sniff_prometheus(head: bytes, location: str) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf")
    return bool(_PROM_OPENING.match(head)) and bool(_RESULT_TYPE.search(head))


def sniff_kiali(head: bytes, location: str) -> bool:
    head = head.lstrip(b"\xef\xbb\xbf")
    return bool(_PROM_OPENING.match(head)) and bool(_KIALI.search(head)) and b'"nodes"' in head


class _Lines:
    """The line of the i-th occurrence of a key in a JSON text (for ``file:line`` evidence)."""

    def __init__(self, location: str, text: str | None, key: str) -> None:
        self.location = location
        self.lines: list[int] = []
        if text:
            line, last = 1, 0
            for m in re.finditer(rf'"{re.escape(key)}"\s*:', text):
                line += text.count("\n", last, m.start())
                last = m.start()
                self.lines.append(line)

    def at(self, i: int) -> str:
        return f"{self.location}:{self.lines[i]}" if i < len(self.lines) else self.location


def _name(labels: Mapping[str, object], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = labels.get(key)
        if isinstance(value, str) and value.strip() not in _UNKNOWN:
            return value.strip()
    return None


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _series_value(series: Mapping[str, object], result_type: str, raw_counter: bool) -> float | None:
    if result_type == "vector":
        sample = series.get("value")
        return _number(sample[1]) if isinstance(sample, list) and len(sample) == 2 else None
    samples = series.get("values")
    if not isinstance(samples, list) or not samples:
        return None
    numbers = [_number(s[1]) if isinstance(s, list) and len(s) == 2 else None for s in samples]
    if any(n is None for n in numbers):
        return None
    values = [n for n in numbers if n is not None]
    if not raw_counter:
        return values[-1]
    increase = 0.0
    for before, after in itertools.pairwise(values):
        increase += after - before if after >= before else after
    return increase


def parse_prometheus(data: object, *, location: str, text: str | None = None) -> Fragment:
    """The fragment of one Prometheus query answer (``text`` gives line numbers when read from a file)."""
    book = EdgeBook(PROMETHEUS, location)
    lines = _Lines(location, text, "metric")
    body = data.get("data") if isinstance(data, dict) and "resultType" not in data else data
    if isinstance(data, dict) and data.get("status") == "error":
        book.records = 1
        book.skip(location, f"Prometheus answered an error: {data.get('errorType', '')}: {data.get('error', '')}"[:300])
        return book.fragment(book.summary())
    result_type = body.get("resultType") if isinstance(body, dict) else None
    result = body.get("result") if isinstance(body, dict) else None
    if result_type not in ("vector", "matrix") or not isinstance(result, list):
        book.records = 1
        book.skip(location, f"the query result is of type {result_type!r}, not a vector or matrix of series")
        return book.fragment(book.summary())
    if not result:
        book.records = 1
        book.skip(location, "the query returned no series: does this Prometheus scrape Istio's istio_requests_total, "
                            "and did traffic flow in the time range?")
        return book.fragment(book.summary())
    for i, series in enumerate(result):
        book.records += 1
        where = lines.at(i)
        metric = series.get("metric") if isinstance(series, dict) else None
        if not isinstance(metric, dict):
            book.skip(where, "a series has no metric labels")
            continue
        source, target = _name(metric, _SOURCE_LABELS), _name(metric, _DESTINATION_LABELS)
        if source is None or target is None:
            side = "source" if source is None else "destination"
            if any(k.startswith(side) for k in metric):
                book.skip(where, f"the {side} is 'unknown' (traffic from outside the mesh, or a workload without "
                                 "a sidecar)")
            else:
                book.skip(where, f"the series has no {side}_* labels (is it an Istio metric grouped by source and "
                                 "destination?)")
            continue
        value = _series_value(series, result_type, "__name__" in metric)
        if value is None:
            book.skip(where, "the series has no usable sample value")
            continue
        book.used += 1
        for name, side in ((source, "source"), (target, "destination")):
            tally = book.service(name, where)
            tally.note = f"named by Istio metrics ({side}_* labels)" if tally.note is None else tally.note
            workload = metric.get(f"{side}_workload")
            if isinstance(workload, str) and workload not in _UNKNOWN:
                tally.workloads.add(workload)
                if workload != name:
                    tally.aliases.add(workload)
            namespace = metric.get(f"{side}_workload_namespace")
            if isinstance(namespace, str) and namespace not in _UNKNOWN and tally.namespace is None:
                tally.namespace = namespace
        if source == target:
            continue
        code = metric.get("response_code")
        protocol = metric.get("request_protocol")
        errors = round(value) if isinstance(code, str) and code.startswith("5") else 0
        book.edge(book.key(source), book.key(target), where, weight=value, errors=errors,
                  error=False if isinstance(code, str) else None,
                  protocol=protocol if isinstance(protocol, str) else None, what="request")
    return book.fragment(book.summary())


def _node_name(node: Mapping[str, object]) -> tuple[str | None, str]:
    """A node's service name, or None with the reason it names none."""
    node_type = node.get("nodeType")
    if node.get("isBox") or node_type == "box" or node.get("isGroup"):
        return None, "box"
    if node_type == "unknown":
        return None, "Kiali's 'unknown' node (traffic from outside the mesh) is not a service"
    keys = ("service",) if node_type == "service" or node.get("isServiceEntry") else ("app", "workload", "service")
    name = _name(node, keys)
    if name is None:
        return None, f"a {node_type or 'graph'} node names no app, workload or service"
    return name, ""


def parse_kiali(data: object, *, location: str, text: str | None = None) -> Fragment:
    """The fragment of one Kiali graph answer (``text`` gives line numbers when read from a file)."""
    book = EdgeBook(KIALI, location)
    elements = data.get("elements") if isinstance(data, dict) else None
    nodes = elements.get("nodes") if isinstance(elements, dict) else None
    edges = elements.get("edges") if isinstance(elements, dict) else None
    if not isinstance(nodes, list):
        book.records = 1
        book.skip(location, "the Kiali graph has no elements.nodes list")
        return book.fragment(book.summary())
    duration = _number(data.get("duration")) if isinstance(data, dict) else None
    node_lines, edge_lines = _Lines(location, text, "nodeType"), _Lines(location, text, "source")
    names: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for i, wrapper in enumerate(nodes):
        book.records += 1
        where = node_lines.at(i)
        node = wrapper.get("data") if isinstance(wrapper, dict) else None
        node_id = node.get("id") if isinstance(node, dict) else None
        if not isinstance(node, dict) or not isinstance(node_id, str):
            book.skip(where, "a node has no data.id")
            continue
        name, reason = _node_name(node)
        if name is None:
            reasons[node_id] = reason
            if reason == "box":
                book.used += 1
            else:
                book.skip(where, reason)
            continue
        book.used += 1
        names[node_id] = name
        tally = book.service(name, where)
        tally.note = tally.note or "a node of a Kiali graph"
        workload = node.get("workload")
        if isinstance(workload, str) and workload not in _UNKNOWN:
            tally.workloads.add(workload)
        namespace = node.get("namespace")
        if isinstance(namespace, str) and namespace and tally.namespace is None:
            tally.namespace = namespace
    for i, wrapper in enumerate(edges if isinstance(edges, list) else []):
        book.records += 1
        where = edge_lines.at(i)
        edge = wrapper.get("data") if isinstance(wrapper, dict) else None
        if not isinstance(edge, dict):
            book.skip(where, "an edge has no data")
            continue
        ends = [edge.get("source"), edge.get("target")]
        resolved = [names.get(e) if isinstance(e, str) else None for e in ends]
        if resolved[0] is None or resolved[1] is None:
            missing = ends[0] if resolved[0] is None else ends[1]
            why = reasons.get(missing, "it is not in the node list") if isinstance(missing, str) else "it is missing"
            book.skip(where, f"an edge end ({missing!r}) names no service: {why}")
            continue
        book.used += 1
        source, target = str(resolved[0]), str(resolved[1])
        if source == target:
            continue
        raw_traffic = edge.get("traffic")
        traffic: dict[str, object] = raw_traffic if isinstance(raw_traffic, dict) else {}
        raw_protocol, raw_rates = traffic.get("protocol"), traffic.get("rates")
        protocol = raw_protocol if isinstance(raw_protocol, str) else None
        rates: dict[str, object] = raw_rates if isinstance(raw_rates, dict) else {}
        rate = _number(rates.get(protocol)) if protocol in ("http", "grpc") else None
        if rate is not None and duration:
            calls = rate * duration
            share = _number(rates.get(f"{protocol}PercentErr")) or 0.0
            book.edge(book.key(source), book.key(target), where, weight=calls, errors=round(calls * share / 100),
                      error=False, protocol=protocol, what="request")
        else:
            book.edge(book.key(source), book.key(target), where, protocol=protocol,
                      what="connection" if protocol == "tcp" else "call")
    return book.fragment(book.summary())


def _load(item: InputFile, options: ReadOptions) -> tuple[object, str] | tuple[None, str]:
    limit = options.limits.max_file_bytes
    try:
        with item.open_stream() as raw:
            data = _read_bounded(raw, limit, item.location)
    except (EOFError, zlib.error) as exc:
        return None, f"the compressed stream is cut or corrupt: {exc}"
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        return json.loads(text), text
    except ValueError as exc:
        return None, str(exc)
    except RecursionError:
        return None, "it is nested too deeply to read"


def _read_bounded(raw: BinaryIO, limit: int, location: str) -> bytes:
    data = raw.read(limit + 1)
    if len(data) > limit:
        raise LimitExceeded(location, f"is more than the {limit:,}-byte limit per file; it was not read")
    return data


def _unreadable(reader: str, location: str, reason: str) -> Fragment:
    book = EdgeBook(reader, location)
    book.records = 1
    book.skip(location, f"is not valid JSON ({reason})")
    return book.fragment(book.summary())


def read_prometheus(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for saved Prometheus answers."""
    data, text = _load(item, options)
    if data is None:
        return _unreadable(PROMETHEUS, item.location, text)
    return parse_prometheus(data, location=item.location, text=text)


def read_kiali(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for saved Kiali graphs."""
    data, text = _load(item, options)
    if data is None:
        return _unreadable(KIALI, item.location, text)
    return parse_kiali(data, location=item.location, text=text)
