"""Finding input files: folders, archives with bounds, gzip, uploads, .env collection."""

from __future__ import annotations

import gzip
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from inventory.documents import Limits
from inventory.errors import InputError, LimitExceeded
from inventory.model import Skipped
from inventory.sources import InputFile, InputSet, add_archive, collect, from_uploads, shown_name

SERVICE = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n"


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def _symlink_member(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _archive(data: bytes, limits: Limits | None = None) -> InputSet:
    result = InputSet()
    add_archive(data, "up.zip", result, limits or Limits())
    return result


def _locations(result: InputSet) -> list[str]:
    return [f.location for f in result.files]


# ---------------------------------------------------------------------------------------------
# zip archives
# ---------------------------------------------------------------------------------------------


def test_archive_members_become_inputs_in_name_order_with_their_folder() -> None:
    data = _zip([("k8s/b.yaml", SERVICE), ("k8s/a.yaml", SERVICE), ("top.yaml", SERVICE), ("k8s/", b"")])
    result = _archive(data)
    assert _locations(result) == ["up.zip!k8s/a.yaml", "up.zip!k8s/b.yaml", "up.zip!top.yaml"]
    assert [f.folder for f in result.files] == ["up.zip!k8s", "up.zip!k8s", "up.zip!."]
    assert result.files[0].read(Limits()) == SERVICE
    assert result.skipped == []


def test_archive_member_escaping_the_root_is_skipped() -> None:
    data = _zip([("../evil.yaml", SERVICE), ("ok/../../evil2.yaml", SERVICE), ("good.yaml", SERVICE)])
    result = _archive(data)
    assert _locations(result) == ["up.zip!good.yaml"]
    reason = "has a path outside the archive root; it was not extracted"
    assert sorted(result.skipped, key=lambda s: s.location) == [
        Skipped("up.zip!../evil.yaml", reason),
        Skipped("up.zip!ok/../../evil2.yaml", reason),
    ]


def test_archive_member_with_an_absolute_path_is_skipped() -> None:
    # ZipFile.writestr strips a leading slash, so write the raw name through a ZipInfo
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("placeholder")
        zf.writestr(info, SERVICE)
    data = buf.getvalue().replace(b"placeholder", b"/etc/passwd")  # same length keeps the offsets
    result = _archive(data)
    assert result.files == []
    assert result.skipped == [
        Skipped("up.zip!/etc/passwd", "has a path outside the archive root; it was not extracted")
    ]


def test_archive_member_with_a_windows_drive_path_is_skipped() -> None:
    result = _archive(_zip([("C:/Windows/evil.yaml", SERVICE)]))
    assert result.files == []
    assert result.skipped == [
        Skipped("up.zip!C:/Windows/evil.yaml", "has a path outside the archive root; it was not extracted")
    ]


def test_symlink_member_is_skipped() -> None:
    result = _archive(_zip([(_symlink_member("link.yaml", "/etc/passwd"), b"/etc/passwd"), ("real.yaml", SERVICE)]))
    assert _locations(result) == ["up.zip!real.yaml"]
    assert result.skipped == [
        Skipped("up.zip!link.yaml", "is a symbolic link inside the archive; links are not followed")
    ]


def test_too_many_members_rejects_the_archive() -> None:
    data = _zip([(f"m{i}.yaml", SERVICE) for i in range(6)])
    result = _archive(data, Limits(max_archive_members=5))
    assert result.files == []
    assert result.skipped == [Skipped("up.zip", "has 6 members, more than the limit of 5; it was not read")]


def test_high_compression_ratio_member_is_not_extracted() -> None:
    bomb = b"\0" * (4 * 1024 * 1024)  # deflates about 1000:1
    result = _archive(_zip([("bomb.yaml", bomb), ("ok.yaml", SERVICE)]))
    assert _locations(result) == ["up.zip!ok.yaml"]
    assert result.skipped == [
        Skipped("up.zip!bomb.yaml", "compresses more than 200:1 (a zip bomb?); it was not extracted")
    ]


def test_member_larger_than_the_file_limit_is_skipped() -> None:
    result = _archive(_zip([("big.yaml", b"x" * 2000), ("ok.yaml", SERVICE)]), Limits(max_file_bytes=1000))
    assert _locations(result) == ["up.zip!ok.yaml"]
    assert result.skipped == [Skipped("up.zip!big.yaml", "is 2,000 bytes uncompressed, more than the 1,000-byte limit")]


def test_total_uncompressed_size_is_bounded() -> None:
    members = [(f"m{i}.yaml", bytes([65 + i]) * 400) for i in range(4)]
    result = _archive(_zip(members, zipfile.ZIP_STORED), Limits(max_archive_bytes=1000))
    assert _locations(result) == ["up.zip!m0.yaml", "up.zip!m1.yaml"]
    assert result.skipped == [
        Skipped("up.zip!m2.yaml", "the archive expands to more than 1,000 bytes; the rest was not read")
    ]


def test_nested_archive_is_not_opened_and_dotenv_is_collected_not_read() -> None:
    inner = _zip([("x.yaml", SERVICE)])
    result = _archive(_zip([("compose/.env", b"TAG=1\n"), ("compose/inner.zip", inner), ("compose/c.yaml", SERVICE)]))
    assert _locations(result) == ["up.zip!compose/c.yaml"]
    assert result.dotenv == {"up.zip!compose": b"TAG=1\n"}
    assert result.dotenv_locations == {"up.zip!compose": "up.zip!compose/.env"}
    assert result.skipped == [
        Skipped("up.zip!compose/inner.zip", "is an archive inside an archive; nested archives are not opened")
    ]


def test_members_under_tool_folders_are_ignored() -> None:
    result = _archive(_zip([("repo/.git/config.yaml", SERVICE), ("repo/node_modules/x/y.yaml", SERVICE),
                            ("repo/k8s.yaml", SERVICE)]))
    assert _locations(result) == ["up.zip!repo/k8s.yaml"]
    assert result.skipped == []


def test_unreadable_archive_is_one_skip() -> None:
    result = _archive(b"PK\x03\x04 this is not really a zip")
    assert result.files == []
    assert len(result.skipped) == 1
    assert result.skipped[0].location == "up.zip"
    assert result.skipped[0].reason.startswith("is not a readable zip archive (")


# ---------------------------------------------------------------------------------------------
# gzip
# ---------------------------------------------------------------------------------------------


def test_gzip_file_is_decompressed_when_read() -> None:
    item = InputFile("manifests.yaml.gz", ".", data=gzip.compress(SERVICE))
    assert item.read(Limits()) == SERVICE


def test_gzip_is_recognised_by_its_magic_bytes_too() -> None:
    item = InputFile("manifests.yaml", ".", data=gzip.compress(SERVICE))
    assert item.read(Limits()) == SERVICE


def test_gzip_decompressed_size_is_bounded() -> None:
    item = InputFile("big.yaml.gz", ".", data=gzip.compress(os.urandom(3 * 1024 * 1024)))
    with pytest.raises(LimitExceeded) as err:
        item.read(Limits(max_file_bytes=2 * 1024 * 1024))
    assert err.value.reason == "decompresses to more than 2,097,152 bytes"


def test_gzip_ratio_is_bounded() -> None:
    item = InputFile("bomb.yaml.gz", ".", data=gzip.compress(b"\0" * (8 * 1024 * 1024)))
    with pytest.raises(LimitExceeded) as err:
        item.read(Limits())
    assert err.value.reason == "decompresses more than 200:1 (a gzip bomb?)"


def test_broken_gzip_is_an_input_error() -> None:
    item = InputFile("broken.yaml.gz", ".", data=gzip.compress(SERVICE)[:-12])
    with pytest.raises(InputError) as err:
        item.read(Limits())
    assert err.value.location == "broken.yaml.gz"
    assert err.value.reason.startswith("is not a readable gzip file (")


# ---------------------------------------------------------------------------------------------
# paths and folders
# ---------------------------------------------------------------------------------------------


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "svc.yaml").write_bytes(SERVICE)
    (tmp_path / "a" / "z.yaml").write_bytes(SERVICE)
    (tmp_path / "a" / "y.json").write_bytes(b"{}")
    (tmp_path / ".git" / "HEAD.yaml").write_bytes(SERVICE)
    result = collect([tmp_path], Limits())
    root = str(tmp_path)
    assert _locations(result) == [f"{root}/a/y.json", f"{root}/a/z.yaml", f"{root}/b/svc.yaml"]
    assert result.files[2].read(Limits()) == SERVICE
    assert result.skipped == []


def test_symlinks_in_a_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(SERVICE)
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "real.yaml").write_bytes(SERVICE)
    os.symlink(outside, root / "link.yaml")
    result = collect([root], Limits())
    assert _locations(result) == [f"{root}/real.yaml"]
    assert result.skipped == [Skipped(f"{root}/link.yaml", "is a symbolic link; links are not followed")]


def test_missing_path_is_skipped(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = collect([missing], Limits())
    assert result.files == []
    assert result.skipped == [Skipped(str(missing), "does not exist")]


def test_dotenv_is_collected_per_folder_and_not_an_input(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_bytes(b"services: {}\n")
    (tmp_path / ".env").write_bytes(b"TAG=1.2\n")
    from_folder = collect([tmp_path], Limits())
    assert _locations(from_folder) == [f"{tmp_path}/docker-compose.yml"]
    assert from_folder.dotenv == {str(tmp_path): b"TAG=1.2\n"}
    # a single file given on its own still finds the .env beside it
    single = collect([tmp_path / "docker-compose.yml"], Limits())
    assert _locations(single) == [str(tmp_path / "docker-compose.yml")]
    assert single.dotenv == {str(tmp_path): b"TAG=1.2\n"}
    assert single.dotenv_locations == {str(tmp_path): str(tmp_path / ".env")}


def test_zip_on_disk_and_inside_a_folder_are_opened(tmp_path: Path) -> None:
    (tmp_path / "bundle.zip").write_bytes(_zip([("k8s/svc.yaml", SERVICE)]))
    direct = collect([tmp_path / "bundle.zip"], Limits())
    assert _locations(direct) == [f"{tmp_path}/bundle.zip!k8s/svc.yaml"]
    in_folder = collect([tmp_path], Limits())
    assert _locations(in_folder) == [f"{tmp_path}/bundle.zip!k8s/svc.yaml"]


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 400)
    item = collect([big], Limits()).files[0]
    with pytest.raises(LimitExceeded) as err:
        item.read(Limits(max_file_bytes=1000))
    assert err.value.reason == "is 2,000 bytes, more than the 1,000-byte limit per file; it was not read"


# ---------------------------------------------------------------------------------------------
# uploads
# ---------------------------------------------------------------------------------------------


def test_uploads_keep_their_folders_and_refuse_escaping_names() -> None:
    result = from_uploads(
        [("k8s/svc.yaml", SERVICE), ("../evil.yaml", SERVICE), ("/abs.yaml", SERVICE), ("compose/.env", b"A=1\n"),
         ("bundle.zip", _zip([("m.yaml", SERVICE)]))],
        Limits(),
    )
    assert _locations(result) == ["k8s/svc.yaml", "bundle.zip!m.yaml"]
    assert result.files[0].folder == "k8s"
    assert result.dotenv == {"compose": b"A=1\n"}
    assert result.skipped == [
        Skipped("../evil.yaml", "has a path outside the upload; it was not read"),
        Skipped("/abs.yaml", "has a path outside the upload; it was not read"),
    ]


def test_oversized_upload_is_skipped() -> None:
    result = from_uploads([("big.yaml", b"x" * 50)], Limits(max_file_bytes=10))
    assert result.files == []
    assert result.skipped == [Skipped("big.yaml", "is more than the 10-byte limit per file")]


def test_names_that_are_not_utf8_are_shown_as_escapes_and_still_read(tmp_path: Path) -> None:
    assert shown_name("orders.yaml") == "orders.yaml"
    assert shown_name("café/commandes.yaml") == "café/commandes.yaml"  # UTF-8 names stay as they are
    folder = tmp_path / os.fsdecode(b"d\xe9p")
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.yaml")).write_text("kind: ConfigMap\n")
    (folder / ".env").write_text("A=1\n")
    inputs = collect([tmp_path], Limits())
    (item,) = inputs.files
    assert item.location == f"{tmp_path}/d\\xe9p/caf\\xe9.yaml" and item.location.encode("utf-8")
    assert item.folder == f"{tmp_path}/d\\xe9p" and item.folder in inputs.dotenv  # the .env beside it is found
    assert inputs.dotenv_locations[item.folder] == f"{tmp_path}/d\\xe9p/.env"
    with item.open_stream() as stream:  # opened by its own path
        assert stream.read() == b"kind: ConfigMap\n"
