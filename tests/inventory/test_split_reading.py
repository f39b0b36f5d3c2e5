"""A large file read in parts by the workers gives what the file read whole gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from fuzzing import fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from inventory import reading
from inventory.cache import FileCache
from inventory.documents import Document, Limits, iter_documents
from inventory.model import Skipped
from inventory.options import ReadOptions
from inventory.reading import FileContext, read_file, read_inputs, resolve_results
from inventory.sources import from_uploads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BACKSTAGE = FIXTURES / "backstage" / "shop-catalog-info.yaml"


def dump(namespaces: int = 12) -> str:
    """A ``helm template``-like dump: Deployments reading ConfigMaps that come much later in the
    file (in another part), Services, AsyncAPI documents, empty templates, a document that is not
    YAML, one that is no inventory document, and a ``...`` end marker."""
    docs = []
    for i in range(namespaces):
        ns, nxt = f"team{i}", (i + 1) % namespaces
        docs.append(f"# Source: chart/templates/{ns}-empty.yaml\n")  # an empty template
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api-{i}, namespace: {ns}}}\n"
            f"spec:\n  selector: {{matchLabels: {{app: api-{i}}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: api-{i}}}}}\n    spec:\n      containers:\n      - name: api\n"
            f"        image: api:{i}\n        env:\n        - name: DB_URL\n"
            f"          valueFrom: {{configMapKeyRef: {{name: settings-{i}, key: db}}}}\n"
            f"        - name: NEXT_URL\n          value: http://api-{nxt}.team{nxt}:8080\n"
        )
        docs.append(f"apiVersion: v1\nkind: Service\nmetadata: {{name: api-{i}, namespace: {ns}}}\n"
                    f"spec: {{selector: {{app: api-{i}}}, ports: [{{port: 8080}}]}}\n")
        docs.append(f"asyncapi: 2.6.0\ninfo: {{title: api-{i}, version: '1'}}\n"
                    f"channels:\n  orders.{i}:\n    subscribe: {{message: {{name: Order}}}}\n")
        if i == 3:
            docs.append("apiVersion: v1\nkind: Service\nmetadata: {name: [broken\n")  # not YAML
            docs.append("just: a mapping\nof: nothing we read\n")
            docs.append("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: early}\ndata: {a: b}\n"
                        "...\n# after the end\n")
    for i in range(namespaces):  # the ConfigMaps last: in another part than the Deployments
        docs.append(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{i}, namespace: team{i}}}\n"
                    f"data: {{db: 'postgres://db-{i}.team{i}:5432/app'}}\n")
    return "---\n".join(docs)


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts of about 1 KB: every file above 2 KB is read in parts (the workers are forked after this)."""
    monkeypatch.setattr(reading, "SPLIT_BYTES", 1024)


def _whole_and_parts(name: str, text: bytes, options: ReadOptions | None = None
                     ) -> tuple[reading.FileResult, reading.FileResult, object, object]:
    options = options or ReadOptions()
    inputs = from_uploads([(name, text)], options.limits)
    (item,) = inputs.files
    assert reading.parts_of(item, options) > 1
    whole = read_file(item, FileContext(item.location, item.folder), options)
    (parts,) = read_inputs(inputs, options, workers=2)
    return whole, parts, resolve_results(inputs, [whole], options), resolve_results(inputs, [parts], options)


def test_a_dump_read_in_parts_gives_what_it_gives_read_whole(small_parts: None) -> None:
    whole, parts, whole_inventory, parts_inventory = _whole_and_parts("dump.yaml", dump().encode())
    assert parts.account == whole.account
    assert parts.skipped == whole.skipped
    assert [f.format for f in parts.fragments] == [f.format for f in whole.fragments] == ["kubernetes", "asyncapi"]
    assert parts_inventory == whole_inventory
    # the claims through ConfigMaps of another part were worked out over the whole file
    pairs = {(d.source, d.target) for d in parts_inventory.dependencies}  # type: ignore[attr-defined]
    assert {(f"api-{i}", f"database:db-{i}.team{i}") for i in range(12)} <= pairs
    assert [s.reason.split(" (")[0] for s in parts.skipped][1:] == ["not a recognised inventory document"]
    assert parts.account.documents == 51 and parts.account.skipped == 2


@pytest.mark.parametrize("parts", [2, 3, 7, 16])
def test_documents_of_every_part_together_are_those_of_the_file(parts: int) -> None:
    text = dump()
    whole = list(iter_documents(text, "dump.yaml"))
    shared = [d for i in range(parts) for d in iter_documents(text, "dump.yaml", part=(i, parts))]

    def where(d: Document | Skipped) -> tuple[str, object]:
        return (d.where, d.data) if isinstance(d, Document) else (d.location, d.reason)

    assert sorted(map(where, shared), key=str) == sorted(map(where, whole), key=str)
    assert [d.line for d in shared if isinstance(d, Document)] == [d.line for d in whole if isinstance(d, Document)]


def test_too_many_documents_is_said_once_whatever_the_parts(small_parts: None) -> None:
    options = ReadOptions(limits=Limits(max_documents_per_file=30))
    whole, parts, whole_inventory, parts_inventory = _whole_and_parts("dump.yaml", dump().encode(), options)
    assert parts.skipped == whole.skipped
    assert sum("documents; the rest were not read" in s.reason for s in parts.skipped) == 1
    assert parts_inventory == whole_inventory


def test_a_reader_that_joins_documents_gets_the_whole_file(small_parts: None) -> None:
    catalog = BACKSTAGE.read_text()
    text = "---\n".join([catalog, dump(4), catalog.replace("name: ", "name: other-"), dump(2)])
    whole, parts, whole_inventory, parts_inventory = _whole_and_parts("mixed.yaml", text.encode())
    assert "backstage" in whole.account.format
    assert parts.account == whole.account and parts.skipped == whole.skipped
    assert parts_inventory == whole_inventory


def test_a_json_file_is_read_whole_by_the_first_part(small_parts: None) -> None:
    import json

    items = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{i}"},
              "spec": {"selector": {"app": f"svc-{i}"}}} for i in range(40)]
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=1).encode()
    whole, parts, whole_inventory, parts_inventory = _whole_and_parts("list.json", text)
    assert parts.account == whole.account and parts.account.used == 1
    assert parts_inventory == whole_inventory


def test_the_parts_are_cached_and_read_back(small_parts: None, tmp_path: Path) -> None:
    options = ReadOptions()
    inputs = from_uploads([("dump.yaml", dump().encode())], options.limits)
    cache = FileCache(tmp_path / "cache")
    used: set[str] = set()
    (first,) = read_inputs(inputs, options, workers=2, cache=cache, used_keys=used)
    n = reading.parts_of(inputs.files[0], options)
    assert len(used) == n and len(list((tmp_path / "cache").glob("*/*.pickle"))) == n
    assert not first.cached
    (again,) = read_inputs(inputs, options, workers=2, cache=cache)
    assert again.cached
    assert again.account == first.account and again.skipped == first.skipped
    assert resolve_results(inputs, [again], options) == resolve_results(inputs, [first], options)


def test_a_file_read_in_parts_that_changed_after_its_key_leaves_no_entry_under_it(small_parts: None,
                                                                                  tmp_path: Path) -> None:
    """The parts of a file are checked once they are put together: if the file changed since its key
    was worked out, the entries its parts stored go, and the result says so."""
    from inventory.reading import file_keys
    from inventory.sources import collect

    options = ReadOptions()
    folder = tmp_path / "inv"
    folder.mkdir()
    path = folder / "dump.yaml"
    path.write_text(dump())
    inputs = collect([folder], options.limits)
    assert reading.parts_of(inputs.files[0], options) > 1
    keys = file_keys(inputs, options, FileCache(tmp_path / "cache"))
    path.write_text(dump(11))  # after the key, before the reading
    (read,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"), keys=keys)
    assert read.changed and not read.cached
    assert not list((tmp_path / "cache").glob("*/*.pickle"))
    assert resolve_results(inputs, [read], options) == resolve_results(
        inputs, read_inputs(inputs, options, workers=2), options)  # what the file holds now

    path.write_text(dump())  # the bytes of the key again: read, not taken from an entry
    (again,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"))
    assert not again.cached and not again.changed
    (third,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"))
    assert third.cached and third.account == again.account


def _mixed(tag: str) -> str:
    """Backstage entities in two parts of the file: the parts cannot be put together, the file is read
    again whole."""
    catalog = BACKSTAGE.read_text()
    return "---\n".join([catalog, dump(4), catalog.replace("name: ", f"name: {tag}-"), dump(2)])


@pytest.mark.parametrize("parts_cached", [False, True])
def test_a_file_read_again_whole_after_its_parts_is_checked_too(small_parts: None, tmp_path: Path,
                                                               parts_cached: bool) -> None:
    """When the parts cannot be put together the file is read again whole, from the disk: that read is
    checked against the key as well, whether or not the parts came from the cache."""
    from inventory.reading import file_keys
    from inventory.sources import collect

    options = ReadOptions()
    folder = tmp_path / "inv"
    folder.mkdir()
    path = folder / "mixed.yaml"
    path.write_text(_mixed("old"))
    inputs = collect([folder], options.limits)
    assert reading.parts_of(inputs.files[0], options) > 1
    if parts_cached:
        read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"))
    keys = file_keys(inputs, options, FileCache(tmp_path / "cache"))
    (before,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"), keys=keys)
    assert not before.changed and "backstage" in before.account.format
    path.write_text(_mixed("new"))  # after the key, before the reading
    (read,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"), keys=keys)
    assert read.changed
    assert "new-" in repr(read.fragments)


def test_a_file_read_whole_by_its_first_part_is_cached(small_parts: None, tmp_path: Path) -> None:
    """A trace dump is read whole by the first of its parts (the others give nothing): that result is
    stored, and the next run takes it from the cache."""
    from inventory.sources import collect

    options = ReadOptions()
    folder = tmp_path / "inv"
    folder.mkdir()
    (folder / "traces.json").write_bytes((FIXTURES / "traces" / "jaeger-traces-hotrod.json").read_bytes())
    inputs = collect([folder], options.limits)
    assert reading.parts_of(inputs.files[0], options) > 1
    (first,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"))
    assert first.account.format == "jaeger" and not first.cached and not first.changed
    (again,) = read_inputs(inputs, options, workers=2, cache=FileCache(tmp_path / "cache"))
    assert again.cached and again.account == first.account


def test_small_files_and_a_single_worker_read_whole(small_parts: None) -> None:
    options = ReadOptions()
    inputs = from_uploads([("small.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"),
                           ("dump.yaml", dump().encode())], options.limits)
    assert [reading.parts_of(f, options) for f in inputs.files] == [1, reading.parts_of(inputs.files[1], options)]
    serial = read_inputs(inputs, options, workers=1)
    assert [r.account for r in serial] == [r.account for r in read_inputs(inputs, options, workers=2)]


def kubectl_list(n: int, first: int = 0) -> str:
    """A ``kubectl get -o yaml`` List: ReplicaSets and HPAs naming the Deployment after them."""
    items = []
    for i in range(first, first + n):
        owner = {"controller": True, "kind": "Deployment", "name": f"web-{i}"}
        items.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                      "metadata": {"name": f"web-{i}-5d8f", "namespace": "shop", "ownerReferences": [owner]}})
        items.append({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                      "metadata": {"name": f"web-{i}", "namespace": "shop"},
                      "spec": {"scaleTargetRef": {"kind": "Deployment", "name": f"web-{i}"}}})
        items.append({"apiVersion": "apps/v1", "kind": "Deployment",
                      "metadata": {"name": f"web-{i}", "namespace": "shop"},
                      "spec": {"template": {"metadata": {"labels": {"app": f"web-{i}"}}, "spec": {"containers": [
                          {"name": "web", "image": f"web:{i}",
                           "env": [{"name": "NEXT", "value": f"http://web-{(i + 1) % (first + n)}:8080"}]}]}}}})
    import yaml

    return yaml.dump({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}},
                     Dumper=yaml.CSafeDumper, sort_keys=False)


def _in_parts(name: str, text: str, n: int) -> reading.FileResult:
    """The file read in ``n`` parts in this process, put together as read_inputs does."""
    options = ReadOptions()
    (item,) = from_uploads([(name, text.encode())], options.limits).files
    ctx = FileContext(item.location, item.folder)
    jobs = [(item, ctx, options, None, None, (i, n)) for i in range(n)]
    return reading._joined_parts(jobs, [reading.read_part(item, ctx, options, (i, n)) for i in range(n)])


@pytest.mark.parametrize("n", [2, 3, 5])
def test_a_large_list_is_shared_out_by_item_and_reads_the_same(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    text = "---\n".join([dump(3), kubectl_list(30), dump(2)])
    options = ReadOptions()
    (item,) = from_uploads([("all.yaml", text.encode())], options.limits).files
    whole = read_file(item, FileContext(item.location, item.folder), options)
    parts = _in_parts("all.yaml", text, n)
    assert parts.account == whole.account and parts.skipped == whole.skipped
    inputs = from_uploads([("all.yaml", text.encode())], options.limits)
    assert resolve_results(inputs, [parts], options) == resolve_results(inputs, [whole], options)
    # the List's items were read by more than one part
    shares = [reading.read_part(item, FileContext(item.location, item.folder), options, (i, n)) for i in range(n)]
    holding = [p for p in shares if isinstance(p, reading.Partial)
               and any(isinstance(x, documents.SharedUse) for _, f, _ in p.readers for x in f.extras)]
    assert len(holding) > 1


def test_a_bad_item_in_a_shared_list_fails_the_whole_document_as_it_would(monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    good = kubectl_list(30)
    broken = good.replace("  kind: HorizontalPodAutoscaler\n", "  kind: [HorizontalPodAutoscaler\n", 20)
    text = "---\n".join([dump(2), broken])
    options = ReadOptions()
    (item,) = from_uploads([("all.yaml", text.encode())], options.limits).files
    whole = read_file(item, FileContext(item.location, item.folder), options)
    assert any("List" not in s.reason and "#" in s.location for s in whole.skipped)
    parts = _in_parts("all.yaml", text, 3)
    assert parts.account == whole.account and parts.skipped == whole.skipped


def test_a_shared_list_through_the_workers(small_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    monkeypatch.setattr(reading, "worker_context", lambda *args: None)  # forked workers see the patches
    text = kubectl_list(40)
    whole, parts, whole_inventory, parts_inventory = _whole_and_parts("list.yaml", text.encode())
    assert parts.account == whole.account and parts.skipped == whole.skipped
    assert parts_inventory == whole_inventory
    web = next(s for s in parts_inventory.services if s.id == "web-7")  # type: ignore[attr-defined]
    (evidence,) = [e for e in web.evidence if e.detail == "Deployment/web-7"]
    assert text.splitlines()[int(evidence.location.rsplit(":", 1)[1]) - 1] == "    name: web-7"


def _as_json(yaml_text: str) -> str:
    import json

    import yaml

    return json.dumps(yaml.load(yaml_text, Loader=yaml.CSafeLoader), indent=4) + "\n"


@pytest.mark.parametrize("n", [2, 4])
def test_a_large_json_list_is_shared_out_by_item_and_reads_the_same(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    text = _as_json(kubectl_list(30))
    options = ReadOptions()
    (item,) = from_uploads([("all.json", text.encode())], options.limits).files
    ctx = FileContext(item.location, item.folder)
    whole = read_file(item, ctx, options)
    parts = _in_parts("all.json", text, n)
    assert parts.account == whole.account and parts.skipped == whole.skipped
    inputs = from_uploads([("all.json", text.encode())], options.limits)
    assert resolve_results(inputs, [parts], options) == resolve_results(inputs, [whole], options)
    shares = [reading.read_part(item, ctx, options, (i, n)) for i in range(n)]
    assert sum(1 for p in shares if isinstance(p, reading.Partial) and p.readers) == n  # every part read items


@pytest.mark.parametrize("damage", [
    lambda t: t.replace("\n        }\n    ],", "\n        },\n    ],"),  # a trailing comma: YAML, not JSON
    lambda t: t.replace('"kind": "HorizontalPodAutoscaler"', '"kind": HorizontalPodAutoscaler', 1),
    lambda t: t.replace("\n        },\n        {", "\n        }\n        {", 3),  # a missing comma
])
def test_a_json_list_that_is_not_json_is_read_whole_as_it_would_be(damage: object,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    text = damage(_as_json(kubectl_list(30)))  # type: ignore[operator]
    options = ReadOptions()
    (item,) = from_uploads([("all.json", text.encode())], options.limits).files
    whole = read_file(item, FileContext(item.location, item.folder), options)  # YAML may read it, or not
    for n in (2, 3):
        parts = _in_parts("all.json", text, n)
        assert parts.account == whole.account and parts.skipped == whole.skipped


_DOCS = [
    "apiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: a}\nspec: {selector: {app: s%d}}\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: s%d, namespace: a}\nspec:\n  template:\n"
    "    metadata: {labels: {app: s%d}}\n    spec:\n      containers:\n      - name: c\n        image: i\n"
    "        env:\n        - {name: NEXT, value: 'http://s1:80'}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {k: 'redis://cache-%d:6379'}\n",
    "asyncapi: 2.6.0\ninfo: {title: app-%d, version: '%d'}\nchannels: {t: {publish: {message: {name: m}}}}\n",
    "just: a mapping %d\nof: %d\n",
    "kind: Service\nmetadata: {name: [broken %d %d\n",
    "# only a comment %d %d\n",
    "- a list %d\n- %d\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: p%d, annotations: {helm.sh/hook: pre-install}}\nspec: {x: %d}\n",
]


@given(picks=st.lists(st.integers(0, len(_DOCS) - 1), min_size=1, max_size=40), n=st.integers(2, 6),
       with_list=st.booleans())
@fuzz_settings(60)
def test_any_file_read_in_parts_reads_as_it_does_whole(picks: list[int], n: int, with_list: bool) -> None:
    from inventory import documents

    saved = documents.LIST_BYTES
    documents.LIST_BYTES = 1500
    try:
        docs = [_DOCS[k] % (i, i) for i, k in enumerate(picks)]
        if with_list:
            docs.insert(len(docs) // 2, kubectl_list(8, first=len(docs)))
        text = "---\n".join(docs)
        options = ReadOptions()
        (item,) = from_uploads([("mixed.yaml", text.encode())], options.limits).files
        whole = read_file(item, FileContext(item.location, item.folder), options)
        parts = _in_parts("mixed.yaml", text, n)
        assert parts.account == whole.account
        assert parts.skipped == whole.skipped
        inputs = from_uploads([("mixed.yaml", text.encode())], options.limits)
        assert resolve_results(inputs, [parts], options) == resolve_results(inputs, [whole], options)
    finally:
        documents.LIST_BYTES = saved


@pytest.mark.parametrize("digits", [2000, 4400])  # built by PyYAML, not the fast builder; then too long
def test_a_long_number_in_a_shared_list_is_judged_as_the_whole_reading_judges_it(
        digits: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from inventory import documents

    monkeypatch.setattr(documents, "LIST_BYTES", 2000)
    listed = kubectl_list(20).replace("  kind: HorizontalPodAutoscaler\n",
                                      "  kind: HorizontalPodAutoscaler\n  n: " + "9" * digits + "\n", 1)
    text = "---\n".join([dump(2), listed])
    options = ReadOptions()
    (item,) = from_uploads([("all.yaml", text.encode())], options.limits).files
    whole = read_file(item, FileContext(item.location, item.folder), options)
    assert any("number" in s.reason for s in whole.skipped) == (digits > 4300)
    for n in (2, 3):
        parts = _in_parts("all.yaml", text, n)
        assert parts.account == whole.account and parts.skipped == whole.skipped


def test_a_file_read_in_parts_has_the_digest_of_its_parts(small_parts: None, tmp_path: Path) -> None:
    """With a cache, a file read in parts carries a digest of what its parts read: the same when it
    is read again (from the cache) or changed in nothing that is read and no document moved to another
    part (a comment of the same length), another when something read changed."""
    options = ReadOptions()
    text = dump()
    cache = FileCache(tmp_path / "cache")

    def digest(body: str) -> str:
        (result,) = read_inputs(from_uploads([("dump.yaml", body.encode())], options.limits), options,
                                workers=2, cache=cache)
        return result.digest

    first = digest(text)
    assert len(first) == 64 and digest(text) == first
    assert digest(text.replace("team0-empty.yaml", "team0-EMPTY.yaml")) == first
    assert digest(text.replace("image: api:0\n", "image: api:9\n")) != first
