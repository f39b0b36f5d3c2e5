"""The dispatcher: recognising documents, accounting, and never losing a file to bad input."""

from __future__ import annotations

import gzip
import io
import os
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from inventory import reading
from inventory.documents import Limits
from inventory.model import Fragment, Skipped
from inventory.options import ReadOptions
from inventory.reading import FileContext, parse_text, read_file, read_inputs, read_paths, read_uploads
from inventory.sources import InputFile, from_uploads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kubernetes"

GOOD = b"""apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: example/web:1
        env:
        - {name: API_ADDR, value: "api:8080"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
"""


def _lol() -> bytes:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefgh":
        text += f"{name}: &{name} [{','.join([f'*{prev}'] * 9)}]\n"
        prev = name
    return text.encode()


def test_parse_text_recognises_each_document_and_explains_the_rest() -> None:
    text = (
        "just a string\n---\n- a\n- b\n---\nnull\n---\nfoo: bar\n---\n"
        "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {selector: {app: x}}\n"
    )
    result = parse_text(text, FileContext("m.yaml", "."))
    assert result.account.as_dict() == {"location": "m.yaml", "format": "kubernetes", "documents": 5, "used": 1,
                                        "skipped": 4}
    assert result.skipped == [
        Skipped("m.yaml#1 (line 1)", "the document is a single str value, not an inventory document"),
        Skipped("m.yaml#2 (line 2)", "the document is a list, not one of the inventory formats (Kubernetes, "
                                     "Compose, Backstage, AsyncAPI, advisor)"),
        Skipped("m.yaml#3 (line 5)", "the document is empty (null)"),
        Skipped("m.yaml#4 (line 7)", "not a recognised inventory document (top-level keys: foo)"),
    ]
    assert [f.format for f in result.fragments] == ["kubernetes"]


def test_empty_and_comment_only_files_are_one_skipped_document() -> None:
    for text in ("", "   \n# nothing here\n"):
        result = parse_text(text, FileContext("empty.yaml", "."))
        assert result.account.as_dict() == {"location": "empty.yaml", "format": "empty", "documents": 1, "used": 0,
                                            "skipped": 1}
        assert result.skipped == [Skipped("empty.yaml", "the file is empty")]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file (it contains NUL bytes), not text"),
        (b"kind: caf\xe9\n", "is not valid UTF-8 text (byte 9 cannot be decoded); save it as UTF-8"),
    ],
)
def test_unreadable_files_are_one_skip(data: bytes, reason: str) -> None:
    result = read_file(InputFile("bad.yaml", ".", data=data), FileContext("bad.yaml", "."), ReadOptions())
    assert result.skipped == [Skipped("bad.yaml", reason)]
    assert result.account.as_dict() == {"location": "bad.yaml", "format": "unreadable", "documents": 1, "used": 0,
                                        "skipped": 1}


def test_bom_and_gzip_inputs_are_read() -> None:
    bom = b"\xef\xbb\xbf" + GOOD
    other = GOOD.replace(b"web", b"web2").replace(b"name: api", b"name: api2")
    inv = read_uploads([("bom.yaml", bom), ("zipped.yaml.gz", gzip.compress(other))])
    assert [s.id for s in inv.services] == ["api", "api2", "web", "web2"]
    assert {(d.source, d.target) for d in inv.dependencies} == {("web", "api"), ("web2", "api")}


def test_a_reader_that_fails_loses_only_its_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(docs: object, ctx: object, opts: object) -> Fragment:
        raise RuntimeError("boom in the reader")

    broken = tuple(reading.Reader(r.name, r.recognise, explode) if r.name == "kubernetes" else r
                   for r in reading.READERS)
    monkeypatch.setattr(reading, "READERS", broken)
    result = parse_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n", FileContext("x.yaml", "."))
    assert result.skipped == [
        Skipped("x.yaml#1 (line 1)", "could not be read by the kubernetes reader (RuntimeError: boom in the reader)")
    ]
    assert (result.account.documents, result.account.used, result.account.skipped) == (1, 0, 1)


def test_hostile_inputs_next_to_a_good_one(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../evil.yaml", GOOD)
        zf.writestr("inside.yaml", GOOD.replace(b"web", b"zipped-web").replace(b"name: api", b"name: zipped-api"))
        zf.writestr("bomb.yaml", b"\0" * (4 * 1024 * 1024))
    files = {
        "good.yaml": GOOD,
        "lol.yaml": _lol(),
        "deep.json": b"[" * 5000 + b"]" * 5000,
        "deep.yaml": b"a:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 300)) + b"  " * 300 + b"v: 1\n",
        "binary.yaml": b"\x00\x01\x02\x03",
        "latin1.yaml": b"name: caf\xe9\n",
        "tabs.yaml": b"a: 1\n\tb: 2\n",
        "unsafe.yaml": f"!!python/object/apply:os.system ['touch {tmp_path}/owned']\n".encode(),
        "truncated.yaml": b"apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n",
        "scalar.yaml": b"42\n",
        "bundle.zip": buf.getvalue(),
        "leftover.env": b"",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / ".env").write_bytes(b"A=1\n")
    inv = read_paths([tmp_path])
    assert [s.id for s in inv.services] == ["api", "web", "zipped-api", "zipped-web"]
    assert ("web", "api") in {(d.source, d.target) for d in inv.dependencies}
    root = f"{tmp_path}/"
    skipped_files = {s.location.removeprefix(root).split("#")[0].split(":")[0] for s in inv.skipped}
    assert {"lol.yaml", "deep.json", "deep.yaml", "binary.yaml", "latin1.yaml", "tabs.yaml", "unsafe.yaml",
            "truncated.yaml", "scalar.yaml", "bundle.zip!../evil.yaml", "bundle.zip!bomb.yaml", ".env",
            "leftover.env"} <= skipped_files
    for account in inv.inputs:
        assert account.documents == account.used + account.skipped, account
    assert not (tmp_path / "owned").exists()


def test_dotenv_without_a_compose_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_bytes(GOOD)
    (tmp_path / ".env").write_bytes(b"A=1\n")
    inv = read_paths([tmp_path])
    assert Skipped(str(tmp_path / ".env"), "a .env file with no Compose file beside it to interpolate") in inv.skipped
    env_account = next(a for a in inv.inputs if a.format == "dotenv")
    assert (env_account.documents, env_account.used, env_account.skipped) == (1, 0, 1)


def test_file_size_limit_from_options() -> None:
    inv = read_uploads([("big.yaml", GOOD)], ReadOptions(limits=Limits(max_file_bytes=20)))
    assert inv.services == ()
    assert list(inv.skipped) == [Skipped("big.yaml", "is more than the 20-byte limit per file")]


def test_worker_processes_give_the_same_results() -> None:
    names = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".yaml", ".json"))[:6]
    inputs = from_uploads([(n, (FIXTURES / n).read_bytes()) for n in names], Limits())
    serial = read_inputs(inputs, ReadOptions())
    parallel = read_inputs(inputs, ReadOptions(), workers=2)
    assert [r.account for r in serial] == [r.account for r in parallel]
    assert [r.skipped for r in serial] == [r.skipped for r in parallel]


def test_a_file_mixing_formats_is_split_by_reader() -> None:
    text = (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: web}\n"
        "spec: {type: service, lifecycle: production, owner: team-a}\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    )
    result = parse_text(text, FileContext("mixed.yaml", "."))
    assert sorted(f.format for f in result.fragments) == ["backstage", "kubernetes"]
    assert result.account.documents == result.account.used + result.account.skipped == 2


def test_a_worker_that_dies_while_reading_costs_time_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    names = sorted(p.name for p in FIXTURES.iterdir() if p.suffix in (".yaml", ".json"))[:8]
    inputs = from_uploads([(n, (FIXTURES / n).read_bytes()) for n in names], Limits())
    serial = read_inputs(inputs, ReadOptions())
    parent, victim, original = os.getpid(), inputs.files[len(inputs.files) // 2].location, reading.read_part
    died = []

    def dies_on_one_file(item: InputFile, ctx: FileContext, options: ReadOptions,
                         part: tuple[int, int] | None) -> reading.FileResult | reading.Partial:
        if item.location == victim:
            if os.getpid() != parent:
                os._exit(9)  # as a worker killed for memory ends: the pool is broken
            died.append(victim)  # read again here
        return original(item, ctx, options, part)

    monkeypatch.setattr(reading, "read_part", dies_on_one_file)
    # forked workers, which see the patch (with other threads running, as under the whole test
    # suite, workers would start from a fork server and never die)
    monkeypatch.setattr(reading, "worker_context", lambda *args: None)
    parallel = read_inputs(inputs, ReadOptions(), workers=2)
    assert [r.account for r in parallel] == [r.account for r in serial]
    assert [r.skipped for r in parallel] == [r.skipped for r in serial]
    assert [len(r.fragments) for r in parallel] == [len(r.fragments) for r in serial]
    assert died == [victim]  # the file the worker died on was read in this process


def test_workers_start_from_a_fork_server_when_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forked from a process whose other threads may hold locks, a worker could wait for ever: with
    other threads running, the pool's workers come from a fork server, and read the same."""
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing.context import BaseContext

    from inventory.options import DEFAULT_OPTIONS
    from inventory.sources import collect

    started: list[str] = []

    class Pool(ProcessPoolExecutor):
        def __init__(self, max_workers: int, mp_context: BaseContext | None = None) -> None:
            started.append(type(mp_context).__name__)
            super().__init__(max_workers=max_workers, mp_context=mp_context)

    monkeypatch.setattr(reading, "ProcessPoolExecutor", Pool)
    inputs = collect([Path(__file__).resolve().parents[2] / "examples" / "inventory"], DEFAULT_OPTIONS.limits)
    here = [r.account for r in read_inputs(inputs, workers=1)]
    among: list[object] = []
    thread = threading.Thread(target=lambda: among.extend(r.account for r in read_inputs(inputs, workers=2)))
    thread.start()
    thread.join(300)
    assert started == ["ForkServerContext"]
    assert among == here


def test_a_process_running_one_thread_forks_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading.threading, "active_count", lambda: 1)
    assert reading.worker_context() is None
    monkeypatch.setattr(reading.threading, "active_count", lambda: 2)
    assert type(reading.worker_context()).__name__ == "ForkServerContext"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_imports_ahead_yield_to_the_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker imports ahead while the command resolves on the other core: at a lower priority,
    in a thread of its own, and the worker's own priority is left as it was."""
    (tmp_path / "nice_probe_module.py").write_text(
        "import os, threading\n"
        "thread = threading.get_native_id()\n"
        "nice = os.getpriority(os.PRIO_PROCESS, thread)\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "nice_probe_module", raising=False)
    here = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, here)
    reading.import_ahead(["nice_probe_module"])
    probe = sys.modules.pop("nice_probe_module")
    assert probe.thread != here
    assert probe.nice == max(before, reading.IMPORT_NICE)
    assert os.getpriority(os.PRIO_PROCESS, here) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_a_niced_worker_job_runs_in_a_thread_of_that_nice_value_and_gives_its_answer() -> None:
    here = threading.get_native_id()
    before = os.getpriority(os.PRIO_PROCESS, here)

    def probe(a: int, b: int) -> tuple[int, int, int]:
        thread = threading.get_native_id()
        return thread, os.getpriority(os.PRIO_PROCESS, thread), a + b

    thread, nice, total = reading.worker_job(probe, 2, 3, nice=12)
    assert (thread != here, nice, total) == (True, max(before, 12), 5)
    assert os.getpriority(os.PRIO_PROCESS, here) == before
    assert reading.worker_job(probe, 1, 1)[0] == here  # no nice: in the calling thread


def test_a_niced_worker_job_raises_what_the_function_raised() -> None:
    def fails() -> None:
        raise ValueError("from the job")

    with pytest.raises(ValueError, match="from the job"):
        reading.worker_job(fails, nice=5)


def test_a_failed_import_ahead_fails_the_job_and_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModuleNotFoundError):
        reading.import_ahead(["no_such_module_anywhere_here"])
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_a_thread_already_nicer_is_left_as_it_is() -> None:
    seen: list[int] = []

    def run() -> None:
        here = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, here, 15)
        reading._lower_this_thread(10)
        seen.append(os.getpriority(os.PRIO_PROCESS, here))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert seen == [15]
