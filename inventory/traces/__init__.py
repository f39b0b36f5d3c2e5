"""Observed edges: readers for trace dumps and mesh telemetry, recognised by content.

One module per format, each a pure parsing part plus a thin ``read`` over a byte stream:

* :mod:`~inventory.traces.jaeger`: the ``/api/dependencies`` answer and Jaeger trace JSON;
* :mod:`~inventory.traces.otlp`: OTLP JSON and JSONL (the collector's file exporter);
* :mod:`~inventory.traces.zipkin`: Zipkin v1 and v2 span arrays;
* :mod:`~inventory.traces.alibaba`: Alibaba's microservices call-graph CSV (v2021, v2022);
* :mod:`~inventory.traces.mesh`: Prometheus answers over ``istio_requests_total`` and Kiali graphs.

The span formats share the span -> dependency algorithm of :mod:`~inventory.traces.spans` and every
reader tallies into :class:`~inventory.traces.edges.EdgeBook`, which emits one claim per distinct
edge with its call count as ``weight``, its errors and operations. Files are streamed with flat
memory (plain or gzip: :meth:`~inventory.sources.InputFile.open_stream` decompresses on the fly).

Importing this package registers the readers in :data:`inventory.reading.STREAM_READERS` (the
reader names map to the *observed* basis in :data:`inventory.model.READER_BASIS`). Every file
format is sniffed from its first 64 KB, so the order below only matters for files that could look
like two formats (none of these do).
"""

from __future__ import annotations

from collections.abc import Callable

from inventory import reading
from inventory.errors import InputError
from inventory.model import Fragment, Skipped
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces import alibaba, jaeger, mesh, otlp, zipkin
from inventory.traces.edges import TraceSummary

__all__ = ["TRACE_READERS", "TraceSummary"]

_Read = Callable[[InputFile, object, ReadOptions], Fragment]


def _guarded(name: str, read: _Read) -> _Read:
    """``read``, with an unexpected failure (a bug) turned into one skipped entry instead of a crash:
    one reader's bug must not lose the other files. Input and OS errors go to the dispatcher as usual."""

    def guarded(item: InputFile, context: object, options: ReadOptions) -> Fragment:
        try:
            return read(item, context, options)
        except (InputError, OSError):
            raise
        except Exception as exc:  # a bug in one reader must not lose the other files
            reason = f"could not be read by the {name} reader ({type(exc).__name__}: {str(exc)[:120]})"
            return Fragment(item.location, name, documents=1, skipped=[Skipped(item.location, reason)])

    return guarded


TRACE_READERS: tuple[reading.StreamReader, ...] = tuple(
    reading.StreamReader(name, sniff, _guarded(name, read)) for name, sniff, read in (
        (otlp.READER, otlp.sniff, otlp.read),
        (jaeger.READER, jaeger.sniff, jaeger.read),
        (zipkin.READER, zipkin.sniff, zipkin.read),
        (alibaba.READER, alibaba.sniff, alibaba.read),
        (mesh.PROMETHEUS, mesh.sniff_prometheus, mesh.read_prometheus),
        (mesh.KIALI, mesh.sniff_kiali, mesh.read_kiali),
    ))

for _reader in TRACE_READERS:
    if all(r.name != _reader.name for r in reading.STREAM_READERS):
        reading.STREAM_READERS.append(_reader)
