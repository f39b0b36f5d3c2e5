"""The advisor's own inventory format, and the advisor's JSON report read back as an inventory.

**The native inventory** (YAML or JSON, documented in ``docs/inventory-format.md``, JSON Schema in
``inventory/schema/inventory.schema.json``) is recognised by ``advisor: inventory/v1`` (or
``kind: AdvisorInventory``) at the top level. It lists ``services``, ``resources`` and
``dependencies``, and carries identity hints for services described in *other* inputs:
``aliases`` (canonical name -> other names) and ``owners`` (team -> service names) go into
``Fragment.aliases`` / ``Fragment.owners``.

* A dependency endpoint defined in the same document is addressed by its exact record key. An
  endpoint written as ``namespace/name`` or ``kind:name`` (``database:orders-db``,
  ``topic:orders``) narrows what it may be.
* A *source* that the document does not define still exists (something that depends on
  something runs): it gets a minimal record (role ``service``, or the kind its prefix names) whose
  evidence is the dependency line.
* A *target* that the document does not define is looked up by name across every input, with the
  role its prefix implies; ``produce``/``consume`` dependencies and ``topic:``/``queue:`` targets
  may create the destination (a topic is real even when only its users are known).
* ``basis: observed`` at the top level marks an edge list aggregated from traces (the scale
  issue's recipe: a SQL query over spans giving ``source, target, weight, errors``). Its records and
  evidence then carry the reader name ``edgelist``, whose basis is *observed*, so that ``weight``
  counts as call volume; and since a call was seen, undefined targets exist too and get minimal
  records (role from the name: ``redis`` is a cache). Without it the basis is *declared* and
  ``weight`` is kept on the claim but not counted (the resolver counts only observed volume).

**The JSON report** (``docs/report-format.md``, a mapping with ``schema_version``, ``services``
and ``dependencies``) is read back as it was written: one record per service and resource (key
``native:<id>``; an ``external`` resource keeps that flag through the key ``external:<id>``) with
all its attributes, and one claim per original evidence item of every dependency, targeted at the
exact key, with kind, protocol, via, role and operations; the weight and error count ride on one
claim only so that they are not multiplied. A service or resource with several evidence items
becomes several records with the same key (one per item), which the resolver joins, so nothing
is lost. The report's ``unresolved`` references become claims again (they may resolve against
the other inputs of this run). Clusters, proposals and metrics are outputs and are not read.

Accounting: one document is one inventory or one report. It is used when anything in it was
read. Every bad entry (a service without a name, a field of the wrong type, an unknown key, a
dependency whose endpoint is missing) is reported on its own with ``file:line`` and a reason, the
rest is still read, and each such entry counts as one more skipped document, so that
documents = used + skipped holds with every reason listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from inventory.classify import classify
from inventory.documents import Document
from inventory.model import (
    DEPENDENCY_KINDS,
    Claim,
    DependencyKind,
    EntityRecord,
    EntityRole,
    Evidence,
    Fragment,
    NamedTarget,
    Skipped,
)
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.quantities import parse_cpu, parse_memory
from inventory.secrets import redact_text

READER = "native"
#: The reader name of an inventory with ``basis: observed`` (an edge list aggregated from traces).
OBSERVED_READER = "edgelist"
FORMAT_VERSION = "inventory/v1"
REPORT_SCHEMA_VERSION = 1

RESOURCE_KINDS: tuple[EntityRole, ...] = (
    "database", "cache", "search", "storage", "broker", "topic", "queue", "other")
_TOP_KEYS = frozenset({"advisor", "kind", "apiVersion", "basis", "description", "services", "resources",
                       "dependencies", "aliases", "owners"})
_SERVICE_KEYS = frozenset({"name", "namespace", "owner", "repo", "runtime", "replicas", "cpu_request",
                           "memory_request", "labels", "aliases", "system", "lifecycle", "description",
                           "images"})
_RESOURCE_KEYS = frozenset({"name", "kind", "technology", "owner", "namespace", "aliases", "description"})
_DEPENDENCY_KEYS = frozenset({"source", "target", "kind", "protocol", "via", "role", "weight", "errors",
                              "description", "operations"})
_RESOURCE_KIND: dict[str, EntityRole] = {k: k for k in RESOURCE_KINDS}
_DEPENDENCY_KIND: dict[str, DependencyKind] = {k: k for k in DEPENDENCY_KINDS}
#: A kind prefix on a dependency endpoint -> the role filter of the target lookup.
_PREFIX_ROLE = {"service": "service", "database": "datastore", "cache": "datastore", "search": "datastore",
                "storage": "datastore", "broker": "broker", "topic": "topic", "queue": "queue",
                "other": "resource"}


def _is_inventory(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    marker = data.get("advisor")
    if isinstance(marker, str) and marker.startswith("inventory/"):
        return True
    return data.get("kind") == "AdvisorInventory"


def _is_report(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    version = data.get("schema_version")
    return (isinstance(version, int) and not isinstance(version, bool)
            and isinstance(data.get("services"), list) and isinstance(data.get("dependencies"), list))


def recognise(data: object) -> bool:
    """A native inventory (``advisor: inventory/v1``) or an advisor JSON report (``schema_version``)."""
    return _is_inventory(data) or _is_report(data)


# --------------------------------------------------------------------------------------------
# Positions: file:line of entries, found in document order
# --------------------------------------------------------------------------------------------


_LARGEST_COUNT = float(2**63)


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _call_count(value: object) -> bool:
    """A finite number of 0 or more (``.inf`` and ``1e400`` are not counts)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= _LARGEST_COUNT


class _Positions:
    """Finds the line of each entry of a section, scanning forward through the document text."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self._mark = (0, doc.line)

    def line_at(self, pos: int) -> int:
        last_pos, last_line = self._mark if pos >= self._mark[0] else (0, self.doc.line)
        line = last_line + self.text.count("\n", last_pos, pos)
        self._mark = (pos, line)
        return line

    def section(self, key: str) -> int:
        for pattern in (rf"(?m)^[\"']?{re.escape(key)}[\"']?\s*:", rf"(?m)^\s{{0,2}}\"{re.escape(key)}\"\s*:",
                        rf"[\"']?\b{re.escape(key)}[\"']?\s*:"):
            m = re.search(pattern, self.text)
            if m:
                return m.end()
        return 0

    def entry(self, cursor: int, item: object, prefer: Sequence[str]) -> tuple[int, str | None]:
        """(new cursor, ``file:line``) of ``item`` searched from ``cursor``; None when not found.

        A mapping is found by its first scalar field (``prefer`` keys first) written as ``key: value``
        in YAML or JSON style; a bare scalar by its value. The search gives up after a few near
        misses, so that a file of many entries is read in linear time.
        """
        text = self.text
        if isinstance(item, dict):
            pairs = [(k, item.get(k)) for k in prefer] + list(item.items())
            key, value = next(((str(k), str(v)) for k, v in pairs if _scalar(v) and str(v).strip()), ("", ""))
            if not key:
                return cursor, None
            for tries, m in enumerate(_key_pattern(key).finditer(text, cursor)):
                if _value_at(text, m.end(), value):
                    return m.end() + len(value), f"{self.doc.location}:{self.line_at(m.start())}"
                if tries >= _MAX_TRIES:
                    break
        elif _scalar(item):
            value = str(item)
            pos = text.find(value, cursor)
            for _ in range(_MAX_TRIES):
                if pos < 0:
                    break
                if _value_at(text, pos, value) and (pos == 0 or not _NAME_CHAR.match(text, pos - 1)):
                    return pos + len(value), f"{self.doc.location}:{self.line_at(pos)}"
                pos = text.find(value, pos + 1)
        return cursor, None


_MAX_TRIES = 50
_NAME_CHAR = re.compile(r"[\w.\-]")


@lru_cache(maxsize=64)
def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.\-])[\"']?{re.escape(key)}[\"']?[ \t]*:[ \t]*[\"']?")


def _value_at(text: str, pos: int, value: str) -> bool:
    """``value`` is written at ``pos`` as a whole word (not the start of a longer name)."""
    end = pos + len(value)
    return text.startswith(value, pos) and (end >= len(text) or not _NAME_CHAR.match(text, end))


# --------------------------------------------------------------------------------------------
# Field checks that report instead of raising
# --------------------------------------------------------------------------------------------


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


class _Fields:
    """Typed access to one entry's fields; a wrong type is reported and the field ignored."""

    def __init__(self, raw: Mapping[str, object], what: str, where: str, problems: list[Skipped]) -> None:
        self.raw = raw
        self.what = what
        self.where = where
        self.problems = problems

    def bad(self, key: str, expected: str) -> None:
        self.problems.append(Skipped(self.where, f"{self.what}: {key} {_show(self.raw.get(key))} is not "
                                                 f"{expected}; it was ignored"))

    def unknown(self, allowed: frozenset[str]) -> None:
        for key in self.raw:
            if str(key) not in allowed and not str(key).startswith("x-"):
                known = ", ".join(sorted(allowed))
                self.problems.append(Skipped(self.where, f"{self.what} has the unknown key {str(key)!r}; "
                                                         f"it was ignored (known keys: {known})"))

    def text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.bad(key, "text")
        return None

    def count(self, key: str) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) <= 18:
            return int(value.strip())
        self.bad(key, "a whole number of 0 or more")
        return None

    def number(self, key: str) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if _call_count(value):
            return float(value)  # type: ignore[arg-type]
        self.bad(key, "a number of 0 or more")
        return None

    def cpu(self, key: str) -> float | None:
        value = self.raw.get(key)
        parsed = parse_cpu(value)
        if value is not None and parsed is None:
            self.bad(key, "a CPU quantity (cores such as 0.5, or '500m')")
        return parsed

    def memory(self, key: str) -> int | None:
        value = self.raw.get(key)
        parsed = parse_memory(value)
        if value is not None and parsed is None:
            self.bad(key, "a memory quantity (bytes, or '512Mi')")
        return parsed

    def names(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value.strip(),) if value.strip() else ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
        self.bad(key, "a list of names")
        return ()

    def labels(self, key: str) -> dict[str, str]:
        value = self.raw.get(key)
        if value is None:
            return {}
        values = value.values() if isinstance(value, dict) else ()
        if isinstance(value, dict) and all(v is None or isinstance(v, str | int | float) for v in values):
            return {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                    for k, v in value.items() if v is not None}
        self.bad(key, "a mapping of label names to values")
        return {}

    def choice(self, key: str, allowed: Sequence[str]) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in allowed:
            return value.strip().lower()
        self.bad(key, "one of " + ", ".join(allowed))
        return None


# --------------------------------------------------------------------------------------------
# Reading one document
# --------------------------------------------------------------------------------------------


@dataclass
class _Reading:
    entities: list[EntityRecord] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)
    problems: list[Skipped] = field(default_factory=list)
    skip: str | None = None

    @property
    def contributed(self) -> bool:
        return bool(self.entities or self.claims or self.aliases or self.owners)


def _split_endpoint(text: str) -> tuple[str | None, str | None, str]:
    """``kind:name``, ``namespace/name`` or ``name`` -> (kind, namespace, name)."""
    kind = None
    head, sep, rest = text.partition(":")
    if sep and head.lower() in _PREFIX_ROLE and rest:
        kind, text = head.lower(), rest
    ns, sep, name = text.rpartition("/")
    return kind, (ns or None) if sep else None, name if sep else text


def _service_key(namespace: str | None, name: str) -> str:
    return f"{READER}:{namespace}/{name}".lower() if namespace else f"{READER}:{name}".lower()


def _resource_key(kind: str, namespace: str | None, name: str) -> str:
    return f"{READER}:{kind}:{namespace}/{name}".lower() if namespace else f"{READER}:{kind}:{name}".lower()


def _owner_from(labels: Mapping[str, str], options: ReadOptions) -> str | None:
    return next((labels[k] for k in options.owner_keys if labels.get(k)), None)


def _free_text(text: str | None) -> str | None:
    """Free text as it may appear in output: a pasted connection string loses its password."""
    return redact_text(text) if text else None


def _with_description(detail: str, description: str | None) -> str:
    return f"{detail}: {_free_text(description)}" if description else detail


class _DocumentReader:
    """What reading an inventory and reading a report share: positions and problem reports."""

    def __init__(self, doc: Document, data: Mapping[str, object]) -> None:
        self.doc = doc
        self.data = data
        self.out = _Reading()
        self.positions = _Positions(doc)

    def _problem(self, where: str, reason: str) -> None:
        self.out.problems.append(Skipped(where, reason))

    def _section_line(self, key: str) -> str:
        return f"{self.doc.location}:{self.positions.line_at(self.positions.section(key))}"

    def _entries(self, key: str, prefer: Sequence[str]) -> list[tuple[int, object, str]]:
        """The entries of the list section ``key`` with their index and ``file:line``."""
        items = self.data.get(key)
        if items is None:
            return []
        if not isinstance(items, list):
            what = type(items).__name__
            self._problem(self._section_line(key), f"{key} is a {what}, not a list; it was ignored")
            return []
        cursor = self.positions.section(key) if items else 0
        out: list[tuple[int, object, str]] = []
        for i, item in enumerate(items):
            cursor, where = self.positions.entry(cursor, item, prefer)
            out.append((i, item, where or f"{self.doc.where} {key}[{i}]"))
        return out


class _InventoryReader(_DocumentReader):
    """Reads one native inventory document."""

    def __init__(self, doc: Document, data: Mapping[str, object], options: ReadOptions) -> None:
        super().__init__(doc, data)
        self.options = options
        self.reader = READER
        #: lower-case endpoint spellings -> record keys defined in this document
        self.names: dict[str, set[str]] = {}
        self.records: dict[str, EntityRecord] = {}

    def read(self) -> _Reading:
        data, out = self.data, self.out
        marker = data.get("advisor")
        if marker is not None and marker != FORMAT_VERSION:
            out.skip = (f"an advisor inventory of version {_show(marker)}; this advisor reads "
                        f"advisor: {FORMAT_VERSION}")
            return out
        top = _Fields(data, "the inventory", f"{self.doc.where} (line {self.doc.line})", out.problems)
        top.unknown(_TOP_KEYS)
        basis = top.choice("basis", ("declared", "observed"))
        self.reader = OBSERVED_READER if basis == "observed" else READER
        self._services()
        self._resources()
        self._dependencies()
        out.aliases = self._name_map("aliases")
        out.owners = self._name_map("owners")
        if not out.contributed and not out.problems:
            out.skip = "the advisor inventory lists no services, resources, dependencies, aliases or owners"
        return out

    def _evidence(self, where: str, detail: str) -> Evidence:
        return Evidence(self.reader, where, detail)

    def _define(self, record: EntityRecord, spellings: Sequence[str]) -> None:
        self.records[record.key] = record
        self.out.entities.append(record)
        for s in spellings:
            self.names.setdefault(s.lower(), set()).add(record.key)

    def _named_entry(self, section: str, i: int, item: object,
                     where: str) -> tuple[Mapping[str, object], str] | None:
        """The entry as a mapping and its name (a bare string is a name); None after reporting why not."""
        raw: Mapping[str, object] = {}
        if isinstance(item, str):
            raw = {"name": item}
        elif isinstance(item, dict):
            raw = item
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            return raw, name.strip()
        if not isinstance(item, dict | str):
            what = f"is a {type(item).__name__}, not a mapping with a name"
        elif name is None or name == "":
            what = "has no name"
        else:
            what = f"has the name {_show(name)}, which is not text"
        self._problem(where, f"{section}[{i}] {what}; the entry was ignored")
        return None

    def _repeated(self, key: str, label: str, where: str) -> bool:
        if key not in self.records:
            return False
        first = self.records[key].evidence.location
        self._problem(where, f"{label} repeats an entry defined at {first}; the entry was ignored")
        return True

    def _services(self) -> None:
        for i, item, where in self._entries("services", ("name",)):
            named = self._named_entry("services", i, item, where)
            if named is None:
                continue
            raw, name = named
            label = f"services[{i}] ({name})"
            f = _Fields(raw, label, where, self.out.problems)
            f.unknown(_SERVICE_KEYS)
            ns = f.text("namespace")
            key = _service_key(ns, name)
            if self._repeated(key, label, where):
                continue
            labels = f.labels("labels")
            description = _free_text(f.text("description"))
            record = EntityRecord(
                key=key, name=name, role="service", reader=self.reader,
                evidence=self._evidence(where, _with_description(f"service {name}", description)),
                namespace=ns, owner=f.text("owner") or _owner_from(labels, self.options), repo=f.text("repo"),
                runtime=f.text("runtime"), images=f.names("images"), replicas=f.count("replicas"),
                cpu_request=f.cpu("cpu_request"), memory_request=f.memory("memory_request"), labels=labels,
                system=f.text("system"), lifecycle=f.text("lifecycle"), description=description,
                aliases=tuple(a for a in f.names("aliases") if a.lower() != name.lower()),
            )
            self._define(record, [name, f"service:{name}"] + ([f"{ns}/{name}"] if ns else []))

    def _resources(self) -> None:
        for i, item, where in self._entries("resources", ("name",)):
            named = self._named_entry("resources", i, item, where)
            if named is None:
                continue
            raw, name = named
            label = f"resources[{i}] ({name})"
            f = _Fields(raw, label, where, self.out.problems)
            f.unknown(_RESOURCE_KEYS)
            kind = f.choice("kind", RESOURCE_KINDS)
            named_role, named_tech = classify(name)
            role = _RESOURCE_KIND.get(kind or "") or (named_role if named_role != "service" else "other")
            ns = f.text("namespace")
            key = _resource_key(role, ns, name)
            if self._repeated(key, label, where):
                continue
            description = _free_text(f.text("description"))
            record = EntityRecord(
                key=key, name=name, role=role, reader=self.reader,
                evidence=self._evidence(where, _with_description(f"{role} {name}", description)),
                namespace=ns, technology=f.text("technology") or named_tech, owner=f.text("owner"),
                description=description,
                aliases=tuple(a for a in f.names("aliases") if a.lower() != name.lower()),
            )
            self._define(record, [name, f"{role}:{name}"] + ([f"{ns}/{name}"] if ns else []))

    def _lookup(self, text: str) -> set[str]:
        return self.names.get(text.lower(), set())

    def _implied(self, text: str, where: str, detail: str, *, target: bool) -> str:
        """The key of a minimal record for an endpoint the document does not define."""
        kind, ns, name = _split_endpoint(text)
        role: EntityRole
        tech: str | None = None
        if kind is None and target:
            role, tech = classify(name)
        elif kind is None or kind == "service":
            role = "service"
        else:
            role = next(r for r in RESOURCE_KINDS if r == kind)
            tech = classify(name)[1]
        key = _service_key(ns, name) if role == "service" else _resource_key(role, ns, name)
        if key not in self.records:
            record = EntityRecord(key=key, name=name, role=role, reader=self.reader, namespace=ns,
                                  technology=tech, evidence=self._evidence(where, detail))
            self._define(record, [name, text] + ([f"{ns}/{name}"] if ns else []))
        return key

    def _endpoints(self, i: int, item: Mapping[str, object], where: str) -> tuple[str, str] | None:
        ends = {end: value.strip() for end in ("source", "target")
                if isinstance(value := item.get(end), str) and value.strip()}
        missing = " and a ".join(end for end in ("source", "target") if end not in ends)
        if missing:
            self._problem(where, f"dependencies[{i}] needs a {missing} (a service or resource name); "
                                 "the entry was ignored")
            return None
        source, target = ends["source"], ends["target"]
        url = next((e for e in (source, target) if "://" in e), None)
        if url is not None:
            self._problem(where, f"dependencies[{i}]: {redact_text(url)!r} is a URL, not a service or resource "
                                 "name; the entry was ignored")
            return None
        label = f"dependencies[{i}] ({source} -> {target})"
        if source.lower() == target.lower():
            self._problem(where, f"{label} names the same service at both ends; the entry was ignored")
            return None
        ambiguous = [e for e in (source, target) if len(self._lookup(e)) > 1]
        if ambiguous:
            self._problem(where, f"{label}: {ambiguous[0]!r} names more than one entry of this inventory; "
                                 "write service:name, kind:name or namespace/name; the entry was ignored")
            return None
        return source, target

    def _dependencies(self) -> None:
        observed = self.reader == OBSERVED_READER
        for i, item, where in self._entries("dependencies", ("source",)):
            if not isinstance(item, dict):
                what = type(item).__name__
                self._problem(where, f"dependencies[{i}] is a {what}, not a mapping with source and target; "
                                     "the entry was ignored")
                continue
            ends = self._endpoints(i, item, where)
            if ends is None:
                continue
            source, target = ends
            f = _Fields(item, f"dependencies[{i}] ({source} -> {target})", where, self.out.problems)
            f.unknown(_DEPENDENCY_KEYS)
            kind = _DEPENDENCY_KIND.get(f.choice("kind", DEPENDENCY_KINDS) or "")
            role = f.choice("role", ("produce", "consume"))
            raw_weight = item.get("weight")
            if observed and raw_weight is not None and not _call_count(raw_weight):
                self._problem(where, f"dependencies[{i}] ({source} -> {target}): weight {_show(raw_weight)} "
                                     "is not a call count (a number of 0 or more); in an observed edge list "
                                     "the weight is the data, so the entry was ignored")
                continue
            weight = f.number("weight")
            errors = f.count("errors")
            detail = f"dependency {source} -> {target}" + (f" ({kind})" if kind else "")
            if observed and weight is not None:
                detail += f", {weight:g} calls" + (f", {errors} errors" if errors else "")
            evidence = self._evidence(where, _with_description(detail, f.text("description")))
            source_keys = self._lookup(source)
            source_key = next(iter(source_keys)) if source_keys else self._implied(
                source, where, f"{source} is the source of a dependency (not listed under services)",
                target=False)
            target_keys = self._lookup(target)
            resolved: NamedTarget
            if target_keys:
                resolved = NamedTarget(name=next(iter(target_keys)))
            elif observed:
                resolved = NamedTarget(name=self._implied(target, where, f"{target} was called by {source}",
                                                          target=True))
            else:
                tkind, tns, tname = _split_endpoint(target)
                resolved = NamedTarget(name=tname, role=_PREFIX_ROLE.get(tkind or "", "any"), namespace=tns,
                                       create=tkind in ("topic", "queue") or role is not None)
            self.out.claims.append(Claim(
                source=source_key, target=resolved, evidence=evidence, kind=kind,
                protocol=f.text("protocol"), via=f.text("via"), role=role,
                weight=weight if weight is not None else 1.0, errors=errors, operations=f.names("operations"),
            ))

    def _name_map(self, key: str) -> dict[str, tuple[str, ...]]:
        value = self.data.get(key)
        if value is None:
            return {}
        where = self._section_line(key)
        if not isinstance(value, dict):
            what = type(value).__name__
            self._problem(where, f"{key} is a {what}, not a mapping of names to lists of names; "
                                 "it was ignored")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        f = _Fields({str(k): v for k, v in value.items()}, key, where, self.out.problems)
        for name in value:
            listed = f.names(str(name))
            if listed and str(name).strip():
                out[str(name).strip()] = listed
        return out


# --------------------------------------------------------------------------------------------
# Reading a report back
# --------------------------------------------------------------------------------------------


def _evidence_list(value: object, f: _Fields) -> list[Evidence]:
    if value is None:
        return []
    items = value if isinstance(value, list) else []
    fields = ("reader", "location", "detail")
    good = [Evidence(e["reader"], e["location"], e["detail"]) for e in items
            if isinstance(e, dict) and all(isinstance(e.get(k), str) for k in fields)]
    if not isinstance(value, list) or len(good) != len(items):
        f.bad("evidence", "a list of {reader, location, detail} entries")
        return []
    return good


class _ReportReader(_DocumentReader):
    """Reads one advisor JSON report back into records and claims."""

    def __init__(self, doc: Document, data: Mapping[str, object]) -> None:
        super().__init__(doc, data)
        self.keys: dict[str, str] = {}

    def read(self) -> _Reading:
        version = self.data.get("schema_version")
        if version != REPORT_SCHEMA_VERSION:
            self.out.skip = (f"an advisor report of schema_version {_show(version)}; this advisor reads "
                             f"schema_version {REPORT_SCHEMA_VERSION}")
            return self.out
        self._entities("services")
        self._entities("resources")
        self._dependencies()
        self._unresolved()
        if not self.out.contributed and not self.out.problems:
            self.out.skip = "the advisor report lists no services or resources"
        return self.out

    def _entities(self, section: str) -> None:
        is_service = section == "services"
        for i, item, where in self._entries(section, ("id",)):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(ident, str) or not ident.strip():
                self._problem(where, f"{section}[{i}] has no id; the entry was ignored")
                continue
            if ident in self.keys:
                self._problem(where, f"{section}[{i}] repeats the id {ident!r}; the entry was ignored")
                continue
            f = _Fields(item, f"{section}[{i}] ({ident})", where, self.out.problems)
            role: EntityRole = "service"
            if not is_service:
                role = _RESOURCE_KIND.get(f.choice("kind", RESOURCE_KINDS) or "", "other")
            external = not is_service and item.get("external") is True
            key = self.keys[ident] = f"external:{ident}" if external else f"{READER}:{ident}"
            evidence = _evidence_list(item.get("evidence"), f) or [
                Evidence(READER, where, f"{'service' if is_service else role} {ident} in an advisor report")]
            record = EntityRecord(
                key=key, name=f.text("name") or ident, role=role, reader=READER, evidence=evidence[0],
                namespace=f.text("namespace"), owner=f.text("owner"), images=f.names("images"),
                replicas=f.count("replicas"), cpu_request=f.number("cpu_request"),
                memory_request=f.count("memory_request"), aliases=f.names("aliases"),
            )
            if is_service:
                record = replace(
                    record, repo=f.text("repo"), runtime=f.text("runtime"), labels=f.labels("labels"),
                    workloads=f.names("workloads"), system=f.text("system"), lifecycle=f.text("lifecycle"),
                    description=_free_text(f.text("description")),
                )
            else:
                record = replace(record, technology=f.text("technology"))
            self.out.entities.extend(replace(record, evidence=ev) for ev in evidence)

    def _dependencies(self) -> None:
        for i, item, where in self._entries("dependencies", ("source",)):
            if not isinstance(item, dict):
                self._problem(where, f"dependencies[{i}] is not a mapping; the entry was ignored")
                continue
            source, target = item.get("source"), item.get("target")
            label = f"dependencies[{i}] ({source} -> {target})"
            if not isinstance(source, str) or not isinstance(target, str) or source not in self.keys \
                    or target not in self.keys:
                missing = [repr(e) for e in (source, target) if not isinstance(e, str) or e not in self.keys]
                self._problem(where, f"{label}: {', '.join(missing)} is not a service or resource of the "
                                     "report; the entry was ignored")
                continue
            f = _Fields(item, label, where, self.out.problems)
            weight = f.number("weight")
            evidence = _evidence_list(item.get("evidence"), f) or [
                Evidence(READER, where, f"dependency {source} -> {target} in an advisor report")]
            carrier = next((ev for ev in evidence if ev.basis == "observed"), evidence[0])
            claim = Claim(
                source=self.keys[source], target=NamedTarget(name=self.keys[target]), evidence=carrier,
                kind=_DEPENDENCY_KIND.get(f.choice("kind", DEPENDENCY_KINDS) or ""),
                protocol=f.text("protocol"), via=f.text("via"), role=f.choice("role", ("produce", "consume")),
                weight=weight if weight is not None else 1.0, errors=f.count("errors"),
                operations=f.names("operations"),
            )
            # volume and errors ride on one claim only: the resolver adds them up claim by claim
            self.out.claims.append(claim)
            self.out.claims.extend(replace(claim, evidence=ev, weight=0.0, errors=None)
                                   for ev in evidence if ev is not carrier)

    def _unresolved(self) -> None:
        for i, item, where in self._entries("unresolved", ("source",)):
            source = item.get("source") if isinstance(item, dict) else None
            reference = item.get("reference") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(source, str) or source not in self.keys \
                    or not isinstance(reference, str) or not reference.strip():
                self._problem(where, f"unresolved[{i}] needs the id of a service of the report and a "
                                     "reference; the entry was ignored")
                continue
            f = _Fields(item, f"unresolved[{i}]", where, self.out.problems)
            evidence = Evidence(f.text("reader") or READER, f.text("location") or where,
                                f.text("detail") or f"reference to {reference}")
            self.out.claims.append(Claim(source=self.keys[source], target=NamedTarget(name=reference.strip()),
                                         evidence=evidence))


# --------------------------------------------------------------------------------------------
# The parse function
# --------------------------------------------------------------------------------------------


def parse_native(documents: Sequence[Document], *, options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    """Read native inventories and advisor reports (all documents from one file)."""
    fragment = Fragment(documents[0].location if documents else "", READER)
    for doc in documents:
        data = doc.data if isinstance(doc.data, dict) else {}
        where = f"{doc.where} (line {doc.line})"
        if _is_inventory(data):
            reading = _InventoryReader(doc, data, options).read()
        elif _is_report(data):
            reading = _ReportReader(doc, data).read()
        else:
            reading = _Reading(skip="not an advisor inventory or report")
        fragment.documents += 1
        reasons = list(reading.problems)
        if reading.skip is None and reading.contributed:
            fragment.used += 1
            fragment.entities.extend(reading.entities)
            fragment.claims.extend(reading.claims)
            for k, v in reading.aliases.items():
                fragment.aliases[k] = tuple(dict.fromkeys(fragment.aliases.get(k, ()) + v))
            for k, v in reading.owners.items():
                fragment.owners[k] = tuple(dict.fromkeys(fragment.owners.get(k, ()) + v))
            fragment.documents += len(reasons)
        else:
            if reading.skip is not None:
                reasons.insert(0, Skipped(where, reading.skip))
            elif not reasons:
                reasons.append(Skipped(where, "nothing in it could be read"))
            fragment.documents += len(reasons) - 1
        fragment.skipped.extend(reasons)
    return fragment
