"""``make bench``: generate inventories, time the advisor against libyaml, score it against the truth.

For every size (default 300, 1,000, 3,000, 5,000 and 20,000 services, the sizes issue 7 sets its
targets at among them) this

1. generates an inventory with :func:`bench.generate.generate` into ``bench/results/tmp/``
   (gitignored; removed afterwards unless ``--keep``);
2. measures, each in a fresh process (:mod:`bench.measure`) so that peak memory is its own, in this
   order: the **baseline**, libyaml ``CSafeLoader`` loading every file in one thread; the **command**
   ``advisor analyze DIR --format json`` right after it, with an empty parse cache, then again (the
   second run), once more after a document was added to one file, and once more after a comment was
   added to it instead (the file is put back afterwards); the **advisor**
   end to end through ``advisor.api.analyze_paths`` + ``advisor.exports.render_json_bytes``, with the
   seconds of every stage (read, resolve, graph, cluster, metrics, propose, stability, render) and the
   peak resident memory of the analysing process and of its largest worker; then ``--repeat`` - 1 more
   pairs of the baseline and the command's first run;
3. reports the ratio end to end / baseline (issue 7's target: at most 1 at 20,000 services), the
   growth exponent of every stage between consecutive sizes, log(t2/t1) / log(n2/n1) (1 = linear),
   and the quality of the proposals against the planted truth (see :mod:`bench.quality` for the
   exact definitions of group recall, precision, pairwise F1 and decoys);
4. (``--shapes N``, default 5,000) measures the baseline and the command on N services written as
   one multi-document file and as one ``kind: List`` document in YAML and in JSON, as dumps often are.

Results go to ``bench/results/latest.json`` and ``bench/results/latest.md`` with the machine, the
load average when the run started, Python and library versions and the date; the tables are also
printed. If the advisor's API is not importable yet, the baseline is still measured and reported.

Usage::

    python -m bench.run                          # 300, 1000, 3000, 5000 and 20000 services
    python -m bench.run --sizes 1000,5000        # a shorter run
    python -m bench.run --quick                  # 300 and 1000 services, for a quick look
    python -m bench.run --sizes 20000 --skip-advisor   # only generation and the libyaml baseline
    python -m bench.run --sizes 1000 --shapes 1000     # also one file and one List of 1,000 services

Every number comes from one run on one machine, which may be busy: the load average at the start
is recorded next to the figures. The ratio to the baseline, which moves most with the load (the
baseline needs one core, the command two), is also given as the median of ``--repeat`` pairs of the
two measured one after the other (default 3).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import itertools
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.generate import describe, generate
from bench.measure import first_yaml
from inventory.documents import compiled_libyaml

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
STAGES = ("digest", "read", "resolve", "graph", "cluster", "candidates", "metrics", "propose", "stability", "report",
          "store", "render")
#: Stages faster than this are too short for a growth exponent to mean anything.
MIN_SECONDS_FOR_GROWTH = 0.05


def compile_bytecode() -> None:
    """Bring the advisor's bytecode up to date before timing it, as installing a package does. Where
    ``PYTHONDONTWRITEBYTECODE`` is set (this build machine sets it), an edited module's bytecode is
    never written, and every run of the command would compile it again: 0.07 s per start of the
    command here, when many modules had changed since their bytecode was written."""
    for package in ("advisor", "inventory", "dashboard"):
        compileall.compile_dir(str(REPO / package), quiet=1)


def machine() -> dict[str, object]:
    """CPU model, cores, RAM, load, OS, Python and library versions."""
    cpu = "unknown"
    # family and model tell CPU generations apart where the model name does not ("AMD EPYC" on a
    # virtual machine): the ratio to libyaml moved from 0.93-1.02 on one to 1.03-1.07 on another
    cpu_id: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if name == "model name" and cpu == "unknown":
                cpu = value
            elif name in ("vendor_id", "cpu family", "model", "stepping") and name not in cpu_id:
                cpu_id[name] = value
            elif not line.strip() and cpu != "unknown":
                break  # the first processor's block
    except OSError:
        cpu = platform.processor() or "unknown"
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    versions: dict[str, str | None] = {}
    for dist in ("PyYAML", "networkx", "igraph", "orjson", "scikit-learn", "sprawl-advisor"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    import yaml

    return {
        "cpu": cpu,
        "cpu_id": cpu_id,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": ram_gib,
        "load_average_at_start": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)) and hasattr(yaml, "CSafeLoader"),
        "libyaml_version": yaml._yaml.get_version_string() if hasattr(yaml, "_yaml") else None,
        # the libyaml the advisor's compiled builder of YAML values is linked with (None: not built)
        "compiled_builder_libyaml": compiled_libyaml(),
        "versions": versions,
    }


def _child(args: list[str], timeout: float | None = None) -> dict[str, object]:
    """Run ``python -m bench.measure ARGS`` in a fresh process and return its JSON result. On
    ``timeout`` its whole process group goes (the command it runs and that command's workers too),
    so that nothing of it runs on into the next measurement."""
    proc = subprocess.Popen([sys.executable, "-m", "bench.measure", *args], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"available": True, "error": f"did not finish within {timeout:g} s (--timeout)"}
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (stderr or stdout).strip().splitlines()[-6:]
        return {"available": True, "error": f"measurement process exited with {proc.returncode}",
                "stderr": tail}
    result: dict[str, object] = json.loads(lines[-1])
    return result


def _cli_runs(folder: str, timeout: float | None) -> dict[str, object]:
    """``bench.measure cli FOLDER --change``; the file it changes is put back here too, should the
    measurement have been stopped before it could (``--timeout``)."""
    first = first_yaml(folder)
    original = first.read_bytes()
    try:
        return _child(["cli", folder, "--change"], timeout)
    finally:
        if first.read_bytes() != original:
            first.write_bytes(original)


def growth(sizes: list[dict[str, object]]) -> list[dict[str, object]]:
    """Growth exponents log(t2/t1) / log(n2/n1) between consecutive sizes, per stage."""
    out = []
    for a, b in itertools.pairwise(sizes):
        n1, n2 = a["services"], b["services"]
        assert isinstance(n1, int) and isinstance(n2, int)
        row: dict[str, object] = {"from": n1, "to": n2}
        pairs: dict[str, tuple[float | None, float | None]] = {
            "generate": (_get(a, "generate", "seconds"), _get(b, "generate", "seconds")),
            "libyaml": (_get(a, "baseline", "seconds"), _get(b, "baseline", "seconds")),
            "advisor_analyze": (_get(a, "cli", "seconds"), _get(b, "cli", "seconds")),
            "end_to_end": (_get(a, "analysis", "end_to_end_seconds"),
                           _get(b, "analysis", "end_to_end_seconds")),
        }
        for stage in STAGES:
            pairs[stage] = (_get(a, "analysis", "stages", stage), _get(b, "analysis", "stages", stage))
        for name, (t1, t2) in pairs.items():
            if t1 is None or t2 is None or n1 == n2 or min(t1, t2) < MIN_SECONDS_FOR_GROWTH:
                row[name] = None
            else:
                row[name] = round(math.log(t2 / t1) / math.log(n2 / n1), 2)
        out.append(row)
    return out


def _get(data: object, *keys: str) -> float | None:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return float(data) if isinstance(data, int | float) else None


def measure_size(services: int, seed: int, workers: int | None, keep: bool, *, advisor: bool = True,
                 timeout: float | None = None, repeat: int = 1) -> dict[str, object]:
    """Generate one inventory and measure the baseline and (unless ``advisor`` is False) the advisor.

    With ``repeat`` above 1, the baseline and the command's first run (empty cache) are then measured
    again, one after the other, ``repeat - 1`` more times: on a shared machine one pair's ratio moves
    with the load of the moment, and the median of pairs taken a few seconds apart moves less."""
    out = RESULTS / "tmp" / f"n{services}-s{seed}"
    start = time.perf_counter()
    truth = generate(out, services=services, seed=seed)
    generated = time.perf_counter() - start
    print(f"[bench] generated {describe(truth)} in {generated:.2f} s", file=sys.stderr, flush=True)
    folder = str(out / truth.inventory)
    baseline = _child(["baseline", folder])
    print(f"[bench] libyaml load of {services} services: {baseline.get('seconds')} s", file=sys.stderr,
          flush=True)
    # the command right after the baseline, so that the first pair is measured one after the other; its
    # third and fourth runs change one of the generated files, and put it back
    cli = _cli_runs(folder, timeout) if advisor else {"error": "skipped (--skip-advisor)"}
    args = ["analyze", folder, str(out / "truth.json")]
    if workers:
        args += ["--workers", str(workers)]
    analysis = _child(args, timeout) if advisor else {"available": False, "error": "skipped (--skip-advisor)"}
    if cli.get("seconds") is not None:
        print(f"[bench] advisor analyze on {services} services: {cli['seconds']} s, "
              f"again {cli['second_run_seconds']} s, one file changed {cli.get('one_file_changed_seconds')} s, "
              f"a comment added {cli.get('comment_added_seconds')} s",
              file=sys.stderr, flush=True)
    if analysis.get("end_to_end_seconds") is not None:
        print(f"[bench] advisor end to end on {services} services: {analysis['end_to_end_seconds']} s",
              file=sys.stderr, flush=True)
    else:
        print(f"[bench] advisor not measured: {analysis.get('error')}", file=sys.stderr, flush=True)
    entry: dict[str, object] = {
        "services": services,
        "generate": {"seconds": round(generated, 3), "files": truth.files, "documents": truth.documents,
                     "megabytes": round(truth.bytes / 1e6, 2), "planted_groups": len(truth.groups),
                     "hubs": len(truth.hubs), "planted_edges": len(truth.edges)},
        "baseline": baseline,
        "analysis": analysis,
        "cli": cli,
    }
    e2e, base = _get(cli, "seconds"), _get(baseline, "seconds")
    entry["ratio_to_libyaml"] = round(e2e / base, 2) if e2e is not None and base else None
    if advisor and repeat > 1 and e2e is not None and base:
        pairs = [(base, e2e)]
        for _ in range(repeat - 1):
            again_base = _get(_child(["baseline", folder]), "seconds")
            again = _get(_child(["cli", folder, "--once"], timeout), "seconds")
            if again_base and again is not None:
                pairs.append((again_base, again))
            else:
                print(f"[bench] {services} services: a repeated pair failed and is left out", file=sys.stderr,
                      flush=True)
        ratios = [round(c / b, 3) for b, c in pairs]
        entry["pairs"] = [[b, c] for b, c in pairs]
        entry["ratio_median"] = round(statistics.median(ratios), 2)
        print(f"[bench] {services} services, {len(pairs)} pairs (libyaml s, advisor analyze s): {pairs}, "
              f"ratios {ratios}, median {entry['ratio_median']}", file=sys.stderr, flush=True)
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return entry


def write_shapes(inventory: Path, out: Path) -> dict[str, Path]:
    """The same inventory as users often have it instead of one file per object kind and namespace:
    ``one file``, every YAML document in one multi-document file (``helm template`` of a whole
    platform); ``one List``, every Kubernetes object in one ``kind: List`` document (``kubectl get
    ... -A -o yaml``) with the AsyncAPI documents in files of their own."""
    import yaml

    files = sorted(p for p in inventory.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml"))
    one = out / "one-file"
    one.mkdir(parents=True, exist_ok=True)
    with open(one / "all.yaml", "w", encoding="utf-8") as fh:
        for i, path in enumerate(files):
            fh.write("---\n" if i else "")
            fh.write(path.read_text(encoding="utf-8").strip("\n").removeprefix("---\n") + "\n")
    listed = out / "one-list"
    listed.mkdir(parents=True, exist_ok=True)
    items: list[object] = []
    for path in files:
        for i, doc in enumerate(yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader)):
            if isinstance(doc, dict) and "asyncapi" in doc:
                (listed / f"{path.parent.name}-{path.stem}-{i}.yaml").write_text(
                    yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
            elif isinstance(doc, dict) and "kind" in doc:
                items.append(doc)
    envelope = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
    (listed / "all.yaml").write_text(yaml.dump(envelope, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    as_json = out / "one-json-list"
    as_json.mkdir(parents=True, exist_ok=True)
    for extra in listed.iterdir():
        if extra.name != "all.yaml":
            (as_json / extra.name).write_bytes(extra.read_bytes())
    (as_json / "all.json").write_text(json.dumps(envelope, indent=4) + "\n", encoding="utf-8")
    return {"one file": one, "one List": listed, "one JSON List": as_json}


def measure_shapes(services: int, seed: int, timeout: float | None = None) -> dict[str, object]:
    """The baseline and ``advisor analyze`` on the generated inventory of ``services`` as generated
    and in the shapes of :func:`write_shapes`."""
    out = RESULTS / "tmp" / f"shapes-n{services}-s{seed}"
    truth = generate(out / "generated", services=services, seed=seed)
    folders = {"files as generated": out / "generated" / truth.inventory,
               **write_shapes(out / "generated" / truth.inventory, out)}
    shapes: dict[str, object] = {}
    for name, folder in folders.items():
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        count = sum(1 for p in folder.rglob("*") if p.is_file())
        baseline = _child(["baseline", str(folder)], timeout)
        cli = _child(["cli", str(folder)], timeout)
        e2e, base = _get(cli, "seconds"), _get(baseline, "seconds")
        shapes[name] = {"files": count, "megabytes": round(size / 1e6, 2), "baseline": baseline, "cli": cli,
                        "ratio_to_libyaml": round(e2e / base, 2) if e2e is not None and base else None}
        print(f"[bench] {services} services, {name}: libyaml {base} s, advisor analyze {e2e} s", file=sys.stderr,
              flush=True)
    shutil.rmtree(out, ignore_errors=True)
    return {"services": services, "shapes": shapes}


# --------------------------------------------------------------------------------------------
# Rendering the results
# --------------------------------------------------------------------------------------------


def _cpu_generation(m: Mapping[str, Any]) -> str:
    """`` (family 26, model 2)`` from the machine's ``cpu_id``; empty when unknown (older files)."""
    ident = m.get("cpu_id") or {}
    if "cpu family" not in ident:
        return ""
    return f" (family {ident['cpu family']}, model {ident.get('model', '?')})"


def _fmt(value: object, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|:---|" + "|".join("---:" for _ in header[1:]) + "|"]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(results: dict[str, object]) -> str:
    """The results as Markdown tables."""
    m = results["machine"]
    assert isinstance(m, dict)
    v = m["versions"]
    sizes = results["sizes"]
    assert isinstance(sizes, list)
    lines = [
        "# Benchmark results",
        "",
        f"Measured {results['date']} on {m['cpu']}{_cpu_generation(m)}, {m['usable_cores']} cores, "
        f"{m['ram_gib']} GiB RAM "
        f"(load average {m['load_average_at_start']} at the start); {m['os']}.",
        f"Python {m['python']}, PyYAML {v.get('PyYAML')} (libyaml: "
        f"{m.get('libyaml_version') or 'yes' if m['libyaml'] else 'no'}; the advisor's compiled YAML builder: "
        f"{'libyaml ' + m['compiled_builder_libyaml'] if m.get('compiled_builder_libyaml') else 'not built'}), "
        f"networkx {v.get('networkx')}, igraph {v.get('igraph')}, orjson {v.get('orjson')}, "
        f"scikit-learn {v.get('scikit-learn')}; seed {results['seed']}, "
        f"workers {results['workers'] or 'default'}. Command: `{results['command']}`.",
        "",
        "## Time and memory",
        "",
        "Baseline: libyaml `CSafeLoader` loading every generated file in one thread. `advisor analyze`: the "
        "command `advisor analyze DIR --format json --no-store -o FILE` with an empty parse cache, process "
        "start, imports and writing the report included; its peak is the resident set of the largest of the "
        "command and its workers. Ratio = `advisor analyze` / baseline, wall clock (issue 7: at most 1 at "
        "20,000 services), of the first pair measured; with `--repeat N` the baseline and the command's first "
        "run are measured again, one after the other, N-1 more times, and the median ratio of the pairs and "
        "their range are given beside it (the machine is shared: one pair moves with its load). Second run: "
        "the same command again, unchanged files reused from the parse cache "
        "(and the report, since nothing changed). One file changed: a third run after a document (a ConfigMap "
        "nothing uses) was appended to one file, so that one file is parsed again and everything after "
        "reading runs again. A comment added: a fourth run after a comment was appended to that file instead, "
        "so that it is parsed again, but what was read is what the first run read and its report is reused "
        "(the file is put back afterwards). "
        "In process: `analyze_paths` + `render_json_bytes` (imports excluded, but for the analysis's own "
        "(networkx, igraph), which `analyze_paths` imports while its workers hash the files: about 0.15 s, "
        "in the `digest` stage), the run the stage times below come "
        "from; its CPU seconds (user + system, workers included) tell how much of a wall time was waiting "
        "for a busy machine; peak memory of that process and of its largest worker.",
        "",
    ]
    rows = []
    for s in sizes:
        g, b, a, c = s["generate"], s["baseline"], s["analysis"], s.get("cli") or {}
        pairs = s.get("pairs") or []
        spread = (f"{min(c / b for b, c in pairs):.2f}-{max(c / b for b, c in pairs):.2f} ({len(pairs)})"
                  if len(pairs) > 1 else None)
        rows.append([s["services"], g["files"], g["documents"], g["megabytes"], b.get("seconds"),
                     c.get("seconds"), s.get("ratio_to_libyaml"), s.get("ratio_median"), spread,
                     c.get("second_run_seconds"), c.get("one_file_changed_seconds"), c.get("comment_added_seconds"),
                     c.get("peak_rss_mb"),
                     a.get("end_to_end_seconds"), a.get("end_to_end_cpu_seconds"), a.get("peak_rss_mb"),
                     a.get("peak_worker_rss_mb")])
    lines += _table(["services", "files", "documents", "MB", "libyaml s", "advisor analyze s", "ratio",
                     "median ratio", "ratios (pairs)", "second run s", "one file changed s", "a comment added s",
                     "peak MB",
                     "in process s", "in process CPU s", "in process peak MB", "worker peak MB"], rows)
    errors = [(s["services"], s["analysis"].get("error")) for s in sizes if s["analysis"].get("error")]
    errors += [(s["services"], s["cli"]["error"]) for s in sizes if (s.get("cli") or {}).get("error")]
    for n, err in errors:
        lines += ["", f"Advisor not measured at {n} services: {err}"]
    reading = [s for s in sizes if s["analysis"].get("reading_seconds") is not None]
    if reading:
        lines += ["", "Without the advisor, `inventory.reading.read_paths` alone (read + resolve):", ""]
        rows = []
        for s in reading:
            a = s["analysis"]
            c = a.get("reading_counts") or {}
            rows.append([s["services"], a.get("reading_workers"), a.get("reading_seconds"),
                         a.get("reading_peak_rss_mb"), c.get("dependencies"), c.get("skipped"),
                         c.get("unresolved")])
        lines += _table(["services", "workers", "seconds", "peak MB", "dependencies", "skipped",
                         "unresolved"], rows)
    lines += ["", "## Seconds per stage", "",
              "Stages as the progress display names them. `store` renders the report's JSON and writes it as "
              "the run's cache entry; `render` then hands back those same bytes, so the JSON's cost is in "
              "`store`.", ""]
    lines += _table(["services", *STAGES, "other"],
                    [[s["services"], *(_get(s, "analysis", "stages", st) for st in (*STAGES, "other"))]
                     for s in sizes])
    grow = results["growth"]
    assert isinstance(grow, list)
    if grow:
        lines += ["", "## Growth exponents", "",
                  "log(t2/t1) / log(n2/n1) between consecutive sizes: 1 is linear, 2 quadratic; "
                  f"– where a stage took under {MIN_SECONDS_FOR_GROWTH} s.", ""]
        names = ["generate", "libyaml", "advisor_analyze", "end_to_end", *STAGES]
        lines += _table(["stage", *(f"{r['from']}→{r['to']}" for r in grow)],
                        [[name, *(r.get(name) for r in grow)] for name in names])
    shaped = results.get("shapes")
    if isinstance(shaped, dict) and shaped.get("shapes"):
        lines += ["", f"## The same {shaped['services']:,} services in other shapes", "",
                  "The generated inventory as generated, as one multi-document file (`helm template` of a "
                  "whole platform: read in parts by the workers together), and as one `kind: List` document "
                  "(`kubectl get -A -o yaml`, and `-o json`: one document, its items shared out between the "
                  "workers) with the AsyncAPI documents beside it. Same baseline and command as above.", ""]
        rows = []
        for name, m in shaped["shapes"].items():
            b, c = m["baseline"], m["cli"]
            rows.append([name, m["files"], m["megabytes"], b.get("seconds"), c.get("seconds"),
                         m.get("ratio_to_libyaml"), c.get("second_run_seconds"), c.get("peak_rss_mb")])
        lines += _table(["shape", "files", "MB", "libyaml s", "advisor analyze s", "ratio", "second run s",
                         "peak MB"], rows)
    lines += ["", "## Quality against the planted truth", "",
              "Definitions in `bench/quality.py`: a planted group is recovered when a proposal has "
              "Jaccard ≥ 0.8 with it; precision counts proposals that recover a group; pairwise scores count "
              "co-membership pairs; a decoy proposal holds a hub, infrastructure, a cross-team pair or a "
              "neighbour pair.", ""]
    rows = []
    for s in sizes:
        q = s["analysis"].get("quality") or {}
        gq = q.get("groups") or {}
        rows.append([s["services"], gq.get("planted_groups"), gq.get("proposals"), gq.get("group_recall"),
                     gq.get("group_precision"), gq.get("exact_recall"), gq.get("pair_precision"),
                     gq.get("pair_recall"), gq.get("pair_f1"), gq.get("decoy_proposals"),
                     gq.get("mixed_team_proposals")])
    lines += _table(["services", "planted groups", "proposals", "group recall", "group precision",
                     "exact recall", "pair P", "pair R", "pair F1", "decoy proposals",
                     "mixed-team proposals"], rows)
    lines += ["", "## Edges the readers found", "",
              "Planted edges found in the report's dependencies, per category (found / planted); unresolved "
              "references against the planted external ones; planted secret values found in the report.", ""]
    cats = ["sync", "datastore", "datastore_schema", "cache", "broker", "telemetry", "messaging"]
    rows = []
    for s in sizes:
        q = s["analysis"].get("quality") or {}
        e = q.get("edges") or s["analysis"].get("reading_edges") or {}
        c = e.get("categories") or {}
        row: list[object] = [s["services"]]
        for cat in cats:
            item = c.get(cat)
            row.append(f"{item['found']}/{item['planted']}" if item else None)
        row += [e.get("unplanted_service_edges"),
                f"{e['unresolved']} ({e['expected_unresolved']})" if e else None, q.get("secrets_leaked")]
        rows.append(row)
    lines += _table(["services", *cats, "unplanted service edges", "unresolved (expected)",
                     "secrets leaked"], rows)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=None,
                        help="comma-separated service counts (default 300,1000,3000,5000,20000)")
    parser.add_argument("--quick", action="store_true", help="300 and 1000 services")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes for the advisor (default: the advisor's own choice)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the generated inventories in bench/results/tmp")
    parser.add_argument("--skip-advisor", action="store_true",
                        help="only generate and measure the libyaml baseline")
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds one advisor measurement may take (default 3600)")
    parser.add_argument("--output", default=str(RESULTS), help="folder for latest.json and latest.md")
    parser.add_argument("--repeat", type=int, default=3,
                        help="pairs of the baseline and the command's first run measured per size, one "
                             "after the other; the median ratio is reported beside the first (default 3)")
    parser.add_argument("--shapes", type=int, default=5000,
                        help="also measure this many services as one file and as one List, YAML and JSON "
                             "(0: not; default 5000)")
    args = parser.parse_args(argv)
    try:
        spec = args.sizes or ("300,1000" if args.quick else "300,1000,3000,5000,20000")
        sizes = [int(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, got {args.sizes!r}")
    if not sizes or min(sizes) < 10:
        parser.error("every size must be at least 10 services")
    compile_bytecode()
    info = machine()
    results: dict[str, object] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
        "machine": info,
        "seed": args.seed,
        "workers": args.workers,
        "sizes": [],
    }
    entries = []
    for n in sorted(set(sizes)):
        entries.append(measure_size(n, args.seed, args.workers, args.keep, advisor=not args.skip_advisor,
                                    timeout=args.timeout, repeat=max(1, args.repeat)))
    results["sizes"] = entries
    results["growth"] = growth(entries)
    if args.shapes and not args.skip_advisor:
        results["shapes"] = measure_shapes(args.shapes, args.seed, args.timeout)
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    markdown = render_markdown(results)
    (out / "latest.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    print(f"[bench] results written to {out / 'latest.json'} and {out / 'latest.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
