"""Change coupling from real temporary git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from advisor.cochange import change_coupling, logical_commits, services_of
from advisor.config import CoChange
from inventory.gitlog import parse_git_log, read_git_log, read_repositories
from inventory.model import Service

pytestmark = pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0,
                                reason="git is not installed")

ENV = {**os.environ, "GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com",
       "GIT_COMMITTER_NAME": "Ada", "GIT_COMMITTER_EMAIL": "ada@example.com"}


def git(repo: Path, *args: str, when: str = "2026-01-05T10:00:00") -> None:
    env = {**ENV, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def make_repo(root: Path, name: str) -> Path:
    repo = root / name
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo


def commit(repo: Path, path: str, message: str, when: str, author: str = "Ada") -> None:
    f = repo / path
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(f.read_text() + message + "\n" if f.exists() else message + "\n")
    git(repo, "add", path)
    env_when = when
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message],
                   check=True, capture_output=True,
                   env={**ENV, "GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author.lower()}@example.com",
                        "GIT_AUTHOR_DATE": env_when, "GIT_COMMITTER_DATE": env_when})


SERVICES = (Service("orders", "orders"), Service("billing", "billing"), Service("search", "search"))


def test_lockstep_across_repositories_by_ticket_and_by_author_day(tmp_path: Path) -> None:
    orders, billing, search = (make_repo(tmp_path, n) for n in ("orders", "billing", "search"))
    # six tickets change orders and billing together (different days, same ticket id)
    for i in range(6):
        commit(orders, "src/a.py", f"ORD-{i} change orders", f"2026-01-{i + 1:02d}T10:00:00")
        commit(billing, "src/b.py", f"ORD-{i} follow up in billing", f"2026-01-{i + 10:02d}T10:00:00")
    # search changes on its own, by someone else, on other days
    for i in range(6):
        commit(search, "src/s.py", f"tweak search {i}", f"2026-02-{i + 1:02d}T10:00:00", author="Bob")
    commits, skipped = read_repositories([tmp_path])
    assert skipped == []
    assert len(commits) == 18
    coupling = change_coupling(commits, SERVICES, CoChange())
    assert list(coupling) == [("billing", "orders")]
    degree, evidence = coupling[("billing", "orders")]
    assert degree == 1.0
    assert len(evidence) == 5
    assert all(e.reader == "git" and "@" in e.location and "changed together (ORD-" in e.detail for e in evidence)


def test_thresholds_follow_code_maat(tmp_path: Path) -> None:
    mono = make_repo(tmp_path, "platform")
    for i in range(4):  # only 4 shared changes: below min_shared_revs 5
        when = f"2026-03-{i + 1:02d}T09:00:00"
        commit(mono, "orders/app.py", f"work {i}", when)
        commit(mono, "billing/app.py", f"more work {i}", when)
    commits = read_git_log(mono)
    assert change_coupling(commits, SERVICES, CoChange()) == {}
    relaxed = change_coupling(commits, SERVICES, CoChange(min_revs=4, min_shared_revs=4))
    assert relaxed[("billing", "orders")][0] == 1.0


def test_monorepo_files_map_to_service_folders_and_big_changesets_are_ignored() -> None:
    text = "".join(
        f"\x1e{i:040x}\x1fAda\x1fada@x\x1f{1700000000 + i * 86400}\x1fchange {i}\n\norders/a.py\nbilling/b.py\n"
        for i in range(6)
    )
    commits = parse_git_log(text, "monorepo")
    names = {"orders": "orders", "billing": "billing"}
    assert services_of(commits[0], names) == {"orders", "billing"}
    assert change_coupling(commits, SERVICES, CoChange())[("billing", "orders")][0] == 1.0
    assert change_coupling(commits, SERVICES, CoChange(max_changeset_size=1)) == {}


def test_logical_commits_group_by_ticket_else_author_and_day() -> None:
    text = ("\x1ea\x1fAda\x1fada@x\x1f1700000000\x1fABC-12 one\n\nx\n"
            "\x1eb\x1fAda\x1fada@x\x1f1699970000\x1fno ticket\n\ny\n"
            "\x1ec\x1fAda\x1fada@x\x1f1699973600\x1falso none\n\nz\n")
    groups = logical_commits(parse_git_log(text, "r"), CoChange().ticket_pattern)
    assert sorted(groups) == ["author:ada@x:2023-11-14", "ticket:ABC-12"]
    assert [c.sha for c in groups["author:ada@x:2023-11-14"]] == ["b", "c"]


def test_a_folder_that_is_not_a_repository_is_reported(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    commits, skipped = read_repositories([tmp_path / "plain"])
    assert commits == []
    assert [s.reason for s in skipped] == ["is neither a git repository nor a folder of git repositories"]


def test_cli_git_flag_adds_lockstep_signal(tmp_path: Path) -> None:
    from advisor.api import analyze_paths

    repos = tmp_path / "repos"
    repos.mkdir()
    orders, billing = make_repo(repos, "orders"), make_repo(repos, "billing")
    for i in range(6):
        commit(orders, "a.txt", f"PAY-{i} orders side", f"2026-01-{i + 1:02d}T10:00:00")
        commit(billing, "b.txt", f"PAY-{i} billing side", f"2026-01-{i + 1:02d}T11:00:00")
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "advisor: inventory/v1\n"
        "services:\n  - {name: orders, owner: team-a}\n  - {name: billing, owner: team-a}\n"
        "dependencies:\n  - {source: orders, target: billing, kind: sync}\n"
    )
    report = analyze_paths([str(inv)], git=[str(repos)])
    assert [p.members for p in report.proposals] == [("billing", "orders")]
    names = [s.name for s in report.proposals[0].signals]
    assert "lockstep-change" in names
    assert any("coupled" in " ".join(e.reasons) or "changed together" in " ".join(e.reasons)
               for e in report.coupling)
