"""The three live sources: the Jaeger query service, the Backstage catalog and Prometheus.

Each fetcher takes its :class:`~inventory.live.LiveSource`, an :class:`HttpClient` and the read
options, and returns one :class:`Fragment` parsed by the same code as the saved files (the Jaeger
dependencies reader, the Backstage per-entity reader, the Prometheus reader), so a live source and
a file of the same answer give the same inventory. Whole-source failures raise :class:`SourceError`;
partial trouble (a paging loop, a failed services list) is a ``Skipped`` entry in the fragment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from inventory import backstage
from inventory.errors import SourceError
from inventory.live.fetching import HttpClient, HttpStatusError, public_url, same_origin
from inventory.model import Fragment, Skipped
from inventory.options import ReadOptions
from inventory.traces import jaeger, mesh

if TYPE_CHECKING:
    from inventory.live import LiveSource

#: The PromQL the Prometheus source runs: requests per service pair over the lookback window,
#: split by response code so that 5xx count as errors.
ISTIO_QUERY = (
    "sum by (source_workload, source_workload_namespace, source_canonical_service, destination_workload, "
    "destination_workload_namespace, destination_canonical_service, destination_service_name, request_protocol, "
    'response_code) (increase(istio_requests_total{{reporter="source"}}[{window}]))'
)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def fetch_jaeger(spec: LiveSource, client: HttpClient, options: ReadOptions, now: Callable[[], float]) -> Fragment:
    """Dependency links over the lookback window, plus the service list (services with no links exist too)."""
    base = spec.url.rstrip("/")
    lookback_ms = spec.lookback_seconds * 1000
    location = f"{public_url(base)}/api/dependencies?lookback={_duration(spec.lookback_seconds)}"
    answer = client.get_json(f"{base}/api/dependencies", {"endTs": int(now() * 1000), "lookback": lookback_ms})
    links = answer.data.get("data") if isinstance(answer.data, dict) else answer.data
    if not isinstance(links, list):
        raise SourceError(client.source, f"{public_url(base)}/api/dependencies did not answer a Jaeger dependencies "
                                         "response (no data list)")
    reading = jaeger.DependencyReading(location)
    for link in links:
        reading.add(link, location)
    book = reading.book
    services_url = f"{public_url(base)}/api/services"
    try:
        services = client.get_json(f"{base}/api/services").data
    except SourceError as exc:
        book.records += 1
        book.skip(services_url, f"the service list could not be read: {exc.reason}")
    else:
        names = services.get("data") if isinstance(services, dict) else None
        book.records += 1
        if isinstance(names, list):
            book.used += 1
            for name in names:
                if isinstance(name, str) and name.strip():
                    tally = book.service(name.strip(), services_url)
                    tally.note = tally.note or "listed by the Jaeger query service (/api/services)"
        else:
            book.skip(services_url, "the service list is not a Jaeger answer (no data list)")
    return reading.fragment()


def _catalog_base(url: str) -> str:
    base = url.rstrip("/")
    return base if base.endswith("/api/catalog") else f"{base}/api/catalog"


def _entity_key(entity: object) -> str | None:
    if not isinstance(entity, dict):
        return None
    meta = entity.get("metadata")
    if not isinstance(meta, dict):
        return None
    uid = meta.get("uid")
    if isinstance(uid, str) and uid:
        return uid
    return f"{entity.get('kind')}:{meta.get('namespace', 'default')}/{meta.get('name')}".lower()


class _Entities:
    """Entities gathered over pages, without duplicates, with what went wrong while paging."""

    def __init__(self) -> None:
        self.items: list[Mapping[str, object]] = []
        self.seen: set[str] = set()
        self.duplicates = 0
        self.problems: list[str] = []

    def add(self, items: list[object]) -> None:
        for entity in items:
            key = _entity_key(entity)
            if key is not None and key in self.seen:
                self.duplicates += 1
                continue
            if key is not None:
                self.seen.add(key)
            self.items.append(entity if isinstance(entity, dict) else {"unusable": entity})


def _page_by_query(catalog: str, client: HttpClient, found: _Entities) -> None:
    settings = client.settings
    params: dict[str, str | int | float] = {"limit": settings.page_size}
    cursors: set[str] = set()
    for page in range(settings.max_pages):
        answer = client.get_json(f"{catalog}/entities/by-query", params)
        data = answer.data
        items = data.get("items") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise SourceError(client.source, f"{public_url(catalog)}/entities/by-query did not answer a catalog page "
                                             "(no items list)")
        found.add(items)
        info = data.get("pageInfo") if isinstance(data, dict) else None
        cursor = info.get("nextCursor") if isinstance(info, dict) else None
        if not isinstance(cursor, str) or not cursor:
            return
        if cursor in cursors:
            found.problems.append(f"the catalog sent a page cursor it had sent before (after {page + 1} pages and "
                                  f"{len(found.items)} entities); paging stopped there, so entities may be missing")
            return
        cursors.add(cursor)
        params = {"cursor": cursor, "limit": settings.page_size}
    found.problems.append(f"paging stopped after {settings.max_pages} pages (the page limit); entities may be missing")


def _next_link(catalog: str, link: str | None) -> str | None:
    if not link:
        return None
    if link.startswith(("http://", "https://")):
        return link if same_origin(link, catalog) else None
    origin = catalog[: len(catalog) - len("/api/catalog")]
    return origin + link if link.startswith("/api/") else catalog + "/" + link.lstrip("/")


def _page_entities(catalog: str, client: HttpClient, found: _Entities) -> None:
    settings = client.settings
    url: str | None = f"{catalog}/entities"
    params: dict[str, str | int | float] | None = {"limit": settings.page_size}
    visited: set[str] = set()
    for page in range(settings.max_pages):
        assert url is not None
        answer = client.get_json(url, params)
        if not isinstance(answer.data, list):
            raise SourceError(client.source, f"{public_url(url)} did not answer an entity list")
        found.add(answer.data)
        raw_next = answer.links.get("next")
        url = _next_link(catalog, raw_next)
        params = None
        if url is None:
            if raw_next:
                found.problems.append(f"the next-page link points to another host ({public_url(raw_next)}); it was "
                                      "not followed (the token is only sent to the catalog)")
            return
        if url in visited:
            found.problems.append(f"the catalog sent a next-page link it had sent before (after {page + 1} pages); "
                                  "paging stopped there, so entities may be missing")
            return
        visited.add(url)
    found.problems.append(f"paging stopped after {settings.max_pages} pages (the page limit); entities may be missing")


def fetch_backstage(spec: LiveSource, client: HttpClient, options: ReadOptions, now: Callable[[], float]) -> Fragment:
    """Every catalog entity (``/entities/by-query`` with cursors; ``/entities`` on old instances)."""
    catalog = _catalog_base(spec.url)
    shown = public_url(catalog)
    found = _Entities()
    try:
        _page_by_query(catalog, client, found)
        location = f"{shown}/entities/by-query"
    except HttpStatusError as exc:
        if exc.status not in (404, 405):
            raise
        found = _Entities()
        _page_entities(catalog, client, found)
        location = f"{shown}/entities"

    def locate(ref: backstage.EntityRef) -> str:
        return f"{shown}/entities/by-name/{ref.kind}/{ref.namespace}/{ref.name}"

    fragment = backstage.parse_entities(found.items, location=location, locate=locate, options=options)
    for problem in found.problems:
        fragment.documents += 1
        fragment.skipped.append(Skipped(location, problem))
    return fragment


def fetch_prometheus(spec: LiveSource, client: HttpClient, options: ReadOptions, now: Callable[[], float]
                     ) -> Fragment:
    """Requests per service pair from ``istio_requests_total`` (or ``spec.query``) over the lookback window."""
    base = spec.url.rstrip("/")
    query = spec.query or ISTIO_QUERY.format(window=_duration(spec.lookback_seconds))
    answer = client.get_json(f"{base}/api/v1/query", {"query": query, "time": f"{now():.3f}"})
    data = answer.data
    if isinstance(data, dict) and data.get("status") == "error":
        raise SourceError(client.source, f"{public_url(base)}/api/v1/query answered an error: "
                                         f"{str(data.get('errorType', ''))[:40]}: {str(data.get('error', ''))[:200]}")
    location = f"{public_url(base)}/api/v1/query?window={_duration(spec.lookback_seconds)}"
    return mesh.parse_prometheus(data, location=location)
