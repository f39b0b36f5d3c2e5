"""Live sources over HTTP (issue 4) against a real HTTP server on 127.0.0.1, with injected faults."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from inventory.errors import ConfigError
from inventory.live import HttpSettings, LiveSource, live_accounts, parse_lookback, read_live_sources
from inventory.live.fetching import public_url
from inventory.model import Fragment, NamedTarget
from inventory.options import DEFAULT_OPTIONS
from inventory.reading import read_inputs, read_paths
from inventory.resolving import resolve
from inventory.sources import collect

TOKEN = "tok-5ecr3t-value"
ENV = {"ADVISOR_JAEGER_TOKEN": TOKEN, "ADVISOR_BACKSTAGE_TOKEN": TOKEN, "ADVISOR_PROMETHEUS_TOKEN": TOKEN}
NOW = 1_700_000_000.0
FAST = HttpSettings(connect_timeout=2.0, read_timeout=2.0, retries=2, backoff=0.01, max_backoff=0.05)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


@dataclass
class Reply:
    status: int = 200
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: bytes | None = None
    content_length: bool = True
    drip: float = 0.0  # seconds between the bytes of the body (a source that sends a byte now and then)


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    authorization: str | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    routes: dict[str, list[Reply]]
    seen: list[Seen]

    def handle_error(self, request: object, client_address: object) -> None:  # a client that timed out
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.server.seen.append(Seen(url.path, parse_qs(url.query), self.headers.get("Authorization")))
        script = self.server.routes.get(url.path)
        reply = (script.pop(0) if len(script) > 1 else script[0]) if script else Reply(404, {"error": "not found"})
        if reply.delay:
            time.sleep(reply.delay)
        body = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.content_length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not reply.drip:
            self.wfile.write(body)
            return
        for i in range(len(body)):
            self.wfile.write(body[i:i + 1])
            self.wfile.flush()
            time.sleep(reply.drip)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Site:
    url: str
    routes: dict[str, list[Reply]]
    seen: list[Seen]

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


@pytest.fixture
def site() -> Iterator[Site]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes, server.seen = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}", server.routes, server.seen)
    finally:
        server.shutdown()
        server.server_close()


def _read(*specs: LiveSource, settings: HttpSettings = FAST, env: dict[str, str] | None = None
          ) -> tuple[list[Fragment], list, list[float]]:
    sleeps: list[float] = []
    fragments, skipped = read_live_sources(list(specs), settings=settings, env=ENV if env is None else env,
                                           now=lambda: NOW, sleep=sleeps.append)
    for thing in (fragments, skipped):
        assert TOKEN not in repr(thing)
    return fragments, skipped, sleeps


def _edges(fragment: Fragment) -> dict[tuple[str, str], float]:
    return {(c.source, c.target.name if isinstance(c.target, NamedTarget) else c.target.host): c.weight
            for c in fragment.claims}


DEPENDENCIES = {"data": [{"parent": "frontend", "child": "driver", "callCount": 42},
                         {"parent": "frontend", "child": "redis", "callCount": 7}],
                "total": 0, "limit": 0, "offset": 0, "errors": None}
SERVICES = {"data": ["frontend", "driver", "redis", "lonely"], "total": 4}


def _entity(name: str, uid: str, depends: tuple[str, ...] = ()) -> dict:
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": name, "namespace": "default", "uid": uid},
            "spec": {"type": "service", "owner": "team-a", "lifecycle": "production"},
            "relations": [{"type": "dependsOn", "targetRef": f"component:default/{d}"} for d in depends]}


# --------------------------------------------------------------------------------------------
# Jaeger
# --------------------------------------------------------------------------------------------


def test_jaeger_dependencies_and_services_with_the_bearer_token(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES)]
    site.routes["/api/services"] = [Reply(body=SERVICES)]
    (fragment,), skipped, sleeps = _read(LiveSource("jaeger", site.url, lookback_seconds=parse_lookback("7d")))
    assert skipped == [] and sleeps == []
    assert site.paths() == ["/api/dependencies", "/api/services"]
    assert site.seen[0].query == {"endTs": ["1700000000000"], "lookback": ["604800000"]}
    assert {s.authorization for s in site.seen} == {f"Bearer {TOKEN}"}
    assert fragment.format == "jaeger"
    assert fragment.location == f"{site.url}/api/dependencies?lookback=7d"
    assert _edges(fragment) == {("jaeger:frontend", "jaeger:driver"): 42.0, ("jaeger:frontend", "jaeger:redis"): 7.0}
    assert sorted(e.name for e in fragment.entities) == ["driver", "frontend", "lonely", "redis"]
    assert (fragment.documents, fragment.used, fragment.skipped) == (3, 3, [])


def test_jaeger_without_a_token_sends_no_authorization(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES)]
    site.routes["/api/services"] = [Reply(body=SERVICES)]
    _read(LiveSource("jaeger", site.url), env={})
    assert {s.authorization for s in site.seen} == {None}


def test_an_empty_dependencies_answer_is_explained_and_services_still_exist(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(body={"data": [], "total": 0})]
    site.routes["/api/services"] = [Reply(body=SERVICES)]
    (fragment,), skipped, _ = _read(LiveSource("jaeger", site.url))
    assert skipped == []
    assert fragment.claims == []
    assert len(fragment.entities) == 4
    (note,) = fragment.skipped
    assert "spark-dependencies job" in note.reason
    assert (fragment.documents, fragment.used) == (2, 1)


def test_503_then_success_is_retried_with_backoff(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(503, {"error": "busy"}), Reply(body=DEPENDENCIES)]
    site.routes["/api/services"] = [Reply(429, {}, headers={"Retry-After": "0"}), Reply(body=SERVICES)]
    (fragment,), skipped, sleeps = _read(LiveSource("jaeger", site.url))
    assert skipped == []
    assert site.paths() == ["/api/dependencies"] * 2 + ["/api/services"] * 2
    assert sleeps == [0.01, 0.0]  # exponential backoff; Retry-After: 0 honoured
    assert _edges(fragment)[("jaeger:frontend", "jaeger:driver")] == 42.0


def test_a_slow_reply_times_out_after_bounded_retries(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES, delay=1.0)]
    settings = HttpSettings(connect_timeout=1.0, read_timeout=0.2, retries=1, backoff=0.01)
    started = time.monotonic()
    fragments, (skip,), sleeps = _read(LiveSource("jaeger", site.url), settings=settings)
    assert time.monotonic() - started < 1.5
    assert fragments == []
    assert skip.location == site.url
    assert skip.reason == (f"the jaeger source could not be read: {site.url}/api/dependencies did not answer "
                           "within 0.2 s (2 attempts)")
    assert site.paths() == ["/api/dependencies"] * 2
    assert sleeps == [0.01]


def test_401_fails_at_once_naming_the_source_status_and_token_variable(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(401, {"error": "unauthorized"})]
    fragments, (skip,), sleeps = _read(LiveSource("jaeger", site.url))
    assert fragments == [] and sleeps == []
    assert site.paths() == ["/api/dependencies"]
    assert skip.reason == (f"the jaeger source could not be read: {site.url}/api/dependencies answered HTTP 401: "
                           "the source refused the request without valid credentials: set the token environment "
                           "variable ADVISOR_JAEGER_TOKEN")


def test_malformed_json_is_a_clear_failure(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(raw=b'{"data": [{"parent": "a",')]
    fragments, (skip,), _ = _read(LiveSource("jaeger", site.url))
    assert fragments == []
    assert skip.reason.startswith(f"the jaeger source could not be read: {site.url}/api/dependencies did not "
                                  "answer valid JSON")
    assert site.paths() == ["/api/dependencies"]  # not retried: it would not get better


@pytest.mark.parametrize("content_length", [True, False])
def test_an_oversized_body_is_cut_off(site: Site, content_length: bool) -> None:
    big = {"data": [{"parent": f"s{i}", "child": "t", "callCount": 1} for i in range(200)]}
    site.routes["/api/dependencies"] = [Reply(body=big, content_length=content_length)]
    settings = HttpSettings(retries=0, max_bytes=1000)
    fragments, (skip,), _ = _read(LiveSource("jaeger", site.url), settings=settings)
    assert fragments == []
    assert "-byte limit" in skip.reason and "1,000" in skip.reason


def test_a_source_sending_a_byte_now_and_then_is_cut_off_at_the_answer_deadline(site: Site) -> None:
    # every byte arrives well within the read timeout, so only a deadline on the whole answer stops it
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES, drip=0.02)]
    settings = HttpSettings(read_timeout=1.0, retries=0, max_seconds=0.3)
    started = time.monotonic()
    fragments, (skip,), _ = _read(LiveSource("jaeger", site.url), settings=settings)
    assert time.monotonic() - started < 1.5  # the whole body would take about 5 s
    assert fragments == []
    assert skip.reason == (f"the jaeger source could not be read: {site.url}/api/dependencies took more than 0.3 s "
                           "to send its answer; narrow the query (a shorter lookback, a filter)")


def test_an_unreachable_source_is_reported(site: Site) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = HttpSettings(connect_timeout=0.5, read_timeout=0.5, retries=1, backoff=0.01)
    _, (skip,), _ = _read(LiveSource("jaeger", f"http://127.0.0.1:{port}"), settings=settings)
    assert skip.reason.endswith("could not be reached (connection refused, reset or a DNS failure) (2 attempts)")


# --------------------------------------------------------------------------------------------
# Backstage
# --------------------------------------------------------------------------------------------


def test_backstage_by_query_cursor_paging_without_loss_or_duplicates(site: Site) -> None:
    site.routes["/api/catalog/entities/by-query"] = [
        Reply(body={"items": [_entity("orders", "u1", ("payments",)), _entity("payments", "u2")],
                    "totalItems": 4, "pageInfo": {"nextCursor": "c1"}}),
        Reply(body={"items": [_entity("payments", "u2"), _entity("shipping", "u3")],
                    "totalItems": 4, "pageInfo": {"nextCursor": "c2", "prevCursor": "c0"}}),
        Reply(body={"items": [_entity("billing", "u4")], "totalItems": 4, "pageInfo": {"prevCursor": "c1"}}),
    ]
    settings = HttpSettings(retries=0, page_size=2)
    (fragment,), skipped, _ = _read(LiveSource("backstage", site.url), settings=settings)
    assert skipped == []
    assert [s.query for s in site.seen] == [{"limit": ["2"]}, {"cursor": ["c1"], "limit": ["2"]},
                                            {"cursor": ["c2"], "limit": ["2"]}]
    assert fragment.format == "backstage"
    assert sorted(e.key for e in fragment.entities) == [
        "backstage:component:default/billing", "backstage:component:default/orders",
        "backstage:component:default/payments", "backstage:component:default/shipping"]
    assert (fragment.documents, fragment.used, fragment.skipped) == (4, 4, [])
    orders = next(e for e in fragment.entities if e.name == "orders")
    assert orders.evidence.location == f"{site.url}/api/catalog/entities/by-name/component/default/orders"


def test_backstage_base_url_may_include_api_catalog(site: Site) -> None:
    site.routes["/api/catalog/entities/by-query"] = [Reply(body={"items": [_entity("orders", "u1")]})]
    (fragment,), _, _ = _read(LiveSource("backstage", f"{site.url}/api/catalog/"))
    assert [e.name for e in fragment.entities] == ["orders"]


def test_a_repeated_cursor_stops_paging_with_a_message(site: Site) -> None:
    site.routes["/api/catalog/entities/by-query"] = [
        Reply(body={"items": [_entity("orders", "u1")], "pageInfo": {"nextCursor": "c1"}}),
        Reply(body={"items": [_entity("payments", "u2")], "pageInfo": {"nextCursor": "c1"}}),
        Reply(body={"items": [_entity("never", "u9")], "pageInfo": {}}),
    ]
    (fragment,), skipped, _ = _read(LiveSource("backstage", site.url))
    assert skipped == []
    assert len(site.seen) == 2
    assert sorted(e.name for e in fragment.entities) == ["orders", "payments"]
    (note,) = fragment.skipped
    assert note.reason == ("the catalog sent a page cursor it had sent before (after 2 pages and 2 entities); "
                           "paging stopped there, so entities may be missing")
    assert fragment.documents == fragment.used + len(fragment.skipped)


def test_paging_stops_at_the_page_limit_with_a_message(site: Site) -> None:
    # a catalog that always has a next page (a new cursor each time) is read for max_pages pages only
    site.routes["/api/catalog/entities/by-query"] = [
        Reply(body={"items": [_entity(f"svc-{i}", f"u{i}")], "pageInfo": {"nextCursor": f"c{i}"}})
        for i in range(10)]
    settings = HttpSettings(retries=0, max_pages=3)
    (fragment,), skipped, _ = _read(LiveSource("backstage", site.url), settings=settings)
    assert skipped == []
    assert len(site.seen) == 3
    assert sorted(e.name for e in fragment.entities) == ["svc-0", "svc-1", "svc-2"]
    (note,) = fragment.skipped
    assert note.reason == "paging stopped after 3 pages (the page limit); entities may be missing"
    assert fragment.documents == fragment.used + len(fragment.skipped)


def test_old_backstage_falls_back_to_entities_with_link_paging(site: Site) -> None:
    site.routes["/api/catalog/entities/by-query"] = [Reply(404, {"error": {"name": "NotFoundError"}})]
    site.routes["/api/catalog/entities"] = [
        Reply(body=[_entity("orders", "u1"), _entity("payments", "u2")],
              headers={"Link": '</entities?limit=2&after=abc>; rel="next"'}),
        Reply(body=[_entity("shipping", "u3")]),
    ]
    (fragment,), skipped, _ = _read(LiveSource("backstage", site.url))
    assert skipped == []
    assert site.paths() == ["/api/catalog/entities/by-query", "/api/catalog/entities", "/api/catalog/entities"]
    assert site.seen[2].query == {"limit": ["2"], "after": ["abc"]}
    assert fragment.location == f"{site.url}/api/catalog/entities"
    assert sorted(e.name for e in fragment.entities) == ["orders", "payments", "shipping"]


def test_a_next_link_to_another_host_is_not_followed(site: Site) -> None:
    site.routes["/api/catalog/entities/by-query"] = [Reply(404, {})]
    site.routes["/api/catalog/entities"] = [
        Reply(body=[_entity("orders", "u1")],
              headers={"Link": '<http://elsewhere.invalid/entities?after=x>; rel="next"'})]
    (fragment,), _, _ = _read(LiveSource("backstage", site.url))
    assert [e.name for e in fragment.entities] == ["orders"]
    assert "points to another host (http://elsewhere.invalid/entities?after=x)" in fragment.skipped[0].reason


# --------------------------------------------------------------------------------------------
# Prometheus
# --------------------------------------------------------------------------------------------


def test_prometheus_istio_query(site: Site) -> None:
    site.routes["/api/v1/query"] = [Reply(body=json.loads((FIXTURES / "prometheus-istio-vector.json").read_text()))]
    (fragment,), skipped, _ = _read(LiveSource("prometheus", site.url, lookback_seconds=86400))
    assert skipped == []
    (query,) = site.seen[0].query["query"]
    assert query.startswith("sum by (source_workload, ")
    assert query.endswith('(increase(istio_requests_total{reporter="source"}[1d]))')
    assert site.seen[0].query["time"] == ["1700000000.000"]
    assert fragment.location == f"{site.url}/api/v1/query?window=1d"
    assert _edges(fragment)[("prometheus:productpage", "prometheus:reviews")] == 600.0


def test_a_prometheus_error_answer_is_a_failure(site: Site) -> None:
    site.routes["/api/v1/query"] = [Reply(400, {"status": "error", "errorType": "bad_data", "error": "parse error"})]
    _, (skip,), _ = _read(LiveSource("prometheus", site.url))
    assert "answered HTTP 400" in skip.reason


# --------------------------------------------------------------------------------------------
# Several sources, and the combined picture
# --------------------------------------------------------------------------------------------


def test_one_failed_source_does_not_lose_the_others(site: Site) -> None:
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES)]
    site.routes["/api/services"] = [Reply(body=SERVICES)]
    site.routes["/api/v1/query"] = [Reply(403, {})]
    site.routes["/api/catalog/entities/by-query"] = [Reply(body={"items": [_entity("frontend", "u1", ("driver",))]})]
    specs = [LiveSource("jaeger", site.url), LiveSource("prometheus", site.url), LiveSource("backstage", site.url),
             LiveSource("jaeger", "ftp://nowhere")]
    fragments, skipped, _ = _read(*specs)
    assert [f.format for f in fragments] == ["jaeger", "backstage"]
    assert [s.location for s in skipped] == [site.url, "ftp://nowhere"]
    assert "answered HTTP 403: the token in ADVISOR_PROMETHEUS_TOKEN is not allowed to read this" in skipped[0].reason
    assert skipped[1].reason == "jaeger source: 'ftp://nowhere' is not an http(s) URL"
    accounts = live_accounts(fragments, skipped)
    assert [(a.format, a.documents, a.used, a.skipped) for a in accounts] == [
        ("jaeger", 3, 3, 0), ("backstage", 1, 1, 0), ("live", 1, 0, 1), ("live", 1, 0, 1)]


def test_live_fragments_resolve_together_with_files(site: Site, tmp_path: Path) -> None:
    site.routes["/api/dependencies"] = [Reply(body=DEPENDENCIES)]
    site.routes["/api/services"] = [Reply(body=SERVICES)]
    (live,), _, _ = _read(LiveSource("jaeger", site.url))
    (tmp_path / "compose.yaml").write_text(
        "services:\n  frontend:\n    image: acme/frontend\n    environment:\n      DRIVER_URL: http://driver:8080\n"
        "  driver:\n    image: acme/driver\n")
    files = read_paths([tmp_path / "compose.yaml"])
    assert {s.id for s in files.services} == {"frontend", "driver"}
    results = read_inputs(collect([tmp_path / "compose.yaml"], DEFAULT_OPTIONS.limits))
    inventory = resolve([f for r in results for f in r.fragments] + [live])
    (edge,) = [d for d in inventory.dependencies if (d.source, d.target) == ("frontend", "driver")]
    assert edge.bases == ("observed", "static")
    assert edge.weight == 42.0
    assert {s.id: s.sources for s in inventory.services}["driver"] == ("compose", "jaeger")
    assert "lonely" in {s.id for s in inventory.services}


def test_lookback_parsing_and_public_urls() -> None:
    assert [parse_lookback(x) for x in ("7d", "24h", "90m", "3600", "2w", 60)] == [
        604800, 86400, 5400, 3600, 1209600, 60]
    for bad in ("", "7 days", "-1h", "0d"):
        with pytest.raises(ConfigError, match="is not a duration like 7d"):
            parse_lookback(bad)
    assert public_url("https://bob:pw@h.example:8443/x?y=1") == "https://h.example:8443/x?y=1"
    assert LiveSource("backstage", "http://u:p@cat:7007").location == "http://cat:7007"
