"""Incremental re-analysis: a file whose content has not changed is not parsed again.

The per-file result of :func:`inventory.reading.read_file` is stored under a key that digests
everything it depends on: the file's bytes, its location (evidence cites it), its folder's
``.env`` (Compose interpolation), the read options, the source of the readers themselves (so
any change to the code invalidates every entry), and the versions of Python and PyYAML (and whether
libyaml is there). Keys are worked out before the files are read: a file parsed afresh is hashed
again once read (one read in parts, once its parts are put together), and if its bytes changed in
between, its result is used but stored under no key, and the run's report is not kept either.

The cache is a folder of pickles, by default ``$XDG_CACHE_HOME/sprawl-advisor``
(``~/.cache/sprawl-advisor``); the advisor also keeps its latest whole reports there, as JSON
(``.json`` entries, by what their runs read), and for each recent run the key of its report
(``.ref`` entries); see :meth:`FileCache.prune` and ``advisor.api``.

Per-file entries are kept up to a total size (:data:`DEFAULT_MAX_BYTES`, or ``$ADVISOR_CACHE_MAX_MB``
megabytes): after a run that wrote new entries, the least recently used of the other entries go
until the rest fits (:meth:`FileCache.trim`). Without this, every changed file and every new
version of the readers (which invalidates every entry) would leave entries behind for good.

Pickles run code when loaded, so the cache is used only when its folder belongs to the current
user and nobody else can write to it; otherwise it is silently off. Entries are written to a
temporary file and renamed, so parallel workers never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable
from functools import cache
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20
_HEX = re.compile(r"[0-9a-f]+")


#: The size per-file entries are trimmed to by default: about 20 inventories of 20,000 services.
DEFAULT_MAX_BYTES = 2 * 1024**3


def default_max_bytes() -> int:
    """``$ADVISOR_CACHE_MAX_MB`` megabytes when it is set to a whole number (0: keep only the entries of
    the latest run), else :data:`DEFAULT_MAX_BYTES`."""
    value = os.environ.get("ADVISOR_CACHE_MAX_MB", "").strip()
    return int(value) * 1024**2 if value.isascii() and value.isdigit() else DEFAULT_MAX_BYTES


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sprawl-advisor"


@cache
def source_digest(package_root: Path) -> str:
    """A digest of a package's Python and C source: cache entries made by other code never match."""
    digest = hashlib.sha256()
    for path in sorted([*package_root.rglob("*.py"), *package_root.rglob("*.c")]):
        digest.update(str(path.relative_to(package_root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def code_version() -> str:
    """The digest of the inventory package (the readers), with what else decides what they read (the
    Python and PyYAML versions, and whether libyaml is there): every cache key includes it, so an
    entry made by other code, or under another Python or PyYAML, never matches."""
    return f"{source_digest(_PACKAGE)} {runtime_version()}"


_PACKAGE = Path(__file__).resolve().parent  # once: resolving it took 4 lstat calls per cache key


@cache
def runtime_version() -> str:
    """The Python implementation and version, PyYAML's version and libyaml's presence, and the
    libyaml that the compiled builder of YAML values (:mod:`inventory._fastyaml`) is linked with."""
    import yaml  # the readers import it anyway

    from inventory.documents import compiled_builder_digest, compiled_libyaml

    version = sys.version.split()[0]  # 3.11.7, 3.13.0rc1
    libyaml = "libyaml" if getattr(yaml, "__with_libyaml__", False) else "no libyaml"
    compiled = compiled_libyaml()
    # the extension loaded, not its source: a build left over from other source is another builder
    built = f", values built with libyaml {compiled} ({compiled_builder_digest()})" if compiled else ""
    return f"{sys.implementation.name} {version}, PyYAML {getattr(yaml, '__version__', '?')} ({libyaml}{built})"


def _safe_dir(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = path.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


class FileCache:
    """Per-file read results keyed by content digest (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str] | None = None, *, max_bytes: int | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        #: What :meth:`trim` keeps per-file entries to.
        self.max_bytes = default_max_bytes() if max_bytes is None else max_bytes
        self.enabled = _safe_dir(self.folder)
        self.hits = 0
        self.misses = 0

    def key(self, parts: Iterable[bytes | str], stream: Any | None = None) -> str:
        digest = hashlib.sha256(code_version().encode())
        for part in parts:
            # surrogateescape: a file name that is not UTF-8 (as os.listdir gives it) hashes as its bytes
            digest.update(part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part)
            digest.update(b"\0")
        if stream is not None:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def _path(self, key: str, suffix: str = ".pickle") -> Path:
        return self.folder / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> Any | None:
        if not self.enabled:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                value = pickle.load(fh)  # noqa: S301 - our own entries in a folder only this user can write
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def get_bytes(self, key: str, suffix: str = ".pickle") -> bytes | None:
        """The bytes stored under ``key`` with :meth:`put_bytes`, as they are (a pickle is not
        unpickled); None when there are none."""
        if not self.enabled:
            return None
        try:
            with open(self._path(key, suffix), "rb") as fh:
                return fh.read()
        except OSError:
            return None

    def put(self, key: str, value: Any) -> None:
        if self.enabled:
            self.put_bytes(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def put_bytes(self, key: str, data: bytes, suffix: str = ".pickle") -> None:
        """Store bytes under ``key``: by default a value pickled with :data:`pickle.HIGHEST_PROTOCOL`
        (what :meth:`get` unpickles); an entry that is not a pickle gets another ``suffix``, so
        :meth:`get` never unpickles it."""
        if not self.enabled:
            return
        path = self._path(key, suffix)
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as fh:
                tmp = fh.name
                fh.write(data)
            os.replace(tmp, path)
        except OSError:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def remove(self, key: str, suffix: str = ".pickle") -> None:
        """Remove an entry, if there is one."""
        if self.enabled:
            self._remove([str(self._path(key, suffix))])

    def touch(self, key: str, suffix: str = ".pickle") -> None:
        """Mark an entry as just used (for :meth:`prune`)."""
        if self.enabled:
            with contextlib.suppress(OSError):
                os.utime(self._path(key, suffix))

    def prune(self, suffix: str, keep: int) -> int:
        """Remove all but the ``keep`` most recently written or touched entries with ``suffix``;
        returns how many went. For entries that are large and only ever match the very same run
        (whole reports): without this, every changed inventory would leave one behind for good."""
        entries = sorted(self._entries(suffix), reverse=True)
        return self._remove(path for _, _, path, _ in entries[keep:])

    def trim(self, suffix: str = ".pickle", *, keep: Collection[str | None] = ()) -> int:
        """Remove the least recently written or touched entries with ``suffix`` until the others
        fit in :attr:`max_bytes`; the entries of ``keep`` (the keys of the run that just read them)
        always stay, even when they alone are larger. Returns how many went."""
        entries = sorted(self._entries(suffix), reverse=True)  # the newest first
        room = self.max_bytes - sum(size for _, size, _, key in entries if key in keep)
        doomed: list[str] = []
        for _, size, path, key in entries:
            if key not in keep:
                room -= size
                if room < 0:  # this one and every older one
                    doomed.append(path)
        return self._remove(doomed)

    def _entries(self, suffix: str) -> list[tuple[int, int, str, str]]:
        """``(mtime_ns, size, path, key)`` of the cache's own entries with ``suffix``: only
        ``xx/<64 hex digits><suffix>`` in a real subfolder, not through a symbolic link, so that a
        file someone else put there is never a candidate for removal."""
        if not self.enabled:
            return []
        entries: list[tuple[int, int, str, str]] = []
        with contextlib.suppress(OSError), os.scandir(self.folder) as top:
            for sub in top:
                if len(sub.name) != 2 or not _HEX.fullmatch(sub.name) or not sub.is_dir(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError), os.scandir(sub.path) as files:
                    for f in files:
                        stem = f.name[: -len(suffix)]
                        if (f.name.endswith(suffix) and len(stem) == 64 and stem.startswith(sub.name)
                                and _HEX.fullmatch(stem) and f.is_file(follow_symlinks=False)):
                            with contextlib.suppress(OSError):
                                info = f.stat(follow_symlinks=False)
                                entries.append((info.st_mtime_ns, info.st_size, f.path, stem))
        return entries

    @staticmethod
    def _remove(paths: Iterable[str]) -> int:
        removed = 0
        for path in paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
                removed += 1
        return removed
