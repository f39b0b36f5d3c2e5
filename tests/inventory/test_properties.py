"""Property-based tests: no input makes a reader, the loader or the resolver raise (issue 8).

Every reader is driven with near-valid documents of its own format (a valid template with random
fields replaced by values of another type, deleted or wrapped), with arbitrary values in its
envelope, and, through :func:`inventory.reading.parse_text`, with the text of all of these and with
token soups that are almost YAML or almost code. The only exceptions allowed are the project's own
input errors (:class:`~inventory.errors.AdvisorError`). The dispatcher turns a reader's crash into a
skipped entry "could not be read by the ... reader", so the properties also assert that no such
entry (a hidden bug) appears, and that every file's accounting adds up.

Strategies and properties live in :mod:`bench.hostile_inputs`, shared with the fuzzing run
(``make fuzz``). Examples per test: 30, deterministic; ``FUZZ_EXAMPLES=N`` runs N random ones.
"""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from bench.hostile_inputs import (
    CODE_LOCATIONS,
    CONTEXT,
    DOC_READERS,
    LOCATION,
    OPTIONS,
    TEMPLATES,
    TRACE_TEMPLATES,
    alibaba_csv,
    as_json,
    as_yaml,
    code_soup,
    enveloped,
    json_values,
    near_valid,
    near_valid_trace,
    parse_document,
    parse_file_text,
    parse_live_entities,
    parse_trace_data,
    read_bytes,
    read_trace,
    resolve_files,
    scan_code,
    yaml_soup,
    yaml_values,
)
from inventory.documents import Document, iter_documents
from inventory.model import Skipped
from inventory.reading import parse_text

SETTINGS = fuzz_settings(30)
_any_document = st.sampled_from(sorted(TEMPLATES)).flatmap(near_valid) | yaml_values


# --------------------------------------------------------------------------------------------
# Document readers: the pure parse functions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", sorted(TEMPLATES))
def test_templates_are_read_cleanly(reader: str) -> None:
    """The unmutated templates are valid: the properties below start from documents that work."""
    for data in TEMPLATES[reader]:
        result = parse_text(as_yaml(data), CONTEXT, OPTIONS)
        assert [f.format for f in result.fragments] == [reader]
        assert result.account.used == 1 and result.skipped == [], result.skipped


@pytest.mark.parametrize("reader", sorted(TEMPLATES))
def test_near_valid_documents_never_break_a_parse_function(reader: str) -> None:
    @SETTINGS
    @given(near_valid(reader))
    def check(data: Any) -> None:
        if DOC_READERS[reader].recognise(data):
            parse_document(reader, data, as_yaml(data))

    check()


@pytest.mark.parametrize("reader", sorted(TEMPLATES))
def test_arbitrary_values_in_a_readers_envelope_never_break_its_parse_function(reader: str) -> None:
    @SETTINGS
    @given(enveloped(reader))
    def check(data: dict[Any, Any]) -> None:
        assert DOC_READERS[reader].recognise(data)
        parse_document(reader, data)

    check()


@SETTINGS
@given(st.lists(near_valid("backstage") | enveloped("backstage") | json_values, max_size=4))
def test_any_catalog_answer_never_breaks_the_live_backstage_reader(entities: list[object]) -> None:
    parse_live_entities(entities)


# --------------------------------------------------------------------------------------------
# The dispatcher on text and bytes: every reader, the loader and the resolver together
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(_any_document, st.booleans())
def test_the_text_of_any_document_never_breaks_parse_text(data: Any, as_json_text: bool) -> None:
    parse_file_text(as_json(data) if as_json_text else as_yaml(data))


@SETTINGS
@given(st.lists(_any_document, min_size=2, max_size=4))
def test_multi_document_files_account_for_every_document(docs: list[Any]) -> None:
    inventory = parse_file_text("".join("---\n" + as_yaml(d) for d in docs))
    [account] = inventory.inputs
    assert account.documents >= len(docs)


@SETTINGS
@given(json_values)
def test_any_json_value_never_breaks_parse_text(data: object) -> None:
    parse_file_text(as_json(data), "fuzz/input.json")


@SETTINGS
@given(yaml_soup)
def test_text_that_is_almost_yaml_never_breaks_loading_or_parse_text(text: str) -> None:
    for item in iter_documents(text, LOCATION):
        assert isinstance(item, Document | Skipped)
    parse_file_text(text)


@SETTINGS
@given(st.text(max_size=200))
def test_any_text_never_breaks_parse_text(text: str) -> None:
    parse_file_text(text)


_gzip_cut = st.tuples(yaml_soup, st.integers(0, 200)).map(lambda t: gzip.compress(t[0].encode())[: t[1] or None])


@SETTINGS
@given(st.binary(max_size=200) | yaml_soup.map(str.encode) | _gzip_cut,
       st.sampled_from(["fuzz/x.yaml", "fuzz/x.json", "fuzz/x.yaml.gz", "fuzz/x.csv", "fuzz/main.go"]))
def test_any_bytes_never_break_read_file(data: bytes, location: str) -> None:
    read_bytes(data, location)


# --------------------------------------------------------------------------------------------
# Trace and mesh readers (streamed files)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", sorted(TRACE_TEMPLATES))
def test_near_valid_trace_files_never_break_a_trace_reader(reader: str) -> None:
    @SETTINGS
    @given(near_valid_trace(reader), st.integers(0, 3))
    def check(data: Any, cut: int) -> None:
        text = as_json(data)
        if cut:  # cut short: the reader must say where it stopped, and keep what came before
            text = text[: len(text) * cut // 4]
        read_trace(reader, text.encode())

    check()


@SETTINGS
@given(st.lists(near_valid_trace("otlp") | json_values, min_size=1, max_size=4), st.booleans())
def test_jsonl_with_bad_lines_never_breaks_the_otlp_reader(records: list[Any], junk: bool) -> None:
    lines = [as_json(r) for r in records]
    if junk:
        lines.insert(1, '{"resourceSpans": [ broken')
    read_trace("otlp", ("\n".join(lines) + "\n").encode())


@SETTINGS
@given(alibaba_csv())
def test_call_graph_csv_with_missing_columns_never_breaks_the_alibaba_reader(text: str) -> None:
    read_trace("alibaba", text.encode())


@SETTINGS
@given(near_valid_trace("jaeger") | near_valid_trace("prometheus") | near_valid_trace("kiali") | json_values)
def test_pure_trace_parse_functions_never_raise(data: Any) -> None:
    parse_trace_data(data)


# --------------------------------------------------------------------------------------------
# The source scanner, and the resolver over many files
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(code_soup, st.sampled_from(CODE_LOCATIONS))
def test_text_that_is_almost_code_never_breaks_the_source_scanner(text: str, location: str) -> None:
    scan_code(text, location)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(sorted(TEMPLATES)).flatmap(near_valid), st.sampled_from(("a", "b"))),
                min_size=1, max_size=6),
       st.lists(st.tuples(code_soup, st.sampled_from(CODE_LOCATIONS)), max_size=2))
def test_the_resolver_never_raises_on_fragments_from_many_files(docs: list[tuple[Any, str]],
                                                                 code: list[tuple[str, str]]) -> None:
    resolve_files(docs, code)


# --------------------------------------------------------------------------------------------
# Inputs that broke a reader once (found by these properties and by hand), kept as fixed cases
# --------------------------------------------------------------------------------------------

_DEPLOYMENT_WITH = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                    "spec": {"template": {"spec": {"containers": [{"name": "w", "image": "x"}]}}}}


def _container(**fields: object) -> dict[str, object]:
    return {**_DEPLOYMENT_WITH, "spec": {"template": {"spec": {"containers": [{"name": "w", **fields}]}}}}


@pytest.mark.parametrize(("reader", "data"), [
    ("kubernetes", _container(resources={"requests": {"memory": float("inf"), "cpu": 10**400}})),
    ("kubernetes", _container(env=[{"name": "DB", "value": "Host=h:²;Database=x"}])),
    ("kubernetes", {"apiVersion": "v1", "kind": "Wid\nget", "metadata": {"name": "a\nb"}}),
    ("native", {"advisor": "inventory/v1", "services": [{"name": "a", "memory_request": float("inf"),
                                                        "replicas": "²", "cpu_request": 10**400}],
                "dependencies": [{"source": "a", "target": "a", "weight": float("inf")}]}),
    ("compose", {"services": {"a": {"image": "x", "deploy": {"replicas": "²"}, "environment": {"X": "${A:-" * 50}}}}),
    ("asyncapi", {"asyncapi": "3.0.0", "x": [1],
                  "operations": {"o": {"action": "send", "channel": {"$ref": "#/x/²"}}}}),
], ids=["k8s-infinite-quantities", "k8s-unicode-digit-port", "k8s-newline-in-kind", "native-infinite-and-unicode",
        "compose-unicode-replicas-unclosed-braces", "asyncapi-unicode-digit-pointer"])
def test_documents_that_once_broke_a_reader(reader: str, data: dict[str, object]) -> None:
    parse_document(reader, data, as_yaml(data))
    parse_file_text(as_yaml(data))


@pytest.mark.parametrize("text", [
    "a: 2023-02-30\n", "a: !!int\n", "a: !!float\n", "a: !!bool maybe\n", "a: !!timestamp x\n",
    "a: " + "9" * 5000 + "\n", '{"a": ' + "9" * 5000 + "}", '{"a\\nb": 1}',
], ids=["bad-date", "empty-int", "empty-float", "bad-bool", "bad-timestamp", "huge-int", "huge-json-int",
        "newline-in-key"])
def test_texts_that_once_broke_loading(text: str) -> None:
    inventory = parse_file_text(text)
    assert [(a.used, a.skipped) for a in inventory.inputs] == [(0, 1)]


def test_a_huge_hex_integer_is_refused_before_a_reader_prints_it() -> None:
    # 0x... builds an int whose decimal text Python refuses to make: str() of it raised in readers
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {n: 0x" + "f" * 5000 + "}\n"
    inventory = parse_file_text(text)
    assert [s.reason for s in inventory.skipped] == [
        "holds a number with more than 4,300 digits, which is not read; quote it to keep it as text"]


def test_compact_nesting_past_the_depth_limit_is_refused() -> None:
    inventory = parse_file_text("- " * 250 + "x\n")
    assert [s.reason for s in inventory.skipped] == ["is nested more than 200 levels deep"]


@pytest.mark.parametrize(("reader", "data"), [
    ("otlp", {"resourceSpans": [{"resource": None, "scopeSpans": [{"spans": True}]}]}),
    ("otlp", {"resourceSpans": [{"resource": {"attributes": [{"key": [], "value": {"stringValue": "x"}}]},
                                 "scopeSpans": [{"spans": [{"traceId": "a", "spanId": "1", "kind": "²"}]}]}]}),
    ("jaeger", {"data": [{"traceID": "t", "spans": [{"traceID": "t", "spanID": "1", "processID": "p",
                                                    "tags": [{"key": [], "value": "client"}]}],
                          "processes": {"p": {"serviceName": "a"}}}]}),
], ids=["otlp-spans-not-a-list", "otlp-attribute-key-a-list", "jaeger-tag-key-a-list"])
def test_trace_files_that_once_broke_a_reader(reader: str, data: object) -> None:
    read_trace(reader, as_json(data).encode())
