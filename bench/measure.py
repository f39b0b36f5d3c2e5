"""One measurement in a fresh process, so that its peak memory is its own.

:mod:`bench.run` starts this module once per measurement and reads one JSON object from the last
line of its standard output::

    python -m bench.measure baseline DIR
    python -m bench.measure analyze DIR TRUTH_JSON [--workers N]
    python -m bench.measure cli DIR [--change] [--once]

``baseline`` loads every file under DIR with libyaml (``yaml.load_all(text, Loader=yaml.CSafeLoader)``)
in one thread, the yardstick issue 7 sets. ``analyze`` runs the advisor end to end through its
public API (``advisor.api.analyze_paths`` and ``advisor.exports.render_json_bytes``), records the time of
every stage and the peak resident memory of this process and of its worker processes, and only
then scores the report against the truth (scoring is neither timed nor counted in the peak).
``cli`` runs the command issue 7 names, ``advisor analyze DIR --format json`` (report written to a
file, decisions store off), twice with one fresh parse cache (``--once``: once; ``--change``: a third
time after a document was added to one file, a fourth after a comment was added instead, the file put
back afterwards): the wall time of each run, process
start and imports included, and the peak resident memory of the command and its workers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
import traceback
from pathlib import Path


def _peak_mb(who: int) -> float:
    # ru_maxrss is in kilobytes on Linux
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (workers), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def input_files(folder: str | Path) -> list[Path]:
    """Every file under ``folder``, in a stable order."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def measure_baseline(folder: str) -> dict[str, object]:
    """Load every file under ``folder`` with libyaml in one thread."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    files = input_files(folder)
    documents = 0
    size = 0
    start = time.perf_counter()
    cpu = _cpu_seconds()
    for path in files:
        text = path.read_text(encoding="utf-8")
        size += len(text)
        for _ in yaml.load_all(text, Loader=loader or yaml.SafeLoader):
            documents += 1
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 3),
        "cpu_seconds": round(_cpu_seconds() - cpu, 3),
        "files": len(files),
        "documents": documents,
        "characters": size,
        "libyaml": loader is not None,
        "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
    }


def measure_analysis(folder: str, truth_path: str, workers: int | None) -> dict[str, object]:
    """Run the advisor end to end on ``folder``; time it, take its peak memory, then score it."""
    start_import = time.perf_counter()
    try:
        from advisor.api import analyze_paths
        from advisor.config import Config
        from advisor.exports import render_json_bytes
    except ImportError as exc:
        partial = measure_reading(folder, truth_path, workers)
        partial.update({"available": False, "error": f"the advisor API is not importable yet ({exc})"})
        return partial
    imports = time.perf_counter() - start_import
    timings: dict[str, float] = {}
    cache_dir: str | None = None
    try:
        import gc
        import tempfile

        from inventory.cache import FileCache

        cache_dir = tempfile.mkdtemp(prefix="bench-cache-")
        gc.disable()  # as the CLI does for its one analysis
        start = time.perf_counter()
        cpu = _cpu_seconds()
        report = analyze_paths([folder], Config(), workers=workers, timings=timings, cache=FileCache(cache_dir))
        analysed = time.perf_counter()
        data = render_json_bytes(report)
        rendered = time.perf_counter()
        cpu = _cpu_seconds() - cpu
    except Exception as exc:
        return {"available": True, "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=8)}
    finally:  # an empty cache for this one run, then gone (about 200 MB at 20,000 services)
        if cache_dir is not None:
            shutil.rmtree(cache_dir, ignore_errors=True)
    peak_main = _peak_mb(resource.RUSAGE_SELF)
    peak_workers = _peak_mb(resource.RUSAGE_CHILDREN)
    stages = {k: round(float(v), 4) for k, v in timings.items()}
    stages["render"] = round(rendered - analysed, 4)
    end_to_end = rendered - start
    stages["other"] = round(max(0.0, end_to_end - sum(stages.values())), 4)
    result: dict[str, object] = {
        "available": True,
        "workers": workers,
        "imports_seconds": round(imports, 3),
        "end_to_end_seconds": round(end_to_end, 3),
        "end_to_end_cpu_seconds": round(cpu, 3),
        "stages": stages,
        "peak_rss_mb": peak_main,
        "peak_worker_rss_mb": peak_workers,
        "report_bytes": len(data),
    }
    from bench.generate import load_truth
    from bench.quality import score_report

    try:
        result["quality"] = score_report(data.decode("utf-8"), load_truth(truth_path))
    except Exception as exc:
        result["quality_error"] = f"{type(exc).__name__}: {exc}"
    return result


def first_yaml(folder: str | Path) -> Path:
    """The file :func:`change_one_file` changes: the first YAML file of ``folder``, sorted by path."""
    paths = sorted(Path(folder).rglob("*.yaml"))
    if not paths:
        raise SystemExit(f"bench: no YAML file in {folder} to change")
    return paths[0]


#: What the third run of :func:`measure_cli` finds appended to one file: a document the Kubernetes
#: reader reads (a ConfigMap no workload uses), so that the inventory changes and is analysed again.
CHANGED_DOCUMENT = """
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: changed-by-the-benchmark
data:
  note: added by the benchmark
"""
#: What the fourth run finds appended instead: a comment, which no reader takes anything from.
CHANGED_COMMENT = "\n# changed by the benchmark\n"


def change_one_file(folder: str, text: str = CHANGED_DOCUMENT) -> tuple[Path, bytes]:
    """Append ``text`` to :func:`first_yaml` of ``folder``: its content, and so its cache key,
    changes. Returns the file and its bytes before the change (:func:`measure_cli` puts them back)."""
    path = first_yaml(folder)
    before = path.read_bytes()
    with path.open("a", encoding="utf-8") as f:
        f.write(text)
    return path, before


def _report_entries(home: str) -> dict[Path, int]:
    """The whole-report entries of the parse cache under ``home``, with their inodes."""
    return {p: p.stat().st_ino for p in Path(home, "cache").rglob("*.json")}


def measure_cli(folder: str, *, change: bool = False, once: bool = False) -> dict[str, object]:
    """``advisor analyze DIR --format json`` as a user runs it: a first run with an empty parse cache,
    then a second run of the same inventory (unchanged files come from the cache) and, with ``change``,
    a third after a document was added to one file of ``folder`` (:data:`CHANGED_DOCUMENT`: that file
    is parsed again, the others come from the cache, and everything after reading runs again) and a
    fourth after, instead, a comment was (:data:`CHANGED_COMMENT`: that file is parsed again, and what
    was read is what the first run read, so its report is reused). The file is put back as it was
    afterwards, so that later measurements of ``folder`` see the inventory as generated.
    ``one_file_changed_parsed`` counts the per-file cache entries the third run wrote: the files it
    parsed; ``comment_added_reused`` says whether the fourth run reused a report (it stored none).
    ``once``: the first run only."""
    import subprocess
    import tempfile

    advisor = Path(sys.executable).with_name("advisor")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        command = [str(advisor), "analyze", folder, "--format", "json", "--no-store", "-o", str(Path(tmp) / "r.json")]
        seconds: list[float] = []
        peak = 0.0
        entries: set[Path] = set()  # the per-file cache entries before the third run
        parsed = 0
        reports: dict[Path, int] = {}  # the reports stored before the fourth run, by inode
        changed: tuple[Path, bytes] | None = None
        try:
            for run in range(1 if once else 4 if change else 2):
                if run == 2:
                    changed = change_one_file(folder)
                    entries = set(Path(tmp, "cache").rglob("*.pickle"))
                elif run == 3 and changed is not None:
                    parsed = len(set(Path(tmp, "cache").rglob("*.pickle")) - entries)
                    changed[0].write_bytes(changed[1])
                    change_one_file(folder, CHANGED_COMMENT)
                    reports = _report_entries(tmp)
                start = time.perf_counter()
                proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
                seconds.append(time.perf_counter() - start)
                if proc.returncode != 0:
                    return {"error": f"advisor analyze exited with {proc.returncode}: {proc.stderr.strip()[-300:]}"}
                peak = peak or _peak_mb(resource.RUSAGE_CHILDREN)  # the first run's: the command or a worker
        finally:
            if changed is not None:
                changed[0].write_bytes(changed[1])
        result: dict[str, object] = {
            "seconds": round(seconds[0], 3), "peak_rss_mb": peak,
            "command": "advisor analyze DIR --format json --no-store -o FILE"}
        if not once:
            result["second_run_seconds"] = round(seconds[1], 3)
        if change and not once:
            result["one_file_changed_seconds"] = round(seconds[2], 3)
            result["one_file_changed_parsed"] = parsed
            result["comment_added_seconds"] = round(seconds[3], 3)
            # a report reused is not stored again: the fourth run wrote none (an entry written anew,
            # even under a name it had, is a new file: entries are written aside and renamed)
            result["comment_added_reused"] = _report_entries(tmp) == reports
    return result


def measure_reading(folder: str, truth_path: str, workers: int | None) -> dict[str, object]:
    """Without the advisor: time ``inventory.reading.read_paths`` and check the edges it finds."""
    try:
        from inventory.reading import read_paths
    except ImportError as exc:
        return {"reading_error": f"inventory.reading is not importable ({exc})"}
    start = time.perf_counter()
    inventory = read_paths([folder], workers=workers or 1)
    seconds = time.perf_counter() - start
    result: dict[str, object] = {
        "reading_seconds": round(seconds, 3),
        "reading_workers": workers or 1,
        "reading_peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
    }
    from bench.generate import load_truth
    from bench.quality import score_edges

    report = {
        "services": [{"id": s.id, "name": s.name} for s in inventory.services],
        "resources": [{"id": r.id, "name": r.name} for r in inventory.resources],
        "dependencies": [{"source": d.source, "target": d.target, "kind": d.kind, "via": d.via}
                         for d in inventory.dependencies],
        "unresolved": [{"reference": u.reference} for u in inventory.unresolved],
    }
    result["reading_edges"] = score_edges(report, load_truth(truth_path))
    result["reading_counts"] = {
        "services": len(inventory.services), "resources": len(inventory.resources),
        "dependencies": len(inventory.dependencies), "skipped": len(inventory.skipped),
        "unresolved": len(inventory.unresolved),
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.measure")
    sub = parser.add_subparsers(dest="what", required=True)
    base = sub.add_parser("baseline")
    base.add_argument("folder")
    ana = sub.add_parser("analyze")
    ana.add_argument("folder")
    ana.add_argument("truth")
    ana.add_argument("--workers", type=int, default=None)
    cli = sub.add_parser("cli")
    cli.add_argument("folder")
    cli.add_argument("--change", action="store_true",
                     help="a third run after a document was added to one file, a fourth after a comment was "
                          "instead (the file is put back afterwards)")
    cli.add_argument("--once", action="store_true", help="the first run only (empty cache)")
    args = parser.parse_args(argv)
    if args.what == "baseline":
        result = measure_baseline(args.folder)
    elif args.what == "cli":
        result = measure_cli(args.folder, change=args.change, once=args.once)
    else:
        result = measure_analysis(args.folder, args.truth, args.workers)
    result["pid"] = os.getpid()
    sys.stdout.write("\n" + json.dumps(result, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
