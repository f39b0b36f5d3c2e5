"""Finding the input files: paths, folders (recursively), ``.zip`` archives, ``.gz`` files, uploads.

Every file becomes an :class:`InputFile` (a location to show, and its bytes or a path to read
lazily). Archives are read in memory with bounds: no member may leave the archive root
(``../``, absolute paths, links), member count, total uncompressed size and compression ratio
are limited, and sizes are counted while reading rather than trusted from headers. ``.env``
files are not inputs of their own: they are collected per folder for Compose interpolation.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from inventory.documents import Limits
from inventory.errors import InputError, LimitExceeded
from inventory.model import Skipped

SKIP_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".idea",
                       ".mypy_cache", ".pytest_cache", ".ruff_cache", "target", "dist", "build", ".terraform"})
DOTENV = ".env"


@dataclass(frozen=True)
class InputFile:
    """One input: ``location`` as shown to people, ``folder`` for sibling lookups, bytes or a path."""

    location: str
    folder: str
    data: bytes | None = None
    path: str | None = None

    def open_stream(self) -> BinaryIO:
        """The file's bytes as a stream, decompressed on the fly when gzip (for streaming readers)."""
        raw: BinaryIO = io.BytesIO(self.data) if self.data is not None else open(self.path or "", "rb")  # noqa: SIM115
        magic = raw.read(2)
        raw.seek(0)
        if magic == b"\x1f\x8b":
            return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        return raw

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes (decompressed when gzip), for sniffing the format."""
        try:
            with self.open_stream() as fh:
                return fh.read(size)
        except (OSError, EOFError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise
            raise InputError(self.location, f"is not a readable gzip file ({exc})") from None

    def read(self, limits: Limits) -> bytes:
        if self.data is not None:
            raw = self.data
        else:
            assert self.path is not None
            size = os.path.getsize(self.path)
            if size > limits.max_file_bytes:
                raise LimitExceeded(
                    self.location,
                    f"is {size:,} bytes, more than the {limits.max_file_bytes:,}-byte limit per file; it was not read",
                )
            with open(self.path, "rb") as fh:
                # its size, not the limit: a buffer of the limit's size costs a few times the read
                raw = fh.read(size + 1)
                if len(raw) > size:  # it grew meanwhile
                    raw += fh.read(limits.max_file_bytes + 1 - len(raw))
        if self.location.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = _gunzip(raw, self.location, limits)
        if len(raw) > limits.max_file_bytes:
            raise LimitExceeded(
                self.location,
                f"is more than the {limits.max_file_bytes:,}-byte limit per file; it was not read",
            )
        return raw


@dataclass
class InputSet:
    """The files of one run, the ``.env`` texts per folder, and what could not be opened."""

    files: list[InputFile] = field(default_factory=list)
    dotenv: dict[str, bytes] = field(default_factory=dict)
    dotenv_locations: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    total_bytes: int = 0

    def admit(self, shown: str, size: int, limits: Limits) -> bool:
        """Count ``size`` bytes into the run's total; False, with a skip, once the total limit is passed."""
        if self.total_bytes + size > limits.max_total_bytes:
            self.skipped.append(Skipped(shown, f"the inputs together are more than the {limits.max_total_bytes:,}-byte "
                                               "limit for one run; this file was not read"))
            return False
        self.total_bytes += size
        return True


def _gunzip(raw: bytes, location: str, limits: Limits) -> bytes:
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
                if out.tell() > limits.max_file_bytes:
                    raise LimitExceeded(location, f"decompresses to more than {limits.max_file_bytes:,} bytes")
                if out.tell() > max(len(raw), 1) * limits.max_compression_ratio and out.tell() > 1 << 20:
                    raise LimitExceeded(
                        location, f"decompresses more than {limits.max_compression_ratio}:1 (a gzip bomb?)"
                    )
    except (OSError, EOFError) as exc:
        raise InputError(location, f"is not a readable gzip file ({exc})") from None
    return out.getvalue()


def _is_zip(path: str) -> bool:
    if not path.lower().endswith(".zip"):
        return False
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


def shown_name(name: str) -> str:
    """A file name as text that any output can carry. A name that is not UTF-8 (a Latin-1 name in an
    old repository) comes from the file system with surrogates in place of its bad bytes, which no
    UTF-8 output, hash or terminal takes; its bad bytes are shown as ``\\xe9`` escapes instead, as Python
    and git show them. Any other name is returned as it is."""
    if name.isascii():
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def collect(paths: Iterable[str | os.PathLike[str]], limits: Limits) -> InputSet:
    """Every input file under ``paths`` in a stable order (sorted within each folder). Locations and
    folders are shown with :func:`shown_name`; the files are opened by their own paths."""
    result = InputSet()
    for raw_path in paths:
        path = Path(raw_path)
        shown = shown_name(str(raw_path))
        if not path.exists():
            result.skipped.append(Skipped(shown, "does not exist"))
            continue
        if path.is_dir():
            _collect_dir(path, shown, result, limits)
        elif not path.is_file():
            result.skipped.append(Skipped(shown, "is not a regular file (a device, socket or pipe); it was not read"))
        elif _is_zip(str(path)):
            data = _read_bounded(path, shown, result, limits.max_archive_bytes)
            if data is not None:
                add_archive(data, shown, result, limits)
        else:
            _add_path(path, shown, shown_name(str(path.parent)), result, limits)
            sibling = path.parent / DOTENV
            if sibling.is_file() and path.name != DOTENV:
                env = _read_bounded(sibling, shown_name(str(sibling)), result, limits.max_file_bytes)
                if env is not None:
                    _add_dotenv(env, shown_name(str(path.parent)), shown_name(str(sibling)), result)
    return result


def _read_bounded(path: Path, shown: str, result: InputSet, limit: int) -> bytes | None:
    """The bytes of a file read whole (an archive, a ``.env``), or None with a skip when it is too large
    or cannot be read."""
    try:
        size = path.stat().st_size
        if size > limit:
            result.skipped.append(Skipped(shown, f"is {size:,} bytes, more than the {limit:,}-byte limit; "
                                                 "it was not read"))
            return None
        with open(path, "rb") as fh:
            return fh.read(limit)  # the size was checked; a file growing meanwhile is cut here
    except OSError as exc:
        result.skipped.append(Skipped(shown, f"cannot be read ({exc.strerror or exc})"))
        return None


def _add_path(path: Path, shown: str, folder: str, result: InputSet, limits: Limits) -> None:
    if path.name == DOTENV:
        env = _read_bounded(path, shown, result, limits.max_file_bytes)
        if env is not None:
            _add_dotenv(env, folder, shown, result)
        return
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # reading it reports why it cannot be read
    if result.admit(shown, min(size, limits.max_file_bytes + 1), limits):
        result.files.append(InputFile(shown, folder, path=str(path)))


def _add_dotenv(data: bytes, folder: str, location: str, result: InputSet) -> None:
    result.dotenv[folder] = data
    result.dotenv_locations[folder] = location


def _collect_dir(root: Path, shown_root: str, result: InputSet, limits: Limits) -> None:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            rel = full.relative_to(root)
            shown = shown_name(str(PurePosixPath(shown_root) / rel.as_posix()))
            try:
                mode = full.lstat().st_mode
            except OSError:
                continue
            if stat.S_ISLNK(mode):
                result.skipped.append(Skipped(shown, "is a symbolic link; links are not followed"))
                continue
            if not stat.S_ISREG(mode):
                continue
            if _is_zip(str(full)):
                data = _read_bounded(full, shown, result, limits.max_archive_bytes)
                if data is not None:
                    add_archive(data, shown, result, limits)
                continue
            _add_path(full, shown, shown_name(str(Path(dirpath))), result, limits)


def add_archive(data: bytes, shown: str, result: InputSet, limits: Limits) -> None:
    """Add the members of a zip archive, with every bound checked while reading."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        result.skipped.append(Skipped(shown, f"is not a readable zip archive ({exc})"))
        return
    members = archive.infolist()
    if len(members) > limits.max_archive_members:
        result.skipped.append(Skipped(
            shown, f"has {len(members):,} members, more than the limit of {limits.max_archive_members:,}; "
                   "it was not read"))
        return
    total = 0
    for info in sorted(members, key=lambda i: i.filename):
        name = info.filename
        where = f"{shown}!{name}"
        if info.is_dir():
            continue
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts or (name[1:3] == ":/" or name[1:3] == ":\\"):
            result.skipped.append(Skipped(where, "has a path outside the archive root; it was not extracted"))
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            result.skipped.append(Skipped(where, "is a symbolic link inside the archive; links are not followed"))
            continue
        if any(part in SKIP_DIRS for part in pure.parts[:-1]):
            continue
        if info.file_size > limits.max_file_bytes:
            result.skipped.append(Skipped(
                where, f"is {info.file_size:,} bytes uncompressed, more than the {limits.max_file_bytes:,}-byte limit"))
            continue
        if info.compress_size and info.file_size / max(info.compress_size, 1) > limits.max_compression_ratio \
                and info.file_size > 1 << 20:
            result.skipped.append(Skipped(
                where, f"compresses more than {limits.max_compression_ratio}:1 (a zip bomb?); it was not extracted"))
            continue
        try:
            with archive.open(info) as fh:
                content = fh.read(limits.max_file_bytes + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            result.skipped.append(Skipped(where, f"cannot be extracted ({exc})"))
            continue
        if len(content) > limits.max_file_bytes:
            result.skipped.append(Skipped(where, f"is more than the {limits.max_file_bytes:,}-byte limit per file"))
            continue
        total += len(content)
        if total > limits.max_archive_bytes:
            result.skipped.append(Skipped(
                where, f"the archive expands to more than {limits.max_archive_bytes:,} bytes; the rest was not read"))
            return
        folder = f"{shown}!{pure.parent.as_posix()}"
        if pure.name == DOTENV:
            _add_dotenv(content, folder, where, result)
        elif pure.suffix.lower() == ".zip":
            result.skipped.append(Skipped(where, "is an archive inside an archive; nested archives are not opened"))
        elif result.admit(where, len(content), limits):
            result.files.append(InputFile(where, folder, data=content))


def from_uploads(uploads: Iterable[tuple[str, bytes]], limits: Limits) -> InputSet:
    """An input set from in-memory files (``name`` may contain folders, as a folder upload has)."""
    result = InputSet()
    for name, data in uploads:
        pure = PurePosixPath(name.replace("\\", "/"))
        if pure.is_absolute() or ".." in pure.parts:
            result.skipped.append(Skipped(name, "has a path outside the upload; it was not read"))
            continue
        if len(data) > limits.max_file_bytes and not name.lower().endswith(".zip"):
            result.skipped.append(Skipped(name, f"is more than the {limits.max_file_bytes:,}-byte limit per file"))
            continue
        if name.lower().endswith(".zip"):
            add_archive(data, name, result, limits)
            continue
        folder = pure.parent.as_posix()
        if pure.name == DOTENV:
            _add_dotenv(data, folder, name, result)
        elif result.admit(name, len(data), limits):
            result.files.append(InputFile(name, folder, data=data))
    return result
