"""Backstage catalog entities: Components and Resources with their declared dependencies.

Reads ``catalog-info.yaml`` files (one or many entities per file), saved catalog API answers
(``{"items": [...]}`` from ``/entities/by-query`` or the bare array of ``/entities``), and,
through :func:`parse_entities`, entity dicts that the live catalog source fetches over HTTP.

What becomes what:

* ``Component`` -> a service record; a Component of type ``library`` (or ``sdk``,
  ``documentation``, ``template``, ``plugin``) is code that does not run on its own, so it is kept
  with role ``other`` (technology = its type) and dependencies on it never count as calls between
  services. A Component whose type is a datastore type (``database``, ``cache`` ...) gets that role.
* ``Resource`` -> a resource record; the role comes from ``spec.type`` (``database``/``postgres``
  -> database, ``redis`` -> cache, ``s3-bucket`` -> storage, ``kafka-topic`` -> topic ...), else
  from the name (:func:`~inventory.classify.classify`), else ``other``.
* ``API`` -> no record. An API is a contract, not a running thing: a consumer and a provider of
  one API are what depend on each other. Its ``spec.type`` names the protocol of those edges.
  (The ``definition`` of an ``asyncapi`` API is left alone: AsyncAPI documents are read by their
  own reader when they are files of their own.)
* ``System``, ``Domain``, ``Group``, ``User``, ``Location``, ``Template`` -> skipped, each with its
  reason: they carry no service. A Component's ``spec.system`` and ``spec.owner`` are read from
  the Component itself (owner = the name part of the ref, e.g. ``group:default/team-a`` ->
  ``team-a``, which is how Kubernetes labels spell a team); Location targets are not followed.

Record keys are ``backstage:<kind>:<namespace>/<name>`` in lower case. A Backstage namespace is not
a Kubernetes namespace: ``EntityRecord.namespace`` is set only from the
``backstage.io/kubernetes-namespace`` annotation; a non-default catalog namespace is kept as the
label ``backstage.io/namespace``. Aliases come from ``backstage.io/kubernetes-id``, an
``app``/``app.kubernetes.io/name`` value in ``backstage.io/kubernetes-label-selector`` and a title
that is a slug; ``repo`` from ``backstage.io/source-location`` or ``github.com/project-slug``;
``runtime`` from the first tag that names a language.

Entity references are parsed as Backstage does (``[kind:][namespace/]name``, case-insensitive,
or the compound ``{kind, namespace, name}``), with the field's default kind and the referring
entity's own namespace, and normalised to ``kind:namespace/name``. When an entity carries
``relations`` (as the catalog API returns them) those are authoritative and the relation fields
of ``spec`` are not read. ``$text``/``$json``/``$yaml`` substitutions are resolved only by a
Backstage backend: one in a reference field is reported and ignored.

**Two steps.** Which entities exist, and who provides an API, is often written in *other*
files than the reference. :func:`parse_catalog` therefore emits records and puts the references
into a :class:`CatalogSummary` in ``Fragment.extras``; :func:`assemble` runs once over the
summaries of every file and returns the claims, all of kind ``declared``:

* ``dependsOn`` on A naming B: A -> B; ``dependencyOf`` on A naming B: B -> A;
* ``consumesApis`` X on C and ``providesApis`` (or the old ``implementsApis``) X on P: C -> P with
  ``via`` = the API, one claim with C's evidence and one with P's so the edge cites both;
* a target defined by some catalog file is addressed by its exact record key; a target no catalog
  file defines is looked up by its plain name (with the role its kind implies), so that
  ``resource:default/orders-db`` still finds the ``orders-db`` StatefulSet of a manifest;
* an API that somebody consumes and nobody provides gives a claim to ``api:<ns>/<name>`` that the
  resolver reports as unresolved;
* the subject of a ``dependencyOf`` that no catalog file defines cannot be a claim source (sources
  are records) and is left out.

Accounting: one document is one entity, or one API answer envelope. A document is used when an
entity in it was read; every further problem in it (a skipped entity inside an envelope, a bad
reference or a field of the wrong type) is reported on its own and counted as one more skipped
document, so that documents = used + skipped holds with every reason listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from inventory.classify import classify
from inventory.documents import Document
from inventory.model import Claim, EntityRecord, EntityRole, Evidence, Fragment, NamedTarget, Skipped
from inventory.options import DEFAULT_OPTIONS, ReadOptions
from inventory.secrets import redact_text

READER = "backstage"

_API_VERSION = re.compile(r"^(?:[a-z0-9-]+\.)*backstage\.io/", re.IGNORECASE)
_SUBSTITUTIONS = ("$text", "$json", "$yaml")
_PART = re.compile(r"^[^\s:/]+$")
_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?$")

#: Kinds that carry no service, and why (shown in ``skipped``).
_SKIPPED_KINDS: dict[str, str] = {
    "system": "a System groups components; each Component's spec.system is read from the Component, "
              "the System itself carries no service",
    "domain": "a Domain groups systems and carries no service",
    "group": "a Group describes a team; owners are read from each entity's spec.owner",
    "user": "a User describes a person; owners are read from each entity's spec.owner",
    "location": "Location entities point at other catalog files; they are not followed "
                "(give the advisor those files instead)",
    "template": "a Template is a scaffolder template for creating new software; "
                "it describes no running service",
}

#: Component types that are code, not something that runs on its own.
_NOT_RUNNING = frozenset({"library", "lib", "sdk", "documentation", "docs", "template", "plugin"})

#: Resource (and Component) ``spec.type`` -> role, by the type's tokens.
_TYPE_ROLE: dict[str, EntityRole] = {
    "database": "database", "db": "database", "rds": "database", "sql": "database", "nosql": "database",
    "postgres": "database", "postgresql": "database", "mysql": "database", "mariadb": "database",
    "mongo": "database", "mongodb": "database", "dynamodb": "database", "cassandra": "database",
    "cache": "cache", "redis": "cache", "memcached": "cache", "elasticache": "cache", "valkey": "cache",
    "search": "search", "elasticsearch": "search", "opensearch": "search", "solr": "search",
    "storage": "storage", "bucket": "storage", "s3": "storage", "gcs": "storage", "blob": "storage",
    "filesystem": "storage",
    "topic": "topic", "queue": "queue", "sqs": "queue",
    "broker": "broker", "kafka": "broker", "rabbitmq": "broker", "nats": "broker", "pulsar": "broker",
    "eventbus": "broker", "messaging": "broker",
}
#: When a type names several things (``kafka-topic``), the most specific role wins.
_ROLE_PRIORITY: tuple[EntityRole, ...] = (
    "topic", "queue", "database", "cache", "search", "storage", "broker")
_DATASTORE_ROLES = frozenset({"database", "cache", "search", "storage"})
_TOKEN = re.compile(r"[a-z0-9]+")

#: API ``spec.type`` -> protocol of the consumer -> provider edge.
_API_PROTOCOL = {"openapi": "http", "swagger": "http", "graphql": "graphql", "grpc": "grpc", "trpc": "http",
                 "asyncapi": "async"}

_LANGUAGES = frozenset({
    "java", "kotlin", "scala", "groovy", "go", "golang", "python", "ruby", "rust", "node", "nodejs",
    "javascript", "typescript", "dotnet", "csharp", "c#", "fsharp", "php", "elixir", "erlang", "clojure",
    "haskell", "swift", "cpp", "c++", "c", "perl", "lua", "dart",
})

#: Relation types read from ``relations[]`` (the catalog API's authoritative edges).
_RELATION_FIELDS = ("dependsOn", "dependencyOf", "consumesApi", "providesApi", "apiConsumedBy",
                    "apiProvidedBy", "ownedBy", "partOf")


def recognise(data: object) -> bool:
    """A Backstage entity (``apiVersion: backstage.io/...``, also ``scaffolder.backstage.io/``), or a
    saved catalog API answer holding such entities."""
    if isinstance(data, dict):
        if _is_entity(data):
            return True
        items = data.get("items")
        return isinstance(items, list) and _holds_entities(items)
    if isinstance(data, list):
        return _holds_entities(data)
    return False


def _is_entity(data: object) -> bool:
    if not isinstance(data, dict):
        return False
    api = data.get("apiVersion")
    return isinstance(api, str) and bool(_API_VERSION.match(api))


def _holds_entities(items: list) -> bool:
    first = next((item for item in items[:20] if isinstance(item, dict)), None)
    return first is not None and _is_entity(first)


# --------------------------------------------------------------------------------------------
# Entity references
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class EntityRef:
    """A normalised entity reference: lower-case kind, namespace and name."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"

    @property
    def key(self) -> str:
        """The record key an entity with this reference gets."""
        return f"{READER}:{self}"


class _BadReference(ValueError):
    """A reference that cannot be parsed; the message says why (internal, never escapes)."""


class _Substitution(ValueError):
    """A ``$text``/``$json``/``$yaml`` placeholder where a reference was expected (internal)."""


def _parse_ref(value: object, default_kind: str | None, default_namespace: str) -> EntityRef:
    if isinstance(value, dict):
        if any(k in value for k in _SUBSTITUTIONS):
            raise _Substitution("a substitution")
        kind, namespace, name = value.get("kind"), value.get("namespace"), value.get("name")
        if not isinstance(name, str) or not name.strip():
            raise _BadReference("a compound reference needs a name")
        if kind is not None and not isinstance(kind, str):
            raise _BadReference("its kind is not a string")
        if namespace is not None and not isinstance(namespace, str):
            raise _BadReference("its namespace is not a string")
        parts: tuple[str | None, str | None, str] = (kind, namespace, name)
    elif isinstance(value, str):
        text = value.strip()
        colon = text.find(":")
        slash = text.find("/")
        if slash != -1 and slash < colon:
            colon = -1
        parts = (
            text[:colon] if colon != -1 else None,
            text[colon + 1:slash] if slash != -1 else None,
            text[max(colon + 1, slash + 1):],
        )
    else:
        raise _BadReference(f"it is a {type(value).__name__}, not a string")
    kind_s, ns_s, name_s = (p.strip() if isinstance(p, str) else None for p in parts)
    kind_s = kind_s if kind_s is not None else default_kind
    ns_s = ns_s if ns_s is not None else default_namespace
    for what, part in (("kind", kind_s), ("namespace", ns_s), ("name", name_s)):
        if part is None or not _PART.match(part):
            raise _BadReference(f"its {what} is empty or malformed")
    assert kind_s is not None and ns_s is not None and name_s is not None
    return EntityRef(kind_s.lower(), ns_s.lower(), name_s.lower())


def parse_ref(value: object, *, default_kind: str | None = None,
              default_namespace: str = "default") -> EntityRef | None:
    """Normalise a string or compound entity reference; None when it is not a valid reference.

    >>> str(parse_ref("billing/Invoice-API", default_kind="api"))
    'api:billing/invoice-api'
    >>> str(parse_ref({"kind": "Group", "name": "team-a"}, default_namespace="shop"))
    'group:shop/team-a'
    >>> parse_ref("component:") is None, parse_ref({"$text": "./x.yaml"}) is None
    (True, True)
    """
    try:
        return _parse_ref(value, default_kind, default_namespace)
    except ValueError:
        return None


def _describe_ref(value: object) -> str:
    """A bad reference as a skip reason may quote it: short, and with any password masked."""
    text = redact_text(value if isinstance(value, str) else repr(value))
    return text if len(text) <= 80 else text[:79] + "…"


# --------------------------------------------------------------------------------------------
# Reading one entity
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """``source`` (a record key) depends on ``target``, as one catalog field says."""

    source: str
    target: EntityRef
    evidence: Evidence


@dataclass(frozen=True)
class ApiUse:
    """``component`` (a record key) provides or consumes ``api``."""

    component: str
    api: EntityRef
    role: str  # "provide" or "consume"
    evidence: Evidence


@dataclass(frozen=True)
class ApiInfo:
    """An API entity: its reference and the protocol its type implies."""

    ref: EntityRef
    protocol: str | None
    location: str


@dataclass(frozen=True)
class CatalogSummary:
    """What one input contributes to :func:`assemble` (picklable, small)."""

    entities: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    api_uses: tuple[ApiUse, ...] = ()
    apis: tuple[ApiInfo, ...] = ()


@dataclass
class EntityReading:
    """The outcome of reading one entity: a record or an API, its links, or why it was skipped.

    ``problems`` are ``(location, reason)`` pairs for parts of a used entity that were ignored.
    """

    record: EntityRecord | None = None
    api: ApiInfo | None = None
    relations: list[Relation] = field(default_factory=list)
    api_uses: list[ApiUse] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    skip: str | None = None

    @property
    def used(self) -> bool:
        return self.skip is None


#: ``locate(*needles)`` -> ``file:line`` (or a URL) of the needles inside the entity.
Locator = Callable[..., str]


def _text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def _free_text(value: object) -> str | None:
    """Free text as it may appear in output: a pasted connection string loses its password."""
    text = _text(value)
    return redact_text(text) if text else None


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None and not isinstance(v, dict | list)}


def _role_of_type(type_: str | None) -> EntityRole | None:
    if not type_:
        return None
    found = {_TYPE_ROLE[t] for t in _TOKEN.findall(type_.lower()) if t in _TYPE_ROLE}
    return next((role for role in _ROLE_PRIORITY if role in found), None)


def _technology(type_: str | None, name: str, role: EntityRole) -> str | None:
    """The technology a Resource's type or name names (``postgres``, ``kafka``), if any."""
    for text in (type_, name):
        if text:
            named, tech = classify(text)
            if tech and (named == role or role in ("topic", "queue")):
                return tech
    return None


def _repo(annotations: Mapping[str, str]) -> str | None:
    location = annotations.get("backstage.io/source-location")
    if location:
        kind, _, target = location.partition(":")
        target = target if kind in ("url", "dir", "file", "github", "gitlab") and target else location
        return target.strip() or None
    slug = annotations.get("github.com/project-slug")
    if slug and "/" in slug:
        return f"https://github.com/{slug.strip().strip('/')}"
    return None


def _selector_apps(selector: str | None) -> list[str]:
    out: list[str] = []
    for part in (selector or "").split(","):
        key, eq, value = part.partition("=")
        if eq and key.strip() in ("app", "app.kubernetes.io/name") and value.strip():
            out.append(value.strip())
    return out


def _list_field(value: object) -> list[object] | None:
    """A ref list field: a list, or one bare reference (lenient); None when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return value
    if isinstance(value, str | dict):
        return [value]
    return []


class _EntityReader:
    """Reads one entity dict into an :class:`EntityReading`."""

    def __init__(self, entity: Mapping[str, object], locate: Locator, options: ReadOptions) -> None:
        self.entity = entity
        self.locate = locate
        self.options = options
        self.out = EntityReading()

    def read(self) -> EntityReading:
        entity, out = self.entity, self.out
        kind = _text(entity.get("kind"))
        meta = entity.get("metadata")
        if kind is None:
            out.skip = "a Backstage entity needs a kind (Component, API, Resource ...)"
            return out
        name = _text(meta.get("name")) if isinstance(meta, dict) else None
        if not isinstance(meta, dict) or name is None or not _PART.match(name):
            out.skip = (f"a Backstage {kind} needs metadata.name (one word such as 'orders'); "
                        "it cannot be referred to")
            return out
        self.kind, self.name = kind, name
        self.meta: dict = meta
        ns = _text(meta.get("namespace")) or "default"
        self.namespace = ns if _PART.match(ns) else "default"
        self.ref = EntityRef(kind.lower(), self.namespace.lower(), name.lower())
        self.title = f"{kind}/{name}"
        reason = _SKIPPED_KINDS.get(kind.lower())
        if reason:
            out.skip = f"{self.title}: {reason}"
            return out
        if kind.lower() not in ("component", "resource", "api"):
            out.skip = f"{self.title}: kind {kind} is not one the advisor reads (Component, Resource, API)"
            return out
        spec = entity.get("spec")
        relations = entity.get("relations")
        self.relations = [r for r in relations if isinstance(r, dict)] if isinstance(relations, list) else []
        if spec is None and self.relations:
            spec = {}
        if not isinstance(spec, dict):
            out.skip = f"{self.title} has no spec mapping (type, lifecycle, owner); it was not read"
            return out
        self.spec: dict = spec
        if kind.lower() == "api":
            self._api()
        else:
            self._component_or_resource()
        return out

    # -- helpers -------------------------------------------------------------------------

    def _problem(self, where: str, reason: str) -> None:
        self.out.problems.append((where, f"{self.title} {reason}"))

    def _refs(self, field_name: str, default_kind: str | None) -> Iterator[tuple[EntityRef, str]]:
        """Parsed refs of ``spec.<field_name>`` with the location of each."""
        values = _list_field(self.spec.get(field_name))
        if values is None:
            return
        if not values and self.spec.get(field_name) not in ([], None):
            got = type(self.spec.get(field_name)).__name__
            self._problem(self.locate(field_name), f"spec.{field_name} is a {got}, not a list of entity "
                                                   "references; it was ignored")
            return
        for i, value in enumerate(values):
            needle = value if isinstance(value, str) else None
            if isinstance(value, dict):
                needle = _text(value.get("name"))
            where = self.locate(field_name, needle or "")
            try:
                yield _parse_ref(value, default_kind or "component", self.namespace), where
            except _Substitution:
                self._problem(where, f"spec.{field_name}[{i}] is a $text/$json/$yaml substitution, which "
                                     "only a Backstage backend resolves; it was ignored")
            except _BadReference as exc:
                self._problem(where, f"spec.{field_name}[{i}] {_describe_ref(value)!r} is not a valid entity "
                                     f"reference ([kind:][namespace/]name): {exc}; it was ignored")

    def _single_ref(self, field_name: str, default_kind: str) -> EntityRef | None:
        value = self.spec.get(field_name)
        if value is None:
            return None
        try:
            return _parse_ref(value, default_kind, self.namespace)
        except _Substitution:
            self._problem(self.locate(field_name), f"spec.{field_name} is a substitution; it was ignored")
        except _BadReference as exc:
            self._problem(self.locate(field_name), f"spec.{field_name} {_describe_ref(value)!r} is not a "
                                                   f"valid entity reference: {exc}; it was ignored")
        return None

    def _relation_refs(self) -> Iterator[tuple[str, EntityRef, str]]:
        for i, rel in enumerate(self.relations):
            rtype = _text(rel.get("type"))
            if rtype not in _RELATION_FIELDS:
                continue
            target = rel.get("targetRef", rel.get("target"))
            needle = target if isinstance(target, str) else ""
            where = self.locate("relations", needle)
            try:
                yield rtype, _parse_ref(target, None, self.namespace), where
            except ValueError as exc:
                self._problem(where, f"relations[{i}] ({rtype}) has no valid targetRef ({exc}); "
                                     "it was ignored")

    # -- kinds ---------------------------------------------------------------------------

    def _api(self) -> None:
        type_ = (_text(self.spec.get("type")) or "").lower()
        self.out.api = ApiInfo(self.ref, _API_PROTOCOL.get(type_), self.locate("name", self.name))
        for rtype, target, where in self._relation_refs():
            if rtype in ("apiProvidedBy", "apiConsumedBy"):
                role = "provide" if rtype == "apiProvidedBy" else "consume"
                self.out.api_uses.append(ApiUse(target.key, self.ref, role, Evidence(
                    READER, where, f"{self.title} relation {rtype} {target}")))

    def _component_or_resource(self) -> None:
        spec, meta, out = self.spec, self.meta, self.out
        key = self.ref.key
        annotations = _str_map(meta.get("annotations"))
        labels = _str_map(meta.get("labels"))
        type_ = _text(spec.get("type"))
        is_component = self.ref.kind == "component"
        technology: str | None = None
        role: EntityRole
        if is_component and type_ and type_.lower() in _NOT_RUNNING:
            role, technology = "other", type_.lower()
        elif is_component:
            typed = _role_of_type(type_)
            role = typed if typed in _DATASTORE_ROLES else "service"
            if role != "service":
                technology = _technology(type_, self.name, role)
        else:
            role = _role_of_type(type_) or "other"
            if role == "other":
                named, _tech = classify(self.name)
                role = named if named != "service" else "other"
            technology = _technology(type_, self.name, role)

        owner_ref: EntityRef | None = None
        system_ref: EntityRef | None = None
        parent_ref: EntityRef | None = None
        if self.relations:
            for rtype, target, where in self._relation_refs():
                detail = f"{self.title} relation {rtype} {target}"
                if rtype == "dependsOn":
                    out.relations.append(Relation(key, target, Evidence(READER, where, detail)))
                elif rtype == "dependencyOf":
                    out.relations.append(Relation(target.key, self.ref, Evidence(READER, where, detail)))
                elif rtype in ("consumesApi", "providesApi"):
                    api_role = "consume" if rtype == "consumesApi" else "provide"
                    out.api_uses.append(ApiUse(key, target, api_role, Evidence(READER, where, detail)))
                elif rtype == "ownedBy":
                    owner_ref = owner_ref or target
                elif rtype == "partOf" and target.kind == "system":
                    system_ref = system_ref or target
                elif rtype == "partOf" and target.kind == "component":
                    parent_ref = parent_ref or target
        else:
            for fname in ("dependsOn", "dependencyOf"):
                for target, where in self._refs(fname, None):
                    detail = f"{self.title} spec.{fname} {target}"
                    if fname == "dependsOn":
                        out.relations.append(Relation(key, target, Evidence(READER, where, detail)))
                    else:
                        out.relations.append(Relation(target.key, self.ref, Evidence(READER, where, detail)))
            for fname, api_role in (("providesApis", "provide"), ("implementsApis", "provide"),
                                    ("consumesApis", "consume")):
                for target, where in self._refs(fname, "api"):
                    evidence = Evidence(READER, where, f"{self.title} spec.{fname} {target}")
                    out.api_uses.append(ApiUse(key, target, api_role, evidence))
            if is_component:
                parent_ref = self._single_ref("subcomponentOf", "component")
        owner_ref = owner_ref or self._single_ref("owner", "group")
        system_ref = system_ref or self._single_ref("system", "system")

        if self.namespace.lower() != "default":
            labels["backstage.io/namespace"] = self.namespace
        if parent_ref is not None:
            labels["backstage.io/subcomponent-of"] = str(parent_ref)
        owner = owner_ref.name if owner_ref else _owner_from(labels, annotations, self.options)
        aliases: list[str] = []
        for candidate in (annotations.get("backstage.io/kubernetes-id"),
                          *_selector_apps(annotations.get("backstage.io/kubernetes-label-selector")),
                          _text(meta.get("title"))):
            if candidate and _SLUG.match(candidate) and candidate.lower() != self.name.lower() \
                    and candidate not in aliases:
                aliases.append(candidate)
        raw_tags = meta.get("tags")
        tags = [t.lower() for t in raw_tags if isinstance(t, str)] if isinstance(raw_tags, list) else []
        runtime = next((t for t in tags if t in _LANGUAGES), None)
        detail = f"{self.title} ({type_})" if type_ else self.title
        out.record = EntityRecord(
            key=key, name=self.name, role=role, reader=READER,
            evidence=Evidence(READER, self.locate("name", self.name), detail),
            namespace=annotations.get("backstage.io/kubernetes-namespace") or None,
            technology=technology, owner=owner, repo=_repo(annotations), runtime=runtime,
            labels=labels, system=system_ref.name if system_ref else None,
            lifecycle=_text(spec.get("lifecycle")), description=_free_text(meta.get("description")),
            aliases=tuple(aliases),
        )


def _owner_from(labels: Mapping[str, str], annotations: Mapping[str, str],
                options: ReadOptions) -> str | None:
    for key in options.owner_keys:
        for values in (labels, annotations):
            if values.get(key):
                return values[key]
    return None


def read_entity(entity: Mapping[str, object], locate: Locator, *,
                options: ReadOptions = DEFAULT_OPTIONS) -> EntityReading:
    """Read one entity dict (from a file or from the catalog API); never raises for bad input.

    ``locate(*needles)`` gives the location to cite for a field (``file:line`` or a URL).
    """
    return _EntityReader(entity, locate, options).read()


# --------------------------------------------------------------------------------------------
# Reading files and entity lists
# --------------------------------------------------------------------------------------------


class _Collector:
    """Builds one fragment and its summary from entity readings, keeping the accounting."""

    def __init__(self, location: str) -> None:
        self.fragment = Fragment(location, READER)
        self.entities: list[str] = []
        self.relations: list[Relation] = []
        self.api_uses: list[ApiUse] = []
        self.apis: list[ApiInfo] = []

    def add_document(self, where: str, readings: Sequence[tuple[str, EntityReading]],
                     empty_reason: str) -> None:
        """Account one document holding ``readings`` (each with the location to cite if skipped)."""
        fragment = self.fragment
        fragment.documents += 1
        reasons: list[Skipped] = []
        used = False
        for location, reading in readings:
            if reading.skip is not None:
                reasons.append(Skipped(location, reading.skip))
                continue
            used = True
            if reading.record is not None:
                fragment.entities.append(reading.record)
                self.entities.append(reading.record.key)
            if reading.api is not None:
                self.apis.append(reading.api)
            self.relations.extend(reading.relations)
            self.api_uses.extend(reading.api_uses)
            reasons.extend(Skipped(loc, reason) for loc, reason in reading.problems)
        if used:
            fragment.used += 1
        elif not reasons:
            reasons.append(Skipped(where, empty_reason))
        fragment.documents += len(reasons) - (0 if used else 1)
        fragment.skipped.extend(reasons)

    def finish(self) -> Fragment:
        self.fragment.extras.append(CatalogSummary(
            tuple(self.entities), tuple(self.relations), tuple(self.api_uses), tuple(self.apis)))
        return self.fragment


def _item_locator(doc: Document, item: Mapping[str, object]) -> Locator:
    meta = item.get("metadata")
    name = _text(meta.get("name")) if isinstance(meta, dict) else None
    if name is None:
        return doc.at
    anchor = next((a for a in (f'"name": "{name}"', f'"name":"{name}"', f"name: {name}")
                   if doc.line_of(a) is not None), name)

    def locate(*needles: str) -> str:
        return doc.at(anchor, *needles)

    return locate


def _items(data: object) -> list[object] | None:
    if isinstance(data, dict) and not _is_entity(data) and isinstance(data.get("items"), list):
        return data["items"]
    if isinstance(data, list):
        return data
    return None


def parse_catalog(documents: Sequence[Document], *, options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    """Read the Backstage entities of one file.

    The fragment holds the Component and Resource records; every reference is in the
    :class:`CatalogSummary` in ``extras``, for :func:`assemble`.
    """
    collector = _Collector(documents[0].location if documents else "")
    for doc in documents:
        where = f"{doc.where} (line {doc.line})"
        items = _items(doc.data)
        if items is None:
            data = doc.data if isinstance(doc.data, dict) else {}
            collector.add_document(where, [(where, read_entity(data, doc.at, options=options))], "")
            continue
        readings: list[tuple[str, EntityReading]] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                skip = EntityReading(skip=f"items[{i}] is not an entity mapping")
                readings.append((f"{doc.where} items[{i}]", skip))
                continue
            locate = _item_locator(doc, item)
            readings.append((locate(), read_entity(item, locate, options=options)))
        collector.add_document(where, readings, "the catalog answer holds no entities")
    return collector.finish()


def parse_entities(entities: Iterable[Mapping[str, object]], *, location: str,
                   locate: Callable[[EntityRef], str] | None = None,
                   options: ReadOptions = DEFAULT_OPTIONS) -> Fragment:
    """Read entity dicts as the catalog API returns them (the live source); one entity = one document.

    ``locate(ref)`` gives the location to cite for an entity (e.g. its ``by-name`` URL); the
    default is ``<location>#<kind>:<namespace>/<name>``.
    """
    collector = _Collector(location)
    for i, entity in enumerate(entities):
        where = f"{location}#{i + 1}"
        if isinstance(entity, Mapping):
            meta = entity.get("metadata")
            ref = None
            if isinstance(meta, dict):
                parts = {"kind": entity.get("kind"), "namespace": meta.get("namespace"),
                         "name": meta.get("name")}
                ref = parse_ref(parts, default_kind="component")
            if ref is not None:
                where = locate(ref) if locate else f"{location}#{ref}"
            reading = read_entity(entity, lambda *_needles, _w=where: _w, options=options)
        else:
            reading = EntityReading(skip="the catalog returned something that is not an entity mapping")
        collector.add_document(where, [(where, reading)], "")
    return collector.finish()


# --------------------------------------------------------------------------------------------
# Assembling claims across every catalog input
# --------------------------------------------------------------------------------------------


def _target(ref: EntityRef, defined: set[str]) -> NamedTarget:
    if ref.key in defined:
        return NamedTarget(name=ref.key)
    return NamedTarget(name=ref.name, role="resource" if ref.kind == "resource" else "component")


def _api_label(ref: EntityRef) -> str:
    return ref.name if ref.namespace == "default" else f"{ref.namespace}/{ref.name}"


def assemble(extras: Iterable[object]) -> list[Claim]:
    """The declared claims of every catalog input, from the :class:`CatalogSummary` values in ``extras``.

    Other objects in ``extras`` are ignored, so the extras of all fragments can be passed as they are.
    """
    summaries = [e for e in extras if isinstance(e, CatalogSummary)]
    defined = {key for s in summaries for key in s.entities}
    protocols = {api.ref: api.protocol for s in summaries for api in s.apis}
    claims: list[Claim] = []
    seen: set[tuple[str, str, Evidence]] = set()

    def add(claim: Claim) -> None:
        target = claim.target.name if isinstance(claim.target, NamedTarget) else ""
        marker = (claim.source, target, claim.evidence)
        if marker not in seen:
            seen.add(marker)
            claims.append(claim)

    uses: dict[EntityRef, dict[str, dict[str, list[Evidence]]]] = {}
    for s in summaries:
        for use in s.api_uses:
            per_role = uses.setdefault(use.api, {"provide": {}, "consume": {}})
            per_role[use.role].setdefault(use.component, []).append(use.evidence)
        for rel in s.relations:
            if rel.source not in defined:
                continue
            if rel.target.kind == "api":
                per_role = uses.setdefault(rel.target, {"provide": {}, "consume": {}})
                per_role["consume"].setdefault(rel.source, []).append(rel.evidence)
                continue
            add(Claim(source=rel.source, target=_target(rel.target, defined), evidence=rel.evidence,
                      kind="declared"))

    for api in sorted(uses):
        providers, consumers = uses[api]["provide"], uses[api]["consume"]
        label = _api_label(api)
        protocol = protocols.get(api)
        for consumer in sorted(consumers):
            if consumer not in defined:
                continue
            others = sorted(p for p in providers if p != consumer)
            if not others and not providers:
                for ev in consumers[consumer]:
                    detail = f"{ev.detail}; no component in the inventory provides this API"
                    add(Claim(source=consumer, target=NamedTarget(name=f"api:{api.namespace}/{api.name}"),
                              evidence=Evidence(ev.reader, ev.location, detail),
                              kind="declared", via=label, protocol=protocol))
                continue
            for provider in others:
                target = NamedTarget(name=provider) if provider in defined else NamedTarget(
                    name=provider.rsplit("/", 1)[-1], role="component")
                for ev in (*consumers[consumer], *providers[provider]):
                    add(Claim(source=consumer, target=target, evidence=ev, kind="declared", via=label,
                              protocol=protocol))
    return claims
