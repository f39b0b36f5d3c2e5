"""Reading commit history from local git repositories (``git log`` through subprocess, no network).

Only ``git log`` runs, with a timeout, without pager, hooks or network, and with the system and
global git configuration ignored; nothing from the repository is executed. Each commit becomes a
:class:`Commit` with its author, day, subject line and the files it touched. A folder that is not a
git repository, or where ``git`` fails, gives a :class:`~inventory.model.Skipped` entry instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inventory.model import Skipped

_RECORD = "\x1e"
_FIELD = "\x1f"
_FORMAT = f"{_RECORD}%H{_FIELD}%an{_FIELD}%ae{_FIELD}%at{_FIELD}%s"


@dataclass(frozen=True)
class Commit:
    repo: str
    sha: str
    author: str
    email: str
    timestamp: int
    subject: str
    files: tuple[str, ...]

    @property
    def day(self) -> str:
        return datetime.fromtimestamp(self.timestamp, UTC).strftime("%Y-%m-%d")


def parse_git_log(text: str, repo: str) -> list[Commit]:
    """Commits from the output of ``git log --name-only --format=<_FORMAT>``.

    >>> out = "\\x1eabc\\x1fAda\\x1fada@x\\x1f1700000000\\x1fORD-1 fix\\n\\norders/a.py\\nbilling/b.py\\n"
    >>> [(c.sha, c.subject, c.files) for c in parse_git_log(out, "shop")]
    [('abc', 'ORD-1 fix', ('orders/a.py', 'billing/b.py'))]
    """
    commits: list[Commit] = []
    for record in text.split(_RECORD):
        if not record.strip():
            continue
        header, _, body = record.partition("\n")
        parts = header.split(_FIELD)
        if len(parts) != 5 or not parts[3].isdigit():
            continue
        files = tuple(line.strip() for line in body.splitlines() if line.strip())
        commits.append(Commit(repo, parts[0], parts[1], parts[2].lower(), int(parts[3]), parts[4], files))
    return commits


def read_git_log(path: str | os.PathLike[str], *, max_commits: int = 100_000, since: str | None = None,
                 timeout: float = 120.0) -> list[Commit]:
    """The non-merge commits of the repository at ``path``, newest first.

    Raises :class:`OSError` when git cannot run and :class:`ValueError` when ``path`` is not a
    repository; :func:`read_repositories` turns both into skipped entries.
    """
    repo = Path(path)
    if not (repo / ".git").exists():
        raise ValueError(f"{repo} is not a git repository (no .git folder)")
    cmd = ["git", "-c", "safe.directory=*", "-c", "core.quotepath=off", "-C", str(repo), "log", "--no-merges",
           "--name-only", f"--format={_FORMAT}", f"--max-count={max_commits}", "--no-color", "--no-renames"]
    if since:
        cmd.append(f"--since={since}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_PAGER": "cat",
                "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    done = subprocess.run(cmd, capture_output=True, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ValueError(f"git log failed in {repo}: {message[-1] if message else done.returncode}")
    return parse_git_log(done.stdout.decode("utf-8", "replace"), repo.name)


def read_repositories(paths: Iterable[str | os.PathLike[str]], *, max_commits: int = 100_000,
                      since: str | None = None) -> tuple[list[Commit], list[Skipped]]:
    """Commits of every repository under ``paths``: a repository itself, or a folder of repositories."""
    commits: list[Commit] = []
    skipped: list[Skipped] = []
    for raw in paths:
        for repo in _repositories(Path(raw)):
            try:
                commits.extend(read_git_log(repo, max_commits=max_commits, since=since))
            except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
                skipped.append(Skipped(str(repo), f"its git history could not be read ({exc})"))
        if not _repositories(Path(raw)):
            skipped.append(Skipped(str(raw), "is neither a git repository nor a folder of git repositories"))
    return commits, skipped


def _repositories(path: Path) -> Sequence[Path]:
    if (path / ".git").exists():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / ".git").exists())
