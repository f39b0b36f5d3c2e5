"""Alibaba's microservices call-graph traces (``cluster-trace-microservices`` v2021 and v2022) as CSV.

Each row already is one call between two microservices, so no span tree needs rebuilding: the caller
``um`` calls the callee ``dm`` with ``rpctype``

* ``rpc`` or ``http``: a synchronous call;
* ``mq``: a message hand-off (an ``async`` edge; the data names no topic);
* ``db``: ``dm`` is a database, ``mc``: ``dm`` is a memcached cache (datastore edges).

Columns are found by name in the header: v2021 ``traceid,timestamp,rpcid,um,rpctype,dm,interface,rt``
and v2022 ``timestamp,traceid,service,rpc_id,rpctype,um,uminstanceid,interface,dm,dminstanceid,rt``,
either with a leading index column (as pandas writes it). The file must have its header row.

Rows are tallied per distinct ``(um, dm, rpctype)`` while the file streams, so memory grows with the
number of distinct edges, never with the number of rows. One record is one row. The data marks
callers or callees it did not record as ``UNKNOWN``/``UNAVAILABLE``: a row with one such end still
shows that the other end exists and is used (the service's evidence counts these rows); a row with
neither end known, with the wrong number of fields or an unknown ``rpctype`` is skipped with its line.
The data has no error flag: error counts stay unknown.
"""

from __future__ import annotations

import csv
import io
import zlib
from typing import BinaryIO

from inventory.model import DependencyKind, EntityRole, Fragment
from inventory.options import ReadOptions
from inventory.sources import InputFile
from inventory.traces.edges import MAX_OPERATIONS, EdgeBook

READER = "alibaba"

_V2021 = ("traceid", "timestamp", "rpcid", "um", "rpctype", "dm", "interface", "rt")
_V2022 = ("timestamp", "traceid", "service", "rpc_id", "rpctype", "um", "uminstanceid", "interface", "dm",
          "dminstanceid", "rt")
_INDEX_COLUMNS = frozenset({"", "unnamed: 0", "index", "id", "_c0"})
_UNKNOWN = frozenset({"", "UNKNOWN", "unknown", "UNAVAILABLE", "unavailable", "?", "(?)", "NaN", "nan", "None",
                      "none", "null", "NULL"})
_TYPES: dict[str, tuple[DependencyKind | None, EntityRole | None]] = {
    "rpc": (None, None), "http": (None, None), "mq": ("async", None),
    "db": ("datastore", "database"), "mc": ("datastore", "cache"),
}


def columns(header: str) -> dict[str, int] | None:
    """Column name -> index for a v2021 or v2022 header (optionally after an index column), else None."""
    names = [c.strip().strip('"').strip().lower() for c in header.strip().lstrip("\ufeff").split(",")]
    offset = 1 if names and names[0] in _INDEX_COLUMNS else 0
    body = tuple(names[offset:])
    if body not in (_V2021, _V2022):
        return None
    return {name: i + offset for i, name in enumerate(body)} | {"": len(names)}


def sniff(head: bytes, location: str) -> bool:
    first = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return columns(first) is not None


def read_stream(stream: BinaryIO, location: str) -> Fragment:
    """Tally the rows of a call-graph CSV read from a decompressed byte stream."""
    book = EdgeBook(READER, location)
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
    rows = csv.reader(text)
    problem = None
    tallies: dict[tuple[str | None, str | None, str], list] = {}
    records = used = 0
    try:
        header = next(rows, None)
        cols = columns(",".join(header)) if header is not None else None
        if cols is None:
            book.records = 1
            book.skip(f"{location}:1", "has no Alibaba call-graph header (v2021 or v2022 column names)")
            return book.fragment(book.summary())
        width, i_um, i_dm, i_type, i_iface = cols[""], cols["um"], cols["dm"], cols["rpctype"], cols["interface"]
        unknown, types = _UNKNOWN, _TYPES
        for row in rows:
            if not row:
                continue
            records += 1
            if len(row) != width:
                book.skip(f"{location}:{rows.line_num}", f"has {len(row)} fields where the header has {width}")
                continue
            rpctype = row[i_type]
            if rpctype not in types:
                rpctype = rpctype.strip().lower()
                if rpctype not in types:
                    book.skip(f"{location}:{rows.line_num}",
                              f"has rpctype {row[i_type]!r}, not one of rpc, http, mq, db, mc")
                    continue
            um, dm = row[i_um], row[i_dm]
            caller = None if um in unknown else um
            callee = None if dm in unknown else dm
            if caller is None and callee is None:
                book.skip(f"{location}:{rows.line_num}", "names neither caller (um) nor callee (dm)")
                continue
            used += 1
            key = (caller, callee, rpctype)
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = [0, rows.line_num, set()]
            tally[0] += 1
            ops = tally[2]
            if len(ops) < MAX_OPERATIONS:
                ops.add(row[i_iface])
    except (EOFError, OSError, zlib.error) as exc:
        problem = f"the compressed stream is cut or corrupt ({exc}); the rows before were read"
    except csv.Error as exc:
        problem = f"is not readable CSV at line {rows.line_num} ({exc}); the rows before were read"
    book.records += records + (1 if problem else 0)
    book.used += used
    if problem:
        book.skip(location, problem, always=True)
    _emit(book, tallies)
    return book.fragment(book.summary())


def _emit(book: EdgeBook, tallies: dict[tuple[str | None, str | None, str], list]) -> None:
    rows: dict[str, int] = {}
    blind: dict[str, int] = {}
    for (caller, callee, rpctype), (count, line, ops) in sorted(
            tallies.items(), key=lambda kv: (kv[1][1], kv[0][0] or "", kv[0][1] or "")):
        where = f"{book.location}:{line}"
        kind, role = _TYPES[rpctype]
        for name in (caller, callee):
            if name is not None and not (name == callee and role is not None):
                book.service(name, where)
                rows[name] = rows.get(name, 0) + count
        if caller is None or callee is None:
            known = caller or callee or ""
            blind[known] = blind.get(known, 0) + count
            continue
        if role:
            target = book.datastore(callee, role, "memcached" if role == "cache" else None, where)
            book.service_tally(target).note = f"a {role} called with rpctype {rpctype} in call-graph rows"
        else:
            target = book.key(callee)
        if target == book.key(caller):
            continue
        book.edge(book.key(caller), target, where, kind=kind, protocol=rpctype, weight=float(count),
                  operations=sorted(o for o in ops if o and o not in _UNKNOWN))
    for name, count in rows.items():
        tally = book.service(name, "")
        tally.note = f"seen in {count:,} call-graph row" + ("" if count == 1 else "s")
        if blind.get(name):
            tally.note += f"; {blind[name]:,} of them with the other end unrecorded (UNKNOWN/UNAVAILABLE)"


def read(item: InputFile, context: object, options: ReadOptions) -> Fragment:
    """The :class:`~inventory.reading.StreamReader` entry point for call-graph CSV files (plain or gzip)."""
    with item.open_stream() as raw:
        return read_stream(raw, item.location)
