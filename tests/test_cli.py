"""The ``advisor`` command end to end: exit codes, formats, output files, stderr summaries.

Most tests call :func:`advisor.cli.main` in-process (fast); a few run the real entry point in a
subprocess (``python -m advisor.cli``). Every run uses ``--no-store`` or a store in a temporary
folder, so that no test writes a decisions store into the working tree.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from advisor.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "tests" / "fixtures" / "rules"
SHARED = ROOT / ".." / "shared"
BOUTIQUE = SHARED / "corpus" / "online-boutique" / "release" / "kubernetes-manifests.yaml"


def _run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "advisor.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


def _no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert 'File "' not in stderr


def _cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    _no_traceback(err)
    return code, out, err


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a default store (.advisor/ in the working folder) would land in the temporary folder
    monkeypatch.chdir(tmp_path)


# --------------------------------------------------------------------------------------------
# Exit 0: a report
# --------------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_online_boutique_through_the_real_entry_point(tmp_path: Path) -> None:
    if not BOUTIQUE.exists():
        pytest.skip("../shared/corpus is absent")
    result = _run("analyze", BOUTIQUE, "--no-store", cwd=tmp_path)
    _no_traceback(result.stderr)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["schema_version"] == 1
    assert report["summary"]["services"] == 11
    assert report["summary"]["dependencies"] == 16
    assert [u["reference"] for u in report["unresolved"]] == ["shoppingassistantservice"]
    # the ServiceAccounts are skipped, listed in the report and summarised on stderr
    assert len(report["skipped"]) == report["summary"]["skipped"] == 11
    assert "advisor: 11 services, 1 resources, 16 dependencies" in result.stderr
    assert "11 inputs skipped (listed in the report): 11 × ServiceAccount" in result.stderr
    assert "1 unresolved references" in result.stderr
    assert not (tmp_path / ".advisor").exists()


def test_fixtures_through_the_real_entry_point(tmp_path: Path) -> None:
    result = _run("analyze", RULES / "shared-datastore-MERGE.yaml", "--format", "markdown", "--no-store", cwd=tmp_path)
    _no_traceback(result.stderr)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Service consolidation report\n")
    assert "### 1. Merge order-history and orders" in result.stdout
    assert "advisor: 2 services, 1 resources, 2 dependencies, 1 clusters, 1 proposals" in result.stderr


def test_json_report_on_the_rule_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, "analyze", RULES, "--no-store")
    assert code == 0
    report = json.loads(out)
    files = sorted(RULES.glob("*.yaml"))
    assert report["summary"]["inputs"] == len(files)
    assert report["skipped"] == []
    assert report["proposals"]
    assert err.startswith("advisor: ")
    assert "skipped" not in err


def test_markdown_and_csv_formats(capsys: pytest.CaptureFixture[str]) -> None:
    path = RULES / "mutual-calls-MERGE.yaml"
    code, out, _ = _cli(capsys, "analyze", path, "--format", "markdown", "--no-store")
    assert code == 0
    assert "## Proposals" in out and "`mutual-calls` (ADV103, +2)" in out
    code, out, _ = _cli(capsys, "analyze", path, "--format", "csv", "--no-store")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["rank"], r["members"], r["signals"]) for r in rows] == [
        ("1", "accounts;profiles", "mutual-calls;same-owner;sync-calls")]


def test_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    target.parent.mkdir()
    code, out, err = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "--output", target, "--no-store")
    assert code == 0
    assert out == ""  # the report went to the file
    report = json.loads(target.read_text(encoding="utf-8"))
    assert [p["members"] for p in report["proposals"]] == [["accounts", "profiles"]]
    assert "1 proposals" in err
    # -o and --format together
    md = tmp_path / "out" / "report.md"
    assert _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "-o", md, "--format", "markdown",
                "--no-store")[0] == 0
    assert md.read_text(encoding="utf-8").startswith("# Service consolidation report")


def test_the_report_is_in_the_cache_when_the_command_returns(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache entry is written by a thread while the command writes its output; the command
    waits for it, so the next run reuses the report."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    first = tmp_path / "first.json"
    assert _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "-o", first, "--no-store")[0] == 0
    (entry,) = (tmp_path / "cache-home" / "sprawl-advisor").glob("*/*.json")
    assert entry.read_bytes() == first.read_bytes()


def test_skipped_inputs_are_summarised_on_stderr(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "inv.yaml").write_text((RULES / "mutual-calls-MERGE.yaml").read_text(encoding="utf-8"))
    (folder / "broken.yaml").write_text("services: [unclosed\n")
    (folder / "sa.yaml").write_text("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\n"
                                    "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n")
    code, out, err = _cli(capsys, "analyze", folder, "--no-store")
    assert code == 0  # skipped inputs do not stop the report
    report = json.loads(out)
    locations = [s["location"] for s in report["skipped"]]
    assert len(locations) == 3
    assert any("broken.yaml" in loc for loc in locations)
    assert sum("sa.yaml" in loc for loc in locations) == 2
    assert all(s["reason"] for s in report["skipped"])
    assert "advisor: 3 inputs skipped (listed in the report): " in err
    assert "2 × ServiceAccount" in err
    assert [p["members"] for p in report["proposals"]] == [["accounts", "profiles"]]


def test_a_missing_path_next_to_a_good_one_is_reported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", tmp_path / "nope.yaml", "--no-store")
    assert code == 0
    report = json.loads(out)
    assert any("nope.yaml" in s["location"] for s in report["skipped"])
    assert "1 inputs skipped" in err


# --------------------------------------------------------------------------------------------
# Exit 1: nothing usable
# --------------------------------------------------------------------------------------------


def test_nothing_usable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "README.txt").write_text("This folder has no inventory in it.\n")
    code, out, err = _cli(capsys, "analyze", folder, "--no-store")
    assert code == 1
    assert out == ""
    assert "nothing usable was read" in err


def test_file_and_folder_names_that_are_not_utf8(tmp_path: Path) -> None:
    """A Latin-1 name (as old repositories have them) reaches every output as an escape, through the
    real entry point with its default store, the parse cache and ADRs; the file is read all the same."""
    folder = tmp_path / os.fsdecode(b"d\xe9p")
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.yaml")).write_bytes((ROOT / "examples" / "inventory" / "k8s" / "shop" /
                                                          "orders.yaml").read_bytes())
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):  # the second run from the cache
        result = subprocess.run([sys.executable, "-m", "advisor.cli", "analyze", str(folder), "--format", "markdown",
                                 "--adr-dir", str(tmp_path / "adr")], capture_output=True, text=True, cwd=tmp_path,
                                timeout=120, env={**env, "PYTHONPATH": str(ROOT)})
        _no_traceback(result.stderr)
        assert result.returncode == 0, result.stderr
        assert "d\\xe9p/caf\\xe9.yaml:" in result.stdout
    assert any((tmp_path / "adr").iterdir())
    assert (tmp_path / ".advisor").exists()  # the run was recorded


def test_nothing_usable_through_the_real_entry_point(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "README.txt").write_text("nothing here\n")
    result = _run("analyze", folder, cwd=tmp_path)
    _no_traceback(result.stderr)
    assert result.returncode == 1
    assert "nothing usable was read" in result.stderr
    assert not (tmp_path / ".advisor").exists()  # nothing analysed, nothing recorded


# --------------------------------------------------------------------------------------------
# Exit 2: usage and configuration errors
# --------------------------------------------------------------------------------------------


def test_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _cli(capsys, "analyze", tmp_path / "does-not-exist", "--no-store")
    assert code == 2
    assert out == ""
    assert "no such file or folder" in err


@pytest.mark.parametrize("args", [
    ["analyze", "--format", "xml", "x.yaml"],
    ["analyze", "--bogus", "x.yaml"],
    ["analyze"],
    ["frobnicate"],
    [],
    ["analyze", "x.yaml", "--seed", "many"],
])
def test_bad_flags(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    code, out, err = _cli(capsys, *args)
    assert code == 2
    assert out == ""
    assert "usage: advisor" in err
    assert "advisor: error:" in err


def test_bad_flag_through_the_real_entry_point(tmp_path: Path) -> None:
    result = _run("analyze", RULES, "--format", "xml", cwd=tmp_path)
    _no_traceback(result.stderr)
    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr


@pytest.mark.parametrize(("text", "message"), [
    ("weights:\n  shared_datastor: 4\n", "unknown setting 'weights.shared_datastor'"),
    ("colour: blue\n", "unknown setting 'colour'"),
    ("weights: [1, 2]\n", "'weights' must be a mapping"),
    ("seed: [1\n", "is not valid YAML"),
    ("clustering:\n  resolution: -1\n", "resolution must be 'auto' or a positive number"),
])
def test_invalid_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "advisor.yaml"
    config.write_text(text)
    code, out, err = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "--config", config, "--no-store")
    assert code == 2
    assert out == ""
    assert message in err


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "--config", tmp_path / "nope.yaml",
                        "--no-store")
    assert code == 2
    assert "cannot read the configuration" in err


def test_a_valid_config_changes_the_result(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "advisor.yaml"
    config.write_text("proposals:\n  rules:\n    mutual-calls: {enabled: false}\n")
    code, out, _ = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "--config", config, "--no-store")
    assert code == 0
    assert json.loads(out)["proposals"] == []


def test_unwritable_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "no" / "dir" / "r.json"
    code, out, err = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml", "-o", target, "--no-store")
    assert code == 2
    assert out == ""
    assert "cannot write" in err


# --------------------------------------------------------------------------------------------
# Decisions through the command line
# --------------------------------------------------------------------------------------------


def test_decide_and_history(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = tmp_path / "decisions.sqlite"
    path = RULES / "mutual-calls-MERGE.yaml"
    code, out, _ = _cli(capsys, "analyze", path, "--store", store)
    assert code == 0
    [proposal] = json.loads(out)["proposals"]
    code, out, _ = _cli(capsys, "decide", proposal["id"], "reject", "--reason", "separate domains", "--store", store)
    assert code == 0
    assert out.strip() == f"{proposal['id']} rejected: separate domains (accounts, profiles)"
    code, out, _ = _cli(capsys, "analyze", path, "--store", store)
    assert code == 0
    assert json.loads(out)["proposals"] == []  # rejected, same evidence: withdrawn
    code, out, _ = _cli(capsys, "history", "--store", store, "--format", "json")
    assert code == 0
    runs = json.loads(out)
    assert [(r["id"], r["services"], r["proposals"]) for r in runs] == [(1, 2, 1), (2, 2, 0)]
    # an id no run proposed is a usage error
    code, _, err = _cli(capsys, "decide", "P-00000000", "accept", "--reason", "x", "--store", store)
    assert code == 2
    assert "no recorded run proposed 'P-00000000'" in err
    assert not (tmp_path / ".advisor").exists()


def test_analyze_records_the_run_in_the_default_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = _cli(capsys, "analyze", RULES / "mutual-calls-MERGE.yaml")
    assert code == 0
    assert (tmp_path / ".advisor" / "decisions.sqlite").exists()  # in the working folder (tmp_path)
    code, out, _ = _cli(capsys, "history")
    assert code == 0
    assert len(out.strip().splitlines()) == 2  # header and one run
