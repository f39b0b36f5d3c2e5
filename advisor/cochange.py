"""Change coupling across repositories: which services are changed together (code-maat's measure).

Commits from many repositories are grouped into *logical commits*: by the ticket id in the message
(``ORD-123``, configurable pattern) when there is one, otherwise by author and day (what CodeScene
calls "by author and time"). Each logical commit touches a set of services: a repository whose
name is a service's name belongs to that service; in a monorepo a file belongs to the service
named by a folder on its path. Then, as code-maat defines it::

    degree(a, b) = shared(a, b) / mean(revisions(a), revisions(b))

with code-maat's minimums by default: both services changed in at least 5 logical commits, at
least 5 of them shared, a degree of at least 30%, and logical commits touching more than 30
services ignored (a bulk reformat says nothing about coupling).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from advisor.config import CoChange
from inventory.gitlog import Commit
from inventory.model import Evidence, Service
from inventory.resolving import normalise_name


def _service_names(services: Sequence[Service]) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in services:
        for name in (s.id, s.name, *s.aliases):
            out.setdefault(name.lower(), s.id)
            out.setdefault(normalise_name(name), s.id)
    return out


def services_of(commit: Commit, names: Mapping[str, str]) -> set[str]:
    """The services a commit touches: its repository's, or those named by folders on its files' paths."""
    repo = names.get(commit.repo.lower()) or names.get(normalise_name(commit.repo))
    if repo:
        return {repo}
    found: set[str] = set()
    for path in commit.files:
        for segment in path.split("/")[:-1][:4]:
            sid = names.get(segment.lower()) or names.get(normalise_name(segment))
            if sid:
                found.add(sid)
                break
    return found


def logical_commits(commits: Iterable[Commit], pattern: str) -> dict[str, list[Commit]]:
    ticket = re.compile(pattern)
    groups: dict[str, list[Commit]] = defaultdict(list)
    for c in commits:
        m = ticket.search(c.subject)
        key = f"ticket:{m.group(0)}" if m else f"author:{c.email or c.author}:{c.day}"
        groups[key].append(c)
    return groups


@dataclass(frozen=True)
class ChangeHistory:
    """Logical commits per service and per pair, with a few example commits to cite."""

    revisions: Mapping[str, int] = field(default_factory=dict)
    shared: Mapping[tuple[str, str], int] = field(default_factory=dict)
    examples: Mapping[tuple[str, str], tuple[Evidence, ...]] = field(default_factory=dict)
    latest: Mapping[str, Evidence] = field(default_factory=dict)


def change_history(commits: Sequence[Commit], services: Sequence[Service], settings: CoChange | None = None
                   ) -> ChangeHistory:
    """Count logical commits per service and per pair (changesets over the size limit ignored)."""
    settings = settings or CoChange()
    names = _service_names(services)
    revisions: dict[str, int] = defaultdict(int)
    shared: dict[tuple[str, str], int] = defaultdict(int)
    examples: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    latest: dict[str, tuple[int, Evidence]] = {}
    for key, group in sorted(logical_commits(commits, settings.ticket_pattern).items()):
        touched: set[str] = set()
        for c in group:
            touched |= services_of(c, names)
        if not touched or len(touched) > settings.max_changeset_size:
            continue
        first = min(group, key=lambda c: (c.timestamp, c.sha))
        label = key.split(":", 1)[1] if key.startswith("ticket:") else f"{first.author} on {first.day}"
        for s in touched:
            revisions[s] += 1
            if s not in latest or first.timestamp > latest[s][0]:
                latest[s] = (first.timestamp, Evidence("git", f"{first.repo}@{first.sha[:10]}",
                                                       f"changed ({label}): {first.subject[:100]}"))
        ordered = sorted(touched)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                shared[(a, b)] += 1
                if len(examples[(a, b)]) < 5:
                    examples[(a, b)].append(Evidence(
                        "git", f"{first.repo}@{first.sha[:10]}",
                        f"changed together ({label}): {first.subject[:100]}"))
    return ChangeHistory(dict(revisions), dict(shared), {k: tuple(v) for k, v in examples.items()},
                         {k: v for k, (_, v) in latest.items()})


def change_coupling(commits: Sequence[Commit], services: Sequence[Service], settings: CoChange | None = None
                    ) -> dict[tuple[str, str], tuple[float, tuple[Evidence, ...]]]:
    """``{(a, b): (degree, evidence)}`` for every pair of services above the thresholds.

    Evidence cites up to five logical commits the pair shared (``repo@sha``: subject).
    """
    settings = settings or CoChange()
    return coupled_pairs(change_history(commits, services, settings), settings)


def coupled_pairs(history: ChangeHistory, settings: CoChange | None = None
                  ) -> dict[tuple[str, str], tuple[float, tuple[Evidence, ...]]]:
    settings = settings or CoChange()
    revisions = history.revisions
    out: dict[tuple[str, str], tuple[float, tuple[Evidence, ...]]] = {}
    for (a, b), n in sorted(history.shared.items()):
        if revisions[a] < settings.min_revs or revisions[b] < settings.min_revs or n < settings.min_shared_revs:
            continue
        degree = n / ((revisions[a] + revisions[b]) / 2)
        if degree >= settings.min_coupling:
            out[(a, b)] = (round(degree, 4), history.examples.get((a, b), ()))
    return out
