"""The benchmark's other shapes of one inventory, the stage timeline, and the command's three runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``bench`` is not an installed package; run from a checkout
    sys.path.insert(0, str(REPO))

import bench.measure  # noqa: E402
from bench.generate import INVENTORY_DIR, generate  # noqa: E402
from bench.measure import (  # noqa: E402
    CHANGED_COMMENT,
    CHANGED_DOCUMENT,
    change_one_file,
    first_yaml,
    measure_cli,
)
from bench.run import write_shapes  # noqa: E402
from bench.timeline import timeline  # noqa: E402
from inventory.reading import read_paths  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(out, services=60, seed=3)
    return out / INVENTORY_DIR


def test_every_shape_holds_the_same_inventory(generated: Path, tmp_path: Path) -> None:
    shapes = write_shapes(generated, tmp_path)
    assert [len(list(shapes["one file"].iterdir()))] == [1]
    listed = (shapes["one List"] / "all.yaml").read_text()
    assert listed.startswith("apiVersion: v1\nitems:\n- ") and "\nkind: List\n" in listed
    assert (shapes["one JSON List"] / "all.json").read_text().startswith('{\n    "apiVersion": "v1",\n    "items": [\n')
    original = read_paths([generated])
    for folder in shapes.values():
        inventory = read_paths([folder])
        assert [s.id for s in inventory.services] == [s.id for s in original.services]
        assert [(d.source, d.target, d.kind) for d in inventory.dependencies] == \
            [(d.source, d.target, d.kind) for d in original.dependencies]


def test_the_timeline_names_every_stage_of_a_run(generated: Path) -> None:
    rows = timeline(str(generated))
    steps = [what.split(" ")[0] for _, _, _, what in rows]
    assert steps[0] == "start"
    for stage in ("read", "resolve", "graph", "cluster", "candidates", "report", "metrics", "propose", "store"):
        assert stage in steps, stage
    starts = [start for start, _, _, _ in rows]
    assert starts == sorted(starts) and all(seconds >= 0 for _, seconds, _, _ in rows)


def test_one_file_is_changed_for_the_third_and_fourth_runs_and_put_back(generated: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "inventory"
    shutil.copytree(generated, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    seen: list[tuple[Path, bytes]] = []

    def change(where: str, text: str = CHANGED_DOCUMENT) -> tuple[Path, bytes]:
        path, old = change_one_file(where, text)
        seen.append((path, path.read_bytes()))  # what the run after reads
        return path, old

    monkeypatch.setattr(bench.measure, "change_one_file", change)
    result = measure_cli(str(folder), change=True)
    assert [p for p in before if p.read_bytes() != before[p]] == []  # put back as generated
    [(path, with_document), (same, with_comment)] = seen
    assert path == same == min(before, key=lambda p: (p.suffix != ".yaml", p))  # the first YAML file
    assert with_document == before[path] + CHANGED_DOCUMENT.encode()
    assert with_comment == before[path] + CHANGED_COMMENT.encode()
    assert "error" not in result
    for key in ("seconds", "second_run_seconds", "one_file_changed_seconds", "comment_added_seconds"):
        assert isinstance(result[key], float) and result[key] > 0, key
    assert result["one_file_changed_parsed"] == 1  # the others came from the parse cache
    assert result["comment_added_reused"] is True  # what was read is what the first run read
    # the document added is one more ConfigMap: read, and the dependencies are the same
    path.write_bytes(with_document)
    now, original = read_paths([folder]), read_paths([generated])
    assert sum(a.used for a in now.inputs) == sum(a.used for a in original.inputs) + 1
    assert [(d.source, d.target, d.kind) for d in now.dependencies] == \
        [(d.source, d.target, d.kind) for d in original.dependencies]


def test_the_changed_file_is_put_back_when_the_third_run_fails(generated: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "inventory"
    shutil.copytree(generated, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    real_run = subprocess.run
    calls: list[object] = []

    first = first_yaml(folder)

    def run(*args: object, **kwargs: object) -> object:
        calls.append(args)
        if len(calls) == 3:
            assert first.read_bytes() != before[first]  # the third run reads the changed file
            raise KeyboardInterrupt  # stopped while the third run went on
        return real_run(*args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(KeyboardInterrupt):
        measure_cli(str(folder), change=True)
    assert len(calls) == 3
    assert [p for p in before if p.read_bytes() != before[p]] == []


def test_the_benchmark_puts_the_file_back_when_the_measurement_was_killed(
        generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed on --timeout, the measurement cannot put the file back itself: bench.run does."""
    import bench.run

    folder = tmp_path / "inventory"
    shutil.copytree(generated, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    def killed(args: list[str], timeout: float | None = None) -> dict[str, object]:
        change_one_file(str(folder))
        return {"available": True, "error": "did not finish within 1 s (--timeout)"}

    monkeypatch.setattr(bench.run, "_child", killed)
    assert "error" in bench.run._cli_runs(str(folder), 1.0)
    assert [p for p in before if p.read_bytes() != before[p]] == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads process states from /proc")
def test_a_measurement_past_its_timeout_goes_with_what_it_started(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import bench.run

    pidfile = tmp_path / "pid"
    fake = tmp_path / "python"
    fake.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pidfile}\nsleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setattr(bench.run.sys, "executable", str(fake))
    result = bench.run._child(["cli", str(tmp_path)], timeout=1.0)
    assert "did not finish" in str(result["error"])
    grandchild = int(pidfile.read_text())
    status = Path(f"/proc/{grandchild}/status")
    for _ in range(50):  # killed: gone, or a zombie until whoever adopted it reaps it
        if not status.exists() or "\nState:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"process {grandchild} started by the measurement still runs")


def test_a_report_entry_written_again_under_its_name_counts_as_written(tmp_path: Path) -> None:
    """The fourth run's check: a report reused is only touched; one analysed again and stored under
    the name it had is a new file."""
    from bench.measure import _report_entries
    from inventory.cache import FileCache

    cache = FileCache(tmp_path / "cache")
    key = "ab" * 32
    cache.put_bytes(key, b"{}", suffix=".json")
    before = _report_entries(str(tmp_path))
    cache.touch(key, suffix=".json")
    assert _report_entries(str(tmp_path)) == before
    cache.put_bytes(key, b"{}", suffix=".json")
    assert _report_entries(str(tmp_path)) != before
