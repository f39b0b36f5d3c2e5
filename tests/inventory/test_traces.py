"""Observed edges from trace files and mesh telemetry (issue 4): every format, the edge rules, streaming."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
from pathlib import Path

import pytest

from inventory.model import Address, Claim, Fragment, NamedTarget
from inventory.options import DEFAULT_OPTIONS
from inventory.reading import STREAM_READERS, FileContext, FileResult, read_file, read_paths
from inventory.sources import InputFile
from inventory.traces import TraceSummary, alibaba, jaeger, mesh, otlp, zipkin
from inventory.traces.edges import MAX_LISTED_SKIPS, EdgeBook
from inventory.traces.jsonstream import JsonStream, JsonStreamError
from inventory.traces.spans import CLIENT, SERVER, SpanGraph, make_span

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"
REPO_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _read(name: str | Path) -> FileResult:
    path = FIXTURES / name if isinstance(name, str) else name
    return read_file(InputFile(path.name, "", path=str(path)), FileContext(path.name, ""), DEFAULT_OPTIONS)


def _fragment(name: str) -> Fragment:
    (fragment,) = _read(name).fragments
    return fragment


def _target(claim: Claim) -> str:
    t = claim.target
    return t.name if isinstance(t, NamedTarget) else f"addr:{t.raw}"


def _edges(fragment: Fragment) -> dict[tuple[str, str, str | None, str | None], tuple[float, int | None]]:
    out = {}
    for c in fragment.claims:
        key = (c.source, _target(c), c.kind, c.role)
        assert key not in out, f"one claim per distinct edge, got two for {key}"
        out[key] = (c.weight, c.errors)
    return out


def _summary(fragment: Fragment) -> TraceSummary:
    (summary,) = [x for x in fragment.extras if isinstance(x, TraceSummary)]
    return summary


# --------------------------------------------------------------------------------------------
# Recognition
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reader"), [
    ("otlp-shop-kafka-db-broken.jsonl", "otlp"),
    ("otlp-shop-kafka-db-broken.jsonl.gz", "otlp"),
    ("otlp-pretty-snake-case.json", "otlp"),
    ("jaeger-traces-hotrod.json", "jaeger"),
    ("jaeger-traces-hotrod.json.gz", "jaeger"),
    ("jaeger-trace-bare.json", "jaeger"),
    ("jaeger-trace-list.json", "jaeger"),
    ("jaeger-dependencies.json", "jaeger"),
    ("jaeger-dependencies-empty.json", "jaeger"),
    ("zipkin-v2-shared-kafka.json", "zipkin"),
    ("zipkin-v2-trace-list.json", "zipkin"),
    ("zipkin-v1-annotations.json", "zipkin"),
    ("alibaba-v2021-index-column.csv", "alibaba"),
    ("alibaba-v2021-index-column.csv.gz", "alibaba"),
    ("alibaba-v2022.csv", "alibaba"),
    ("prometheus-istio-vector.json", "prometheus"),
    ("prometheus-istio-matrix-counter.json", "prometheus"),
    ("kiali-workload-graph.json", "kiali"),
])
def test_every_fixture_is_recognised_by_its_reader(name: str, reader: str) -> None:
    assert [s.name for s in STREAM_READERS][:6] == ["otlp", "jaeger", "zipkin", "alibaba", "prometheus", "kiali"]
    result = _read(name)
    assert result.account.format == reader
    assert result.account.documents == result.account.used + result.account.skipped


def test_no_trace_reader_claims_any_other_fixture_or_example() -> None:
    others = [p for root in (REPO_FIXTURES, REPO_FIXTURES.parents[1] / "examples") for p in sorted(root.rglob("*"))
              if p.is_file() and "traces" not in p.parts and not any(
                  word in p.name.lower() for word in ("trace", "span", "jaeger", "otlp", "zipkin", "alibaba",
                                                      "callgraph", "prometheus", "istio", "kiali"))]
    assert len(others) > 50
    claimed = {str(p): [s.name for s in STREAM_READERS if s.sniff(p.read_bytes()[:65536], str(p))] for p in others}
    assert {k: v for k, v in claimed.items() if v} == {}


# --------------------------------------------------------------------------------------------
# OTLP
# --------------------------------------------------------------------------------------------


def test_otlp_jsonl_edges_with_kafka_database_uninstrumented_peer_and_broken_trace() -> None:
    result = _read("otlp-shop-kafka-db-broken.jsonl")
    assert (result.account.documents, result.account.used, result.account.skipped) == (16, 14, 2)
    assert [(s.location, s.reason) for s in result.skipped] == [
        ("otlp-shop-kafka-db-broken.jsonl:4", "is not valid JSON (Expecting value)"),
        ("otlp-shop-kafka-db-broken.jsonl:7", "resourceSpans[0]: a span has no traceId or spanId"),
    ]
    (fragment,) = result.fragments
    assert _edges(fragment) == {
        # parent edges, errors from the server span's status (trace 2's checkout span failed)
        ("otlp:frontend", "otlp:checkout", None, None): (2.0, 1),
        ("otlp:checkout", "otlp:payments", None, None): (1.0, 0),
        # a CLIENT span with no SERVER child: the peer it names (uninstrumented, failed call)
        ("otlp:checkout", "otlp:legacy-pricing", None, None): (1.0, 1),
        # a database client span: the datastore by its server.address
        ("otlp:checkout", "addr:postgresql://orders-db:5432/orders", "datastore", None): (1.0, 0),
        # messaging: the producer, a consumer naming the topic, a consumer linked to the producer
        ("otlp:checkout", "orders", "async", "produce"): (1.0, 0),
        ("otlp:email", "orders", "async", "consume"): (1.0, 0),
        ("otlp:shipping", "orders", "async", "consume"): (1.0, 0),
    }
    db = next(c for c in fragment.claims if isinstance(c.target, Address))
    assert (db.via, db.protocol, db.operations) == ("orders", "postgres", ("INSERT orders",))
    topic = next(c for c in fragment.claims if c.role == "produce")
    assert topic.target == NamedTarget(name="orders", role="topic", technology="kafka", create=True)
    assert topic.evidence.location == "otlp-shop-kafka-db-broken.jsonl:2"
    entities = {e.key: (e.role, e.namespace, e.runtime) for e in fragment.entities}
    assert entities == {
        "otlp:frontend": ("service", "shop", "nodejs"), "otlp:checkout": ("service", "shop", "java"),
        "otlp:payments": ("service", "shop", "go"), "otlp:shipping": ("service", "shop", "python"),
        "otlp:email": ("service", "shop", "java"), "otlp:cart": ("service", "shop", "java"),
        "otlp:legacy-pricing": ("service", None, None),
    }
    cart = next(e for e in fragment.entities if e.key == "otlp:cart")
    assert cart.evidence.detail == ("seen in 1 span of 1 trace; 1 span whose parent span is missing "
                                    "(the trace was cut or sampled)")
    summary = _summary(fragment)
    assert (summary.spans, summary.traces, summary.orphan_spans, summary.traces_with_orphans) == (14, 4, 1, 1)
    assert "1 span in 1 trace have a parent span that is not in the input" in summary.describe()


def test_otlp_gzip_copy_reads_the_same() -> None:
    plain, packed = _fragment("otlp-shop-kafka-db-broken.jsonl"), _fragment("otlp-shop-kafka-db-broken.jsonl.gz")
    assert _edges(plain) == _edges(packed)
    assert (plain.documents, plain.used) == (packed.documents, packed.used)


def test_otlp_resolves_into_services_topic_pairs_and_an_external_database() -> None:
    inventory = read_paths([FIXTURES / "otlp-shop-kafka-db-broken.jsonl"])
    deps = {(d.source, d.target, d.kind, d.via): (d.weight, d.errors) for d in inventory.dependencies}
    assert deps == {
        ("frontend", "checkout", "sync", None): (2.0, 1),
        ("checkout", "payments", "sync", None): (1.0, 0),
        ("checkout", "legacy-pricing", "sync", None): (1.0, 1),
        ("checkout", "database:orders-db", "datastore", "orders"): (1.0, 0),
        ("checkout", "topic:orders", "async", "orders"): (1.0, 0),
        ("email", "topic:orders", "async", "orders"): (1.0, 0),
        ("shipping", "topic:orders", "async", "orders"): (1.0, 0),
        # the resolver pairs producer and consumers of the topic
        ("checkout", "email", "async", "orders"): (1.0, None),
        ("checkout", "shipping", "async", "orders"): (1.0, None),
    }
    assert {d.bases for d in inventory.dependencies} == {("observed",)}
    assert [s.id for s in inventory.services] == [
        "cart", "checkout", "email", "frontend", "legacy-pricing", "payments", "shipping"]
    assert {(r.id, r.kind, r.technology) for r in inventory.resources} == {
        ("database:orders-db", "database", "postgres"), ("topic:orders", "topic", "kafka")}


def test_otlp_single_pretty_document_with_snake_case_fields() -> None:
    fragment = _fragment("otlp-pretty-snake-case.json")
    assert _edges(fragment) == {
        ("otlp:web", "otlp:api", None, None): (1.0, 0),
        # a redis client span whose server.address is an IP: a datastore named by its system
        ("otlp:web", "otlp:cache/redis", "datastore", None): (1.0, 0),
    }
    redis = next(e for e in fragment.entities if e.key == "otlp:cache/redis")
    assert (redis.role, redis.technology) == ("cache", "redis")
    assert fragment.claims[0].evidence.location.startswith("otlp-pretty-snake-case.json:")


def test_otlp_span_kinds_attribute_spellings_and_no_secret_in_output() -> None:
    def line(spans: list[dict], service: str = "orders") -> str:
        res = {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}
        return json.dumps({"resourceSpans": [{"resource": res, "scopeSpans": [{"spans": spans}]}]})

    def attr(k: str, v: str) -> dict:
        return {"key": k, "value": {"stringValue": v}}

    spans = [
        {"traceId": "t1", "spanId": "s1", "name": "call", "kind": "3",
         "attributes": [attr("url.full", "http://bob:s3cret@pricing:8080/p")]},
        {"traceId": "t1", "spanId": "s2", "name": "rpc", "kind": "SPAN_KIND_CLIENT",
         "attributes": [attr("rpc.system", "grpc"), attr("rpc.service", "acme.billing.Invoices")]},
        {"traceId": "t1", "spanId": "s3", "name": "old peer", "kind": 3,
         "attributes": [attr("service.peer.name", "stock"), attr("peer.service", "stock-old")]},
        {"traceId": "t1", "spanId": "s4", "name": "send", "kind": 3,
         "attributes": [attr("messaging.system", "rabbitmq"), attr("messaging.destination", "invoices"),
                        attr("messaging.operation", "publish")]},
        {"traceId": "t1", "spanId": "s5", "name": "mongo", "kind": 3,
         "attributes": [attr("db.system", "mongodb"), attr("db.name", "catalog")]},
        {"traceId": "t1", "spanId": "s6", "name": "external", "kind": 3,
         "attributes": [attr("server.address", "api.stripe.com"), attr("server.port", "443")]},
        {"traceId": "t1", "spanId": "s7", "name": "nothing named", "kind": 3},
    ]
    fragment = otlp.read_stream(io.BytesIO(line(spans).encode()), "x.jsonl", jsonl=True, max_record_bytes=1 << 20)
    assert _edges(fragment) == {
        ("otlp:orders", "otlp:pricing", None, None): (1.0, 0),
        ("otlp:orders", "otlp:Invoices", None, None): (1.0, 0),
        ("otlp:orders", "otlp:stock", None, None): (1.0, 0),
        ("otlp:orders", "invoices", "async", "produce"): (1.0, 0),
        ("otlp:orders", "otlp:database/mongodb-catalog", "datastore", None): (1.0, 0),
        ("otlp:orders", "addr:api.stripe.com:443", None, None): (1.0, 0),
    }
    invoices = next(e for e in fragment.entities if e.key == "otlp:Invoices")
    assert invoices.aliases == ("acme.billing.Invoices",)
    assert _summary(fragment).silent_clients == 1
    assert "s3cret" not in repr(fragment)


# --------------------------------------------------------------------------------------------
# Jaeger
# --------------------------------------------------------------------------------------------


def test_jaeger_trace_json_follows_from_links_db_peer_errors_and_sampling() -> None:
    result = _read("jaeger-traces-hotrod.json")
    assert (result.account.documents, result.account.used, result.account.skipped) == (10, 9, 1)
    assert [(s.location, s.reason) for s in result.skipped] == [
        ("jaeger-traces-hotrod.json:159", "span t5 names no process with a serviceName")]
    (fragment,) = result.fragments
    assert _edges(fragment) == {
        ("jaeger:frontend", "jaeger:customer", None, None): (2.0, 1),  # one server span tagged error=true
        ("jaeger:frontend", "jaeger:notifier", "async", None): (1.0, 0),  # FOLLOWS_FROM
        ("jaeger:customer", "jaeger:mysql", None, None): (1.0, 0),  # client span, no server child
        ("jaeger:customer", "jaeger:auditor", "async", None): (1.0, 0),  # a reference into another trace
    }
    roles = {e.key: (e.role, e.namespace, e.runtime) for e in fragment.entities}
    assert roles["jaeger:mysql"] == ("database", None, None)
    assert roles["jaeger:customer"] == ("service", "hotrod", None)
    assert roles["jaeger:frontend"] == ("service", None, "go")
    assert _summary(fragment).sampling == ("probabilistic 0.001",)


def test_jaeger_gzip_bare_trace_and_list_of_traces() -> None:
    assert _edges(_fragment("jaeger-traces-hotrod.json.gz")) == _edges(_fragment("jaeger-traces-hotrod.json"))
    assert _edges(_fragment("jaeger-trace-list.json")) == _edges(_fragment("jaeger-traces-hotrod.json"))
    bare = _fragment("jaeger-trace-bare.json")
    # trace 2 alone: its FOLLOWS_FROM points into trace 1, which this file does not have
    assert _edges(bare) == {("jaeger:frontend", "jaeger:customer", None, None): (1.0, 0)}
    assert _summary(bare).unresolved_links == 1


def test_jaeger_dependencies_answer_and_its_empty_form() -> None:
    result = _read("jaeger-dependencies.json")
    assert (result.account.documents, result.account.used, result.account.skipped) == (4, 3, 1)
    assert result.skipped[0].reason == ("the link driver -> redis has a callCount that is not a number of 0 or "
                                        "more ('many')")
    (fragment,) = result.fragments
    assert _edges(fragment) == {
        ("jaeger:frontend", "jaeger:driver", None, None): (50.0, None),
        ("jaeger:frontend", "jaeger:redis", None, None): (7.0, None),
    }
    assert {e.key: e.role for e in fragment.entities} == {
        "jaeger:frontend": "service", "jaeger:driver": "service", "jaeger:redis": "cache"}
    empty = _read("jaeger-dependencies-empty.json")
    assert (empty.account.documents, empty.account.used, empty.account.skipped) == (1, 0, 1)
    assert "spark-dependencies job" in empty.skipped[0].reason


def test_jaeger_dependency_weights_are_observed_calls_after_resolution() -> None:
    inventory = read_paths([FIXTURES / "jaeger-dependencies.json"])
    deps = {(d.source, d.target, d.kind): d.weight for d in inventory.dependencies}
    assert deps == {("frontend", "driver", "sync"): 50.0, ("frontend", "cache:redis", "datastore"): 7.0}


# --------------------------------------------------------------------------------------------
# Zipkin
# --------------------------------------------------------------------------------------------


def test_zipkin_v2_shared_span_uninstrumented_mysql_and_kafka() -> None:
    result = _read("zipkin-v2-shared-kafka.json")
    assert (result.account.documents, result.account.used, result.account.skipped) == (7, 6, 1)
    (fragment,) = result.fragments
    expected = {
        ("zipkin:frontend", "zipkin:backend", None, None): (1.0, 0),
        ("zipkin:backend", "zipkin:mysql", None, None): (1.0, 1),
        ("zipkin:backend", "audit", "async", "produce"): (1.0, 0),
        ("zipkin:auditor", "audit", "async", "consume"): (1.0, 0),
    }
    assert _edges(fragment) == expected
    assert _edges(_fragment("zipkin-v2-trace-list.json")) == expected
    produce = next(c for c in fragment.claims if c.role == "produce")
    assert produce.target == NamedTarget(name="audit", role="topic", technology="kafka", create=True)


def test_zipkin_v1_annotations_give_client_server_halves_and_the_sa_peer() -> None:
    fragment = _fragment("zipkin-v1-annotations.json")
    assert _edges(fragment) == {
        ("zipkin:web", "zipkin:api", None, None): (1.0, 0),
        ("zipkin:api", "zipkin:redis", None, None): (1.0, 1),
    }
    assert {e.key: e.role for e in fragment.entities}["zipkin:redis"] == "cache"


# --------------------------------------------------------------------------------------------
# Alibaba call graphs
# --------------------------------------------------------------------------------------------


def test_alibaba_v2021_with_index_column_and_gzip() -> None:
    for name in ("alibaba-v2021-index-column.csv", "alibaba-v2021-index-column.csv.gz"):
        result = _read(name)
        assert (result.account.documents, result.account.used, result.account.skipped) == (12, 9, 3)
        assert [(s.location, s.reason) for s in result.skipped] == [
            (f"{name}:10", "names neither caller (um) nor callee (dm)"),
            (f"{name}:11", "has 6 fields where the header has 9"),
            (f"{name}:12", "has rpctype 'ftp', not one of rpc, http, mq, db, mc"),
        ]
        (fragment,) = result.fragments
        assert _edges(fragment) == {
            ("alibaba:MS_1", "alibaba:MS_2", None, None): (3.0, None),
            ("alibaba:MS_2", "alibaba:MS_3", None, None): (2.0, None),
            ("alibaba:MS_2", "alibaba:database/MS_9", "datastore", None): (1.0, None),
            ("alibaba:MS_2", "alibaba:cache/MS_8", "datastore", None): (1.0, None),
            ("alibaba:MS_2", "alibaba:MS_4", "async", None): (1.0, None),
        }
        ms3 = next(e for e in fragment.entities if e.key == "alibaba:MS_3")
        assert ms3.evidence.detail == ("seen in 3 call-graph rows; 1 of them with the other end unrecorded "
                                       "(UNKNOWN/UNAVAILABLE)")
        first = next(c for c in fragment.claims if _target(c) == "alibaba:MS_2")
        assert (first.operations, first.evidence.location) == (("/cart", "/order"), f"{name}:2")


def test_alibaba_v2022_header() -> None:
    fragment = _fragment("alibaba-v2022.csv")
    assert _edges(fragment) == {
        ("alibaba:MS_10", "alibaba:MS_11", None, None): (1.0, None),
        ("alibaba:MS_11", "alibaba:MS_12", None, None): (2.0, None),
        ("alibaba:MS_12", "alibaba:database/MS_13", "datastore", None): (1.0, None),
    }
    assert alibaba.columns("timestamp,traceid,service,rpc_id,rpctype,um,uminstanceid,interface,dm,dminstanceid,rt")
    assert alibaba.columns("traceid,timestamp,rpcid,um,rpctype,dm,interface") is None


# --------------------------------------------------------------------------------------------
# Prometheus and Kiali
# --------------------------------------------------------------------------------------------


def test_prometheus_istio_vector_by_canonical_service_with_5xx_as_errors() -> None:
    result = _read("prometheus-istio-vector.json")
    assert (result.account.documents, result.account.used, result.account.skipped) == (7, 5, 2)
    assert [s.reason for s in result.skipped] == [
        "the source is 'unknown' (traffic from outside the mesh, or a workload without a sidecar)",
        "the series has no usable sample value",
    ]
    (fragment,) = result.fragments
    assert _edges(fragment) == {
        ("prometheus:productpage", "prometheus:reviews", None, None): (600.0, 20),
        ("prometheus:reviews", "prometheus:ratings", None, None): (280.5, 0),
        ("prometheus:istio-ingressgateway", "prometheus:productpage", None, None): (600.0, 0),
    }
    reviews = next(e for e in fragment.entities if e.key == "prometheus:reviews")
    assert (reviews.workloads, reviews.namespace) == (("reviews-v1", "reviews-v2"), "bookinfo")


def test_prometheus_matrix_of_a_raw_counter_counts_its_increase_across_a_reset() -> None:
    fragment = _fragment("prometheus-istio-matrix-counter.json")
    # 100 -> 130 (+30), reset to 5 (+5), -> 25 (+20)
    assert _edges(fragment) == {("prometheus:productpage-v1", "prometheus:details-v1", None, None): (55.0, None)}


def test_kiali_graph_resolves_node_ids_and_collapses_service_nodes() -> None:
    result = _read("kiali-workload-graph.json")
    assert (result.account.documents, result.account.used, result.account.skipped) == (12, 10, 2)
    (fragment,) = result.fragments
    assert _edges(fragment) == {
        ("kiali:productpage", "kiali:reviews", None, None): (900.0, 18),  # 1.5 req/s x 600 s, 2 % errors
        ("kiali:reviews", "kiali:ratings", None, None): (300.0, 30),
        ("kiali:ratings", "kiali:mongodb", None, None): (1.0, None),  # TCP: counted once
    }
    assert {e.key: e.role for e in fragment.entities}["kiali:mongodb"] == "database"


def test_mesh_answers_that_hold_no_edges_say_why() -> None:
    empty = mesh.parse_prometheus({"status": "success", "data": {"resultType": "vector", "result": []}},
                                  location="q")
    assert "no series" in empty.skipped[0].reason
    error = mesh.parse_prometheus({"status": "error", "errorType": "bad_data", "error": "parse error"}, location="q")
    assert error.skipped[0].reason == "Prometheus answered an error: bad_data: parse error"
    scalar = mesh.parse_prometheus({"resultType": "scalar", "result": [1, "2"]}, location="q")
    assert scalar.skipped[0].reason == "the query result is of type 'scalar', not a vector or matrix of series"


# --------------------------------------------------------------------------------------------
# Streaming: the JSON walker and the bounded trace buffer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 20])
def test_json_stream_gives_the_same_values_whatever_the_chunk_size(chunk: int) -> None:
    doc = {"total": 12345678901234, "data": [{"a": [1, 2.5e10, "x\\\"y", True, None]}, {"b": "ü€\n"}, [], 7],
           "errors": None}
    text = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    stream = JsonStream(io.BytesIO(text), chunk_bytes=chunk)
    items = list(stream.items(arrays=frozenset({"data"})))
    assert [(i.value, i.array, i.key) for i in items] == [
        (12345678901234, None, "total"), ({"a": [1, 2.5e10, "x\\\"y", True, None]}, "data", None),
        ({"b": "ü€\n"}, "data", None), ([], "data", None), (7, "data", None), (None, None, "errors")]
    assert [i.line for i in items] == [2, 4, 13, 16, 17, 19]


def test_json_stream_reports_where_a_document_breaks() -> None:
    text = b'[{"a": 1},\n {"b": 2},\n {"c": 3 "d"}]'
    stream = JsonStream(io.BytesIO(text), chunk_bytes=4)
    seen = []
    with pytest.raises(JsonStreamError) as err:
        for item in stream.items():
            seen.append(item.value)
    assert seen == [{"a": 1}, {"b": 2}]
    assert err.value.line == 3
    assert "invalid JSON" in err.value.reason


def test_a_broken_jaeger_file_keeps_the_traces_before_the_break(tmp_path: Path) -> None:
    good = json.loads((FIXTURES / "jaeger-traces-hotrod.json").read_text())
    text = json.dumps(good)[:-60] + ' ,, "oops" ]}'
    path = tmp_path / "cut.json"
    path.write_text(text)
    result = _read(path)
    assert result.account.format == "jaeger"
    assert result.skipped[-1].reason.endswith("the rest of the file from this line was not read")
    (fragment,) = result.fragments
    assert ("jaeger:frontend", "jaeger:notifier", "async", None) in _edges(fragment)


def test_a_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    lines = []
    for i in range(1, 3001):  # (an all-zero trace id is no id)
        spans = [{"traceId": f"{i:032x}", "spanId": "01", "name": "GET", "kind": 3, "attributes": [
            {"key": "peer.service", "value": {"stringValue": "stock"}}]}]
        res = {"attributes": [{"key": "service.name", "value": {"stringValue": "orders"}}]}
        lines.append(json.dumps({"resourceSpans": [{"resource": res, "scopeSpans": [{"spans": spans}]}]}))
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    result = _read(path)
    assert result.account.format == "otlp"
    assert [s.reason.split(" after ")[0] for s in result.skipped] == ["the compressed stream is cut or corrupt"]
    (fragment,) = result.fragments
    calls = _edges(fragment)[("otlp:orders", "otlp:stock", None, None)][0]
    assert 1000 < calls < 3000
    assert result.account.used == calls
    assert result.account.documents == calls + 1


def test_span_graph_evicts_old_traces_and_still_finds_late_parents() -> None:
    book = EdgeBook("otlp", "mem")
    graph = SpanGraph(book, max_open_spans=4, max_recent=100)
    for i in range(10):  # ten traces: client span in "a", server span in "b", interleaved by 3
        graph.add(f"t{i}", make_span("c", None, "a", CLIENT, "call", {}, location="mem:1"))
        if i >= 3:
            graph.add(f"t{i - 3}", make_span("s", "c", "b", SERVER, "serve", {}, location="mem:2"))
    for i in range(7, 10):
        graph.add(f"t{i}", make_span("s", "c", "b", SERVER, "serve", {}, location="mem:2"))
    summary = graph.finish()
    fragment = book.fragment(summary)
    # every server span found its client parent, in the open buffer or in the recent index
    assert _edges(fragment)[("otlp:a", "otlp:b", None, None)] == (10.0, 0)
    assert summary.orphan_spans == 0
    assert summary.late_spans > 0  # some traces were closed before their server span came
    # an early-closed client span was also counted as a call to no peer; never a second edge
    assert len(fragment.claims) == 1


def test_listed_skips_are_capped_and_the_rest_counted() -> None:
    text = "\n".join(["not json"] * (MAX_LISTED_SKIPS + 30)) + "\n"
    fragment = otlp.read_stream(io.BytesIO(text.encode()), "bad.jsonl", jsonl=True, max_record_bytes=1 << 20)
    assert fragment.documents == MAX_LISTED_SKIPS + 30
    assert len(fragment.skipped) == MAX_LISTED_SKIPS + 1
    assert fragment.skipped[-1].reason.startswith("30 more records were skipped")


def test_zipkin_and_jaeger_readers_are_pure_functions_of_the_stream() -> None:
    text = (FIXTURES / "zipkin-v1-annotations.json").read_bytes()
    assert _edges(zipkin.read_stream(io.BytesIO(text), "z", max_record_bytes=1 << 20)) == _edges(
        _fragment("zipkin-v1-annotations.json"))
    head = (FIXTURES / "jaeger-dependencies.json").read_bytes()
    deps = jaeger.read_stream(io.BytesIO(head), "d", head=head, max_record_bytes=1 << 20)
    assert deps.used == 3


# --------------------------------------------------------------------------------------------
# The combined picture and the edge-list route
# --------------------------------------------------------------------------------------------

MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: shop}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec:
      containers:
        - name: frontend
          image: shop/frontend:1.0
          env:
            - {name: CHECKOUT_SERVICE_ADDR, value: "checkout:8080"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: checkout, namespace: shop}
spec:
  template:
    metadata: {labels: {app: checkout}}
    spec:
      containers:
        - {name: checkout, image: shop/checkout:1.0}
---
apiVersion: v1
kind: Service
metadata: {name: checkout, namespace: shop}
spec:
  selector: {app: checkout}
  ports: [{port: 8080}]
"""


def test_a_service_in_manifests_and_traces_is_one_service_and_the_edge_carries_both_evidences(
        tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(MANIFESTS)
    inventory = read_paths([tmp_path / "shop.yaml", FIXTURES / "otlp-shop-kafka-db-broken.jsonl"])
    services = {s.id: s.sources for s in inventory.services}
    assert services["frontend"] == ("kubernetes", "otlp")
    assert services["checkout"] == ("kubernetes", "otlp")
    assert len([s for s in inventory.services if s.name == "checkout"]) == 1
    (edge,) = [d for d in inventory.dependencies if (d.source, d.target) == ("frontend", "checkout")]
    assert edge.kind == "sync"
    assert edge.bases == ("observed", "static")
    assert edge.weight == 2.0  # the observed calls; the manifest adds evidence, not volume
    assert {e.location for e in edge.evidence} == {
        f"{tmp_path / 'shop.yaml'}:12", f"{FIXTURES / 'otlp-shop-kafka-db-broken.jsonl'}:2"}
    assert {e.reader for e in edge.evidence} == {"kubernetes", "otlp"}
    only_observed = [d for d in inventory.dependencies if d.source == "checkout" and d.target == "payments"]
    assert only_observed[0].bases == ("observed",)


def test_the_documented_edge_list_is_read_with_observed_weights() -> None:
    inventory = read_paths([FIXTURES / "edgelist-duckdb-observed.json"])
    deps = {(d.source, d.target, d.kind): (d.weight, d.errors, d.bases) for d in inventory.dependencies}
    assert deps == {
        ("frontend", "checkout", "sync"): (1200.0, 3, ("observed",)),
        ("checkout", "payments", "sync"): (800.0, 0, ("observed",)),
        ("checkout", "database:orders-db", "datastore"): (640.0, 1, ("observed",)),
        ("checkout", "topic:orders", "async"): (300.0, 0, ("observed",)),
        ("shipping", "topic:orders", "async"): (290.0, 0, ("observed",)),
        ("checkout", "shipping", "async"): (290.0, None, ("observed",)),
    }


def test_the_documented_sql_aggregation_matches_the_reader_on_the_fixture() -> None:
    """The portable core of docs/traces.md's query (the self-join on parent span ids), run on sqlite over
    the fixture's spans flattened to one row each, gives the reader's parent edges and call counts."""
    rows = []
    for line in (FIXTURES / "otlp-shop-kafka-db-broken.jsonl").read_text().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for rs in doc["resourceSpans"]:
            service = next(a["value"]["stringValue"] for a in rs["resource"]["attributes"]
                           if a["key"] == "service.name")
            for scope in rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans"):
                for s in scope["spans"]:
                    if "spanId" in s:
                        rows.append((s["traceId"], s["spanId"], s.get("parentSpanId"), service, s["name"],
                                     "ERROR" if s.get("status", {}).get("code") == 2 else "OK"))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE spans (trace_id, span_id, parent_span_id, service, name, status)")
    db.executemany("INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?)", rows)
    sql = (Path(__file__).resolve().parents[2] / "docs" / "traces.md").read_text().split("<!-- portable-sql -->")[1]
    sql = sql.split("```sql")[1].split("```")[0]
    got = {(r[0], r[1]): (r[2], r[3]) for r in db.execute(sql)}
    # Jaeger's rule alone: the producer -> consumer parent link counts as a call too
    assert got == {("frontend", "checkout"): (2, 1), ("checkout", "payments"): (1, 0), ("checkout", "email"): (1, 0)}
    edges = _edges(_fragment("otlp-shop-kafka-db-broken.jsonl"))
    for (source, target), (weight, errors) in got.items():
        if (f"otlp:{source}", f"otlp:{target}", None, None) in edges:
            assert edges[(f"otlp:{source}", f"otlp:{target}", None, None)] == (weight, errors)
        else:  # the reader sends a message hand-off through its topic; the full query in the docs does too
            assert edges[(f"otlp:{source}", "orders", "async", "produce")][0] == weight
            assert edges[(f"otlp:{target}", "orders", "async", "consume")][0] == weight


def test_deeply_nested_json_is_skipped_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"resourceSpans": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = _read(path)
    assert result.account.format == "otlp"
    assert result.skipped[0].reason.startswith("a value is nested too deeply to read")
