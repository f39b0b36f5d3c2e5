"""The benchmark generator: deterministic, loadable, and its truth is what the readers find."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``bench`` is not an installed package; run from a checkout
    sys.path.insert(0, str(REPO))

from bench.generate import INVENTORY_DIR, TRUTH_FILE, Truth, generate, load_truth  # noqa: E402
from inventory.documents import SafeLoader  # noqa: E402
from inventory.model import Inventory  # noqa: E402
from inventory.reading import read_paths  # noqa: E402

SERVICES = 60


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _documents(root: Path) -> list[dict]:
    docs = []
    for path in sorted((root / INVENTORY_DIR).rglob("*")):
        if path.is_file():
            docs.extend(yaml.load_all(path.read_text(encoding="utf-8"), Loader=SafeLoader))
    return docs


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    out = tmp_path_factory.mktemp("gen")
    return out, generate(out, services=SERVICES, seed=7)


@pytest.fixture(scope="module")
def inventory(generated: tuple[Path, Truth]) -> Inventory:
    out, _ = generated
    return read_paths([out / INVENTORY_DIR])


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path,
                                                                  generated: tuple[Path, Truth]) -> None:
    first, _ = generated
    generate(tmp_path / "again", services=SERVICES, seed=7)
    generate(tmp_path / "other", services=SERVICES, seed=8)
    assert _files(tmp_path / "again") == _files(first)
    assert _files(tmp_path / "other") != _files(first)


def test_every_document_loads_with_the_safe_loader_and_is_counted(generated: tuple[Path, Truth]) -> None:
    out, truth = generated
    docs = _documents(out)
    files = [p for p in (out / INVENTORY_DIR).rglob("*") if p.is_file()]
    assert len(docs) == truth.documents
    assert len(files) == truth.files
    assert sum(p.stat().st_size for p in files) == truth.bytes
    assert all(isinstance(d, dict) for d in docs)
    kinds = Counter(d.get("kind", "AsyncAPI" if "asyncapi" in d else None) for d in docs)
    assert kinds["Deployment"] == SERVICES
    assert kinds["StatefulSet"] >= 2 and kinds["Service"] >= SERVICES // 2 and kinds["AsyncAPI"] >= 2
    allowed = {"Deployment", "StatefulSet", "DaemonSet", "Service", "ConfigMap", "Secret", "AsyncAPI"}
    assert set(kinds) <= allowed


def test_truth_round_trips_and_names_real_deployments(generated: tuple[Path, Truth]) -> None:
    out, truth = generated
    assert load_truth(out / TRUTH_FILE) == truth
    assert json.loads((out / TRUTH_FILE).read_text())["generator_version"] == 1
    deployments = {d["metadata"]["name"]: d for d in _documents(out) if d.get("kind") == "Deployment"}
    statefulsets = {d["metadata"]["name"] for d in _documents(out)
                    if d.get("kind") in ("StatefulSet", "DaemonSet")}
    assert set(truth.teams) == set(deployments)
    assert truth.groups and all(2 <= len(g) <= 12 for g in truth.groups)
    grouped = [m for g in truth.groups for m in g]
    assert len(grouped) == len(set(grouped)), "a service is in one planted group at most"
    for group in truth.groups:
        assert set(group) <= set(deployments)
        teams = {deployments[m]["metadata"]["labels"]["team"] for m in group}
        assert len(teams) == 1, f"planted group {group} mixes teams {teams}"
    assert set(truth.hubs) <= set(deployments) and not set(truth.hubs) & set(grouped)
    assert set(truth.infrastructure) <= statefulsets
    for a, b in truth.cross_team_pairs:
        assert truth.teams[a] != truth.teams[b]
    group_of = {m: i for i, g in enumerate(truth.groups) for m in g}
    for a, b in truth.neighbours:
        assert a not in group_of or group_of[a] != group_of.get(b)
    for topic, consumers in truth.broadcast_topics.items():
        assert len(consumers) >= 9, topic


def test_asyncapi_documents_describe_the_planted_topics(generated: tuple[Path, Truth]) -> None:
    out, truth = generated
    docs = [d for d in _documents(out) if "asyncapi" in d]
    assert {d["asyncapi"] for d in docs} == {"2.6.0"}
    produces: set[tuple[str, str]] = set()
    consumes: set[tuple[str, str]] = set()
    for d in docs:
        for channel, item in d["channels"].items():
            if "subscribe" in item:  # 2.x: subscribe = the application produces
                produces.add((d["info"]["title"], channel))
            if "publish" in item:
                consumes.add((d["info"]["title"], channel))
    messaging = [(s, t, via) for s, t, category, via in truth.edges if category == "messaging"]
    assert messaging
    for producer, consumer, topic in messaging:
        assert (producer, topic) in produces
        assert (consumer, topic) in consumes
    for topic in truth.private_topics:
        assert len([1 for _, ch in produces if ch == topic]) == 1
        assert len([1 for _, ch in consumes if ch == topic]) == 1


def _edges(inv: Inventory) -> set[tuple[str, str, str, str | None]]:
    names = {s.id: s.name for s in inv.services} | {r.id: r.name for r in inv.resources}
    return {(names[d.source], names[d.target], d.kind, d.via) for d in inv.dependencies}


def test_reading_the_folder_finds_the_planted_services_and_owners(generated: tuple[Path, Truth],
                                                                   inventory: Inventory) -> None:
    _, truth = generated
    assert {s.name for s in inventory.services} == set(truth.teams)
    assert {s.name: s.owner for s in inventory.services} == dict(truth.teams)
    assert not inventory.skipped
    resources = {r.name: r.kind for r in inventory.resources}
    assert resources["kafka"] == "broker"
    assert resources["redis-shared"] == "cache"


def test_reading_the_folder_finds_the_shared_schemas_of_planted_groups(generated: tuple[Path, Truth],
                                                                       inventory: Inventory) -> None:
    _, truth = generated
    found = _edges(inventory)
    shared = [d for d in truth.group_details if "shared-datastore" in d["signals"]]  # type: ignore[operator]
    assert shared
    checked = 0
    for detail in shared:
        for store_schema in detail["datastores"]:  # type: ignore[union-attr]
            store, schema = store_schema.split("/")
            # a connection string names the schema, and so does DB_NAME beside DB_HOST (the truth
            # records the DB_HOST form without one)
            users = [(s, via) for s, t, c, via in truth.edges
                     if c == "datastore" and t == store and via in (schema, None)]
            assert len(users) >= 2, f"{store}/{schema} is shared by {users}"
            for user, _via in users:
                assert (user, store, "datastore", schema) in found
                checked += 1
    assert checked >= 4


def test_reading_the_folder_finds_every_planted_call_and_the_mutual_ones(generated: tuple[Path, Truth],
                                                                         inventory: Inventory) -> None:
    _, truth = generated
    found = _edges(inventory)
    sync = {(s, t) for s, t, c, _ in truth.edges if c == "sync"}
    found_sync = {(s, t) for s, t, kind, _ in found
                  if kind == "sync" and s in truth.teams and t in truth.teams}
    assert found_sync == sync
    for group in truth.groups:
        members = set(group)
        mutual = [(a, b) for a, b in sync if a in members and b in members and (b, a) in sync]
        assert mutual, f"planted group {group} has no mutual pair"
    for a, b in truth.cross_team_pairs:
        assert (a, b) in found_sync and (b, a) in found_sync


def test_reading_the_folder_finds_the_infrastructure_users(generated: tuple[Path, Truth],
                                                           inventory: Inventory) -> None:
    _, truth = generated
    found = {(s, t) for s, t, _, _ in _edges(inventory)}
    for s, t, category, _ in truth.edges:
        if category in ("cache", "broker", "telemetry", "datastore"):
            assert (s, t) in found, (s, t, category)


def test_too_few_services_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="services=5 is too small"):
        generate(tmp_path, services=5, seed=1)


def test_a_folder_it_did_not_write_is_never_emptied(tmp_path: Path) -> None:
    mine = tmp_path / INVENTORY_DIR / "keep.yaml"
    mine.parent.mkdir()
    mine.write_text("kind: Precious\n")
    with pytest.raises(ValueError, match="is not empty and was not written by this generator"):
        generate(tmp_path, services=20, seed=1)
    assert mine.read_text() == "kind: Precious\n"


def test_its_own_earlier_output_is_replaced(tmp_path: Path) -> None:
    generate(tmp_path, services=40, seed=1)
    truth = generate(tmp_path, services=20, seed=1)
    files = [p for p in (tmp_path / INVENTORY_DIR).rglob("*") if p.is_file()]
    assert len(files) == truth.files
