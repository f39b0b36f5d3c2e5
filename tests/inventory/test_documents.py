"""Safe, positioned document loading: splitting, bounds, JSON/JSONL, junk."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest

from inventory.documents import (
    DEFAULT_LIMITS,
    LIBYAML,
    Document,
    Limits,
    SafeLoader,
    decode,
    iter_documents,
    load_yaml_chunk,
    split_yaml,
)
from inventory.errors import InputError, LimitExceeded
from inventory.model import Skipped

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kubernetes"


def _docs(items: list[Document | Skipped]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def _skips(items: list[Document | Skipped]) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


def _billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghijklm"[: levels - 1]:
        text += f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
        prev = name
    return text


# ---------------------------------------------------------------------------------------------
# splitting
# ---------------------------------------------------------------------------------------------


def test_split_yaml_gives_each_document_with_its_start_line() -> None:
    text = "a: 1\n---\nb: 2\n--- \nc: 3\n"
    assert list(split_yaml(text)) == [(1, "a: 1\n"), (2, "---\nb: 2\n"), (4, "--- \nc: 3\n")]


def test_split_yaml_drops_comment_only_documents_as_helm_renders_them() -> None:
    text = "---\n# Source: chart/templates/empty.yaml\n\n---\n# Source: chart/templates/svc.yaml\nkind: Service\n"
    assert list(split_yaml(text)) == [(4, "---\n# Source: chart/templates/svc.yaml\nkind: Service\n")]


def test_split_yaml_stops_a_document_at_the_end_marker() -> None:
    text = "a: 1\n...\n# trailing junk after the end marker\n---\nb: 2\n"
    assert list(split_yaml(text)) == [(1, "a: 1\n"), (4, "---\nb: 2\n")]


def test_triple_dash_inside_a_value_is_not_a_document_start() -> None:
    text = "a: |\n  text\n  ---not a marker\nb: 2\n"
    assert list(split_yaml(text)) == [(1, text)]


def test_a_long_comment_header_before_content_splits_fast() -> None:
    # A licence header of comment lines before the first object once made a regex backtrack
    # exponentially: these 12 lines took 15 s, the 13 of Online Boutique's per-service files far longer.
    header = "".join(f"# line {i} of a licence header\n#\n" for i in range(6))
    text = header + "\napiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n"
    started = time.perf_counter()
    chunks = list(split_yaml(text))
    assert time.perf_counter() - started < 1.0
    assert chunks == [(1, text)]


# ---------------------------------------------------------------------------------------------
# iter_documents: YAML
# ---------------------------------------------------------------------------------------------


def test_documents_are_numbered_and_keep_their_start_line_and_text() -> None:
    text = "a: 1\n---\n# comment only\n---\nb: 2\n"
    docs = _docs(list(iter_documents(text, "f.yaml")))
    assert [(d.index, d.line, d.data) for d in docs] == [(1, 1, {"a": 1}), (2, 4, {"b": 2})]
    assert docs[1].text == "---\nb: 2\n"
    assert docs[1].where == "f.yaml#2"


def test_broken_document_in_the_middle_is_skipped_with_index_and_absolute_line() -> None:
    path = FIXTURES / "broken-document-in-middle.yaml"
    items = list(iter_documents(path.read_text(), "broken.yaml"))
    docs = _docs(items)
    skips = _skips(items)
    assert [d.data["metadata"]["name"] for d in docs] == ["first", "last"]  # type: ignore[index]
    assert [d.index for d in docs] == [1, 3]
    assert [d.line for d in docs] == [1, 25]
    assert len(skips) == 1
    assert skips[0].location == "broken.yaml#2 (line 17)"
    # the parser's line inside the document is turned into the file's line
    assert skips[0].reason == "is not valid YAML: did not find expected ',' or '}' (line 23, column 5)"


def test_line_of_and_at_give_absolute_file_lines() -> None:
    text = "kind: A\n---\nkind: B\nmetadata:\n  name: orders\nenv:\n- name: X\n"
    docs = _docs(list(iter_documents(text, "m.yaml")))
    second = docs[1]
    assert second.line == 2
    assert second.line_of("name: orders") == 5
    assert second.line_of("env:", "name: X") == 7
    assert second.line_of("missing") is None
    assert second.at("name: X") == "m.yaml:7"
    assert second.at("nowhere") == "m.yaml#2"


def test_tab_indentation_is_a_readable_skip() -> None:
    items = list(iter_documents("a: 1\n\tb: 2\n", "tabs.yaml"))
    assert items == [
        Skipped("tabs.yaml#1 (line 1)",
                "is not valid YAML: found a tab character that violates indentation (line 2, column 1)")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo owned']\n",
        "a: !!python/name:os.system\n",
        "a: !!python/object/new:subprocess.Popen [['true']]\n",
        "x: !custom 3\n",
    ],
)
def test_unsafe_and_unknown_tags_are_rejected_not_constructed(text: str) -> None:
    items = list(iter_documents(text, "evil.yaml"))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert items[0].location == "evil.yaml#1 (line 1)"
    assert items[0].reason.startswith("uses a YAML tag that is not allowed (")
    assert items[0].reason.endswith("only plain YAML is read")


def test_the_safe_loader_is_libyaml_when_available() -> None:
    import yaml

    assert SafeLoader in (yaml.SafeLoader, getattr(yaml, "CSafeLoader", None))
    assert (SafeLoader is not yaml.SafeLoader) == LIBYAML


def test_undefined_alias_is_a_skip() -> None:
    items = list(iter_documents("a: *nowhere\n", "a.yaml"))
    assert items == [Skipped("a.yaml#1 (line 1)", "is not valid YAML: found undefined alias (line 1, column 4)")]


def test_billion_laughs_is_rejected_fast_and_small() -> None:
    text = _billion_laughs(9)  # 9**9 = 387 million strings once expanded
    tracemalloc.start()
    started = time.perf_counter()
    try:
        items = list(iter_documents(text, "lol.yaml"))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 50 * 1024 * 1024
    assert items == [
        Skipped("lol.yaml#1 (line 1)",
                "expands to more than 1,000,000 nodes through YAML aliases (an alias bomb?); it was not read")
    ]


def test_alias_bound_is_configurable_and_ordinary_anchors_pass() -> None:
    ordinary = "defaults: &d {cpu: 1, memory: 2}\na: *d\nb: *d\n"
    assert load_yaml_chunk(ordinary, "ok.yaml") == {
        "defaults": {"cpu": 1, "memory": 2}, "a": {"cpu": 1, "memory": 2}, "b": {"cpu": 1, "memory": 2}
    }
    with pytest.raises(LimitExceeded) as err:
        load_yaml_chunk(_billion_laughs(3), "small.yaml", Limits(max_expanded_nodes=500))
    assert err.value.location == "small.yaml"
    assert "more than 500 nodes" in err.value.reason


def test_self_referencing_alias_is_bounded() -> None:
    for text in ("a: &a [1, *a]\n", "a: &a\n  self: *a\n"):
        assert list(iter_documents(text, "loop.yaml")) == [
            Skipped("loop.yaml#1 (line 1)",
                    "refers to itself through a YAML alias (an endless structure); it was not read")
        ]


def test_deep_nesting_built_from_aliases_is_bounded() -> None:
    # each level is small, but the aliases stack 250 levels deep
    text = "l0: &l0 [x]\n" + "".join(f"l{i}: &l{i} [*l{i - 1}]\n" for i in range(1, 251))
    assert list(iter_documents(text, "stacked.yaml")) == [
        Skipped("stacked.yaml#1 (line 1)", "is nested more than 200 levels deep")
    ]


def test_300_levels_of_yaml_nesting_is_a_clear_skip() -> None:
    block = "root:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 300)) + "  " * 300 + "v: 1\n"
    flow = "[" * 300 + "]" * 300 + "\n"
    for text in (block, flow):
        items = list(iter_documents(text, "deep.yaml"))
        assert items == [Skipped("deep.yaml#1 (line 1)" if text is block else "deep.yaml",
                                 "is nested more than 200 levels deep")]


def test_nesting_within_the_limit_is_read() -> None:
    text = "[" * 150 + "]" * 150
    docs = _docs(list(iter_documents(text, "ok.json")))
    assert len(docs) == 1


def test_very_deep_nesting_never_raises_recursion_error() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        items = list(iter_documents(text, "deeper.json"))
        assert items == [Skipped("deeper.json", "is nested more than 200 levels deep")]


def test_document_count_limit_reports_the_rest_as_not_read() -> None:
    text = "".join(f"---\nn: {i}\n" for i in range(5))
    items = list(iter_documents(text, "many.yaml", limits=Limits(max_documents_per_file=3)))
    assert [d.data for d in _docs(items)] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert _skips(items) == [
        Skipped("many.yaml#4", "the file has more than 3 documents; the rest were not read")
    ]


# ---------------------------------------------------------------------------------------------
# iter_documents: JSON and JSONL
# ---------------------------------------------------------------------------------------------


def test_json_is_one_document() -> None:
    items = list(iter_documents('{"kind": "List", "items": []}\n', "k.json"))
    assert items == [Document("k.json", 1, 1, {"kind": "List", "items": []}, '{"kind": "List", "items": []}\n')]


def test_jsonl_gives_one_document_per_line_and_skips_a_broken_line() -> None:
    text = '{"a": 1}\n{"b": 2}\n\n{"c": \n{"d": 4}\n'
    items = list(iter_documents(text, "spans.jsonl"))
    assert [(d.index, d.line, d.data) for d in _docs(items)] == [(1, 1, {"a": 1}), (2, 2, {"b": 2}), (4, 5, {"d": 4})]
    assert _skips(items) == [Skipped("spans.jsonl:4", "is not valid JSON: Expecting value (column 7)")]


def test_yaml_flow_mapping_that_is_not_json_is_read_as_yaml() -> None:
    docs = _docs(list(iter_documents("{a: 1, b: [x, y]}\n", "flow.yaml")))
    assert [d.data for d in docs] == [{"a": 1, "b": ["x", "y"]}]


def test_broken_json_that_yaml_cannot_read_is_skipped_with_its_line() -> None:
    items = list(iter_documents('[\n  {"a": 1},\n  {"b": \t}\n', "broken.json"))
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert items[0].location == "broken.json:3"
    assert items[0].reason.startswith("is not valid JSON: Expecting value")


# ---------------------------------------------------------------------------------------------
# decode
# ---------------------------------------------------------------------------------------------


def test_decode_strips_a_byte_order_mark() -> None:
    assert decode("\ufeffkind: Service\n".encode(), "bom.yaml") == "kind: Service\n"


def test_decode_rejects_nul_bytes_as_binary() -> None:
    with pytest.raises(InputError) as err:
        decode(b"PK\x03\x04\x00\x00binary", "image.yaml")
    assert str(err.value) == "image.yaml: looks like a binary file (it contains NUL bytes), not text"


def test_decode_rejects_invalid_utf8_naming_the_byte() -> None:
    with pytest.raises(InputError) as err:
        decode(b"name: caf\xe9\n", "latin1.yaml")
    assert err.value.reason == "is not valid UTF-8 text (byte 9 cannot be decoded); save it as UTF-8"


def test_default_limits_are_described_for_the_report() -> None:
    described = DEFAULT_LIMITS.describe()
    assert described["max_depth"] == 200
    assert described["max_expanded_nodes"] == 1_000_000
    assert set(described) == {
        "max_file_bytes", "max_total_bytes", "max_documents_per_file", "max_expanded_nodes", "max_depth",
        "max_archive_members", "max_archive_bytes", "max_compression_ratio",
    }


def test_lines_after_answers_as_line_of_for_needles_in_any_order() -> None:
    text = ("kind: Deployment\nmetadata:\n  name: api\n  annotations:\n    note: A_HOST is set below\n"
            "spec:\n  containers:\n  - name: api\n    env:\n    - name: A_HOST\n      value: a\n"
            "    - name: B_URL\n      value: b\n    - name: A\n      value: c\n  - name: sidecar\n"
            "    env:\n    - name: A_HOST\n")
    doc = _docs(list(iter_documents("kind: First\n---\n" + text, "m.yaml")))[1]
    # in the order of the text, backwards (counted again from the start), a prefix of an earlier
    # needle, a needle that is not there and one before the anchor only
    needles = ["A_HOST", "B_URL", "A", "A_HOST", "note", "sidecar", "missing", "A_HOST"]
    for anchor in ("name: api", "name: sidecar", "", "name: nobody"):
        lines = doc.lines_after(anchor)
        assert [lines(n) for n in needles] == [doc.line_of(anchor, n) for n in needles], anchor
    assert doc.lines_after("name: api")("B_URL") == 14
