"""A large ``kind: List`` document read item by item (documents._load_list) gives exactly what the
whole document gives read at once, and leaves to the whole reading every text it does not take on."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inventory import documents
from inventory.documents import LIBYAML, _load, _load_list, _stock_load

pytestmark = pytest.mark.skipif(not LIBYAML, reason="the item-by-item reading runs on libyaml only")

SETTINGS = fuzz_settings(300)


def kubectl(items: list[object], **dump: object) -> str:
    """``items`` as ``kubectl get -o yaml`` writes a List (items at column 0 under ``items:``)."""
    envelope = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    return yaml.dump(envelope, Dumper=yaml.CSafeDumper, sort_keys=False, **dump)


def deployment(i: int) -> dict[str, object]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"api-{i}", "namespace": "shop", "labels": {"app": f"api-{i}"},
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": '{"a": [1, 2]}\n'}},
        "spec": {"replicas": i % 3, "selector": {"matchLabels": {"app": f"api-{i}"}},
                 "template": {"metadata": {"labels": {"app": f"api-{i}"}},
                              "spec": {"containers": [{
                                  "name": "api", "image": f"shop/api:{i}", "args": ["--port", "8080"],
                                  "env": [{"name": "DB_URL", "value": f"postgres://db-{i}:5432/x"},
                                          {"name": "SCRIPT", "value": "set -e\nrun --fast\n  indented\n"},
                                          {"name": "EMPTY", "value": ""}, {"name": "N", "value": "007"}],
                                  "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}},
    }


def outcome(load: Callable[[str], object], text: str) -> tuple[object, ...]:
    """What reading ``text`` gives: its value, or the exception's type and message."""
    try:
        return ("value", repr(load(text)))
    except Exception as exc:  # the exception is what is compared
        return ("error", type(exc).__name__, str(exc))


def same(text: str) -> None:
    listed = _load_list(text)
    assert listed is not None, "the item-by-item reading did not take this text on"
    assert listed[0] == _stock_load(text)
    assert repr(listed[0]) == repr(_stock_load(text))  # types and key order too


def test_a_kubectl_list_reads_the_same_item_by_item() -> None:
    same(kubectl([deployment(i) for i in range(40)]))
    same(kubectl([deployment(i) for i in range(5)], default_flow_style=None, width=40))


@pytest.mark.parametrize("item_text", [
    "- a: |\n    literal\n      more\n\n    end\n  b: x\n",
    "- a: |2\n     two extra\n    base\n  b: >-\n    folded\n    text\n\n    para\n",
    "- a: |+\n    keep\n\n\n  b: 1\n",
    "- - nested\n  - seq\n- [flow, 'seq']\n- {flow: map, n: 1}\n",
    "- plain scalar item\n- 'quoted'\n- \"double \\n escaped\"\n- null\n- 12\n- 1.5\n- yes\n- 2001-12-14\n",
    "- a: \"multi\n    line quoted\"\n  b: 'single\n    line'\n",
    "- a: plain\n    continued\n    lines\n  b: 1\n",
    "- a: [1,\n    2, 3]\n  b: {x: 1,\n    y: 2}\n",
    "- a: !!str 123\n  b: !!binary aGVsbG8=\n  c: !!float '1'\n",
    "- a: 1\n  # an indented comment\n  b: 2 # trailing\n\n\n- c: 3\n",
    "- key with spaces: v\n  'quoted key': w\n  ? complex key\n  : value\n",
    "- a: x\n  a: duplicate wins\n",
    "- ünïcødé: 名前\n  emoji: \"\\U0001F600\"\n",
    "- a:\n  - b\n  - c\n  d:\n    - e\n",
    "- items:\n  - inner list is not the outer one\n",
])
def test_tricky_items_read_the_same(item_text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "apiVersion: v1\nitems:\n" + item_text + "kind: List\nmetadata:\n  resourceVersion: ''\n"
    same(text)
    monkeypatch.setattr(documents, "LIST_BYTES", 10)
    assert _load(text)[0] == _stock_load(text)


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nitems:\n- &a {x: 1}\n- *a\nkind: List\n",  # an alias across items
    "apiVersion: v1\nitems:\n- a:\t1\nkind: List\n",  # a tab
    "apiVersion: v1\r\nitems:\r\n- a: 1\r\nkind: List\r\n",  # carriage returns
    "apiVersion: v1\nitems:\n- a: 1\n# a comment at column 0\n- b: 2\nkind: List\n",
    "apiVersion: v1\nitems:\n- a: 1\n b: odd\nkind: List\n",  # one space
    "apiVersion: v1\nitems:\n-\n  a: 1\nkind: List\n",  # an empty first line
    "apiVersion: v1\nitems:\n-   a: 1\n    b: 2\nkind: List\n",  # content not right after "- "
    "apiVersion: v1\nitems:\n- a: |\n    x\n  ---\nkind: List\n",  # a marker the shift would expose
    "apiVersion: v1\nitems:\n- a: 1\nitems:\n- b: 2\nkind: List\n",  # the key twice
    "apiVersion: v1\nitems:\n  - indented: sequence\nkind: List\n",
    "%YAML 1.1\n---\napiVersion: v1\nitems:\n- a: 1\n",
    "apiVersion: v1\nitems:\n- a: 1\n-weird\nkind: List\n",
])
def test_what_it_does_not_take_on_is_read_whole(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _load_list(text) is None
    monkeypatch.setattr(documents, "LIST_BYTES", 10)
    assert outcome(lambda t: _load(t)[0], text) == outcome(_stock_load, text)


@pytest.mark.parametrize("broken", [
    "- a: [unclosed\n  b: 1\n",
    "- a: 1\n  - b\n",
    "- a: 'x\n",
    "- a: !!int nope\n",
    "- a: !custom tag\n",
])
def test_bad_yaml_in_one_item_fails_as_the_whole_document_does(broken: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "apiVersion: v1\nitems:\n- ok: 1\n" + broken + "- ok: 2\nkind: List\n"
    assert _load_list(text) is None
    monkeypatch.setattr(documents, "LIST_BYTES", 10)
    expected = outcome(_stock_load, text)
    assert expected[0] == "error"
    assert outcome(lambda t: _load(t)[0], text) == expected


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n :#-'\"|>{}[],&*!%@`"),
            max_size=30),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4),
    max_leaves=20,
)


@given(items=st.lists(_values, min_size=1, max_size=6), flow=st.sampled_from([False, None]),
       width=st.sampled_from([20, 80]), style=st.sampled_from([None, "|", '"', "'", ">"]),
       indent=st.sampled_from([2, 4]))
@SETTINGS
def test_any_list_dumped_as_kubectl_does_reads_the_same(items: list[object], flow: bool | None, width: int,
                                                       style: str | None, indent: int) -> None:
    text = kubectl(items, default_flow_style=flow, width=width, default_style=style, indent=indent,
                   allow_unicode=True)
    listed = _load_list(text)
    if listed is not None:  # texts it does not take on (a "&" in a string, say) are read whole
        assert repr(listed[0]) == repr(_stock_load(text)), text
