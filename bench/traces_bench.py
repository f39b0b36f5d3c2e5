"""Trace readers: throughput and peak memory on generated OTLP JSONL and Alibaba call-graph CSV.

Issue 4 asks for spans per second for OTLP JSONL, rows per second for the Alibaba CSV (1,000,000
rows) and memory that stays flat while streaming. This script

1. generates, with a fixed seed, an OTLP JSONL file of ``--spans`` spans (default 200,000: traces of
   4-12 spans over 60 services, with database and Kafka spans, interleaved 50 traces at a time as
   the collector's file exporter batches them) and a call-graph CSV of ``--rows`` rows (default
   1,000,000; v2021 columns over 400 microservices with a fixed call graph), each also at half the
   size;
2. reads each file in a fresh process through :func:`inventory.reading.read_file` (the same path as
   ``advisor analyze``) and records seconds, records per second, distinct edges and the peak
   resident memory of that process (``resource.getrusage``), next to the peak of a process that only
   imports the readers (the interpreter's own share);
3. writes ``bench/results/traces.json`` and prints a table. Flat memory means: the large file's peak
   is close to the small file's although it is twice as large. (The OTLP reader keeps at most 50,000
   open spans and an index of 50,000 recently closed ones whatever the file size, so its memory
   plateaus once a file has about 100,000 spans; the call-graph reader holds one tally per distinct
   edge.)

Usage::

    python -m bench.traces_bench                        # 200k spans, 1M rows
    python -m bench.traces_bench --spans 20000 --rows 100000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


# --------------------------------------------------------------------------------------------
# Generating inputs
# --------------------------------------------------------------------------------------------


def _attr(key: str, value: str) -> dict[str, object]:
    return {"key": key, "value": {"stringValue": value}}


def generate_otlp(path: Path, spans: int, *, seed: int = 1, services: int = 60) -> int:
    """Write about ``spans`` spans as OTLP JSONL; returns the exact number written."""
    rng = random.Random(seed)
    names = [f"svc-{i:03d}" for i in range(services)]
    written = 0
    trace_no = 0
    with path.open("w", encoding="utf-8") as fh:
        while written < spans:
            batch: dict[str, list[dict[str, object]]] = {}
            for _ in range(50):
                trace_no += 1
                trace = f"{trace_no:032x}"
                root_service = rng.choice(names)
                root = f"{trace_no:08x}00000001"
                batch.setdefault(root_service, []).append(
                    {"traceId": trace, "spanId": root, "name": "GET /", "kind": 2,
                     "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000100000000"})
                written += 1
                for j in range(rng.randint(1, 5)):
                    callee = rng.choice(names)
                    client = f"{trace_no:08x}{j:04x}0002"
                    attrs = [_attr("rpc.system", "grpc")]
                    batch[root_service].append({"traceId": trace, "spanId": client, "parentSpanId": root,
                                                "name": f"call {callee}", "kind": 3, "attributes": attrs})
                    batch.setdefault(callee, []).append({"traceId": trace, "spanId": f"{trace_no:08x}{j:04x}0003",
                                                         "parentSpanId": client, "name": f"serve {j}", "kind": 2,
                                                         "status": {"code": 2 if rng.random() < 0.01 else 0}})
                    written += 2
                    if rng.random() < 0.3:
                        batch[callee].append({"traceId": trace, "spanId": f"{trace_no:08x}{j:04x}0004",
                                              "parentSpanId": f"{trace_no:08x}{j:04x}0003", "name": "SELECT",
                                              "kind": 3, "attributes": [_attr("db.system", "postgresql"),
                                                                        _attr("db.namespace", f"db{callee[-2:]}")]})
                        written += 1
                    if rng.random() < 0.1:
                        batch[callee].append({"traceId": trace, "spanId": f"{trace_no:08x}{j:04x}0005",
                                              "parentSpanId": f"{trace_no:08x}{j:04x}0003", "name": "publish",
                                              "kind": 4, "attributes": [_attr("messaging.system", "kafka"),
                                                                        _attr("messaging.destination.name",
                                                                              f"topic-{callee[-1]}")]})
                        written += 1
            for service, service_spans in batch.items():
                resource_ = {"attributes": [_attr("service.name", service)]}
                fh.write(json.dumps({"resourceSpans": [{"resource": resource_, "scopeSpans": [
                    {"scope": {"name": "bench"}, "spans": service_spans}]}]}, separators=(",", ":")))
                fh.write("\n")
    return written


def generate_alibaba(path: Path, rows: int, *, seed: int = 1, services: int = 400) -> int:
    """Write ``rows`` call-graph rows (v2021 columns with a leading index column)."""
    rng = random.Random(seed)
    types = ["rpc"] * 6 + ["http"] * 2 + ["mq", "db", "mc"]
    # a fixed call graph (each service calls four others with a fixed rpctype), as in a real system
    callees = [[(rng.randrange(services), rng.choice(types)) for _ in range(4)] for _ in range(services)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",traceid,timestamp,rpcid,um,rpctype,dm,interface,rt\n")
        lines = []
        for i in range(rows):
            um = rng.randrange(services)
            dm, rpctype = callees[um][i % 4]
            caller = "UNKNOWN" if i % 97 == 0 else f"MS_{um}"
            lines.append(f"{i},T_{i // 8},{i},0.{i % 8},{caller},{rpctype},MS_{dm},op{dm % 7},{i % 50}\n")
            if len(lines) >= 10000:
                fh.writelines(lines)
                lines.clear()
        fh.writelines(lines)
    return rows


# --------------------------------------------------------------------------------------------
# Measuring (each in its own process)
# --------------------------------------------------------------------------------------------


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(path: str | None) -> dict[str, object]:
    """Read one file through the advisor's reading path; ``None`` only imports (the baseline)."""
    from inventory.options import DEFAULT_OPTIONS
    from inventory.reading import FileContext, read_file
    from inventory.sources import InputFile
    from inventory.traces import TraceSummary

    if path is None:
        return {"peak_rss_mb": _peak_mb()}
    started = time.perf_counter()
    result = read_file(InputFile(path, str(Path(path).parent), path=path), FileContext(path, ""), DEFAULT_OPTIONS)
    seconds = time.perf_counter() - started
    fragments = result.fragments
    summary = next((x for f in fragments for x in f.extras if isinstance(x, TraceSummary)), None)
    return {
        "format": result.account.format,
        "seconds": round(seconds, 3),
        "records": result.account.documents,
        "used": result.account.used,
        "skipped": result.account.skipped,
        "records_per_second": round(result.account.documents / seconds) if seconds else None,
        "claims": sum(len(f.claims) for f in fragments),
        "services": sum(1 for f in fragments for e in f.entities if e.role == "service"),
        "spans": summary.spans if summary else None,
        "traces": summary.traces if summary else None,
        "peak_rss_mb": _peak_mb(),
        "bytes": Path(path).stat().st_size,
    }


def _child(path: Path | None) -> dict[str, object]:
    args = [sys.executable, "-m", "bench.traces_bench", "measure"] + ([str(path)] if path else [])
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(output: Path = RESULTS, *, spans: int = 200_000, rows: int = 1_000_000, seed: int = 1,
        keep: bool = False) -> dict[str, object]:
    """Generate, measure and write ``traces.json`` into ``output``; returns the results."""
    work = output / "tmp" / "traces"
    work.mkdir(parents=True, exist_ok=True)
    cases = []
    try:
        for label, count, make, suffix, unit in (
                ("otlp", spans, generate_otlp, "jsonl", "spans"),
                ("alibaba", rows, generate_alibaba, "csv", "rows")):
            for size in ("small", "large"):
                wanted = count // 2 if size == "small" else count
                path = work / f"{label}-{size}.{suffix}"
                made = make(path, wanted, seed=seed)
                measured = _child(path)
                measured.update({"case": f"{label}-{size}", "unit": unit, "generated": made})
                cases.append(measured)
                if not keep:
                    path.unlink()
    finally:
        if not keep:
            for leftover in work.glob("*"):
                leftover.unlink()
    baseline = _child(None)
    by_case = {c["case"]: c for c in cases}
    results: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": f"python -m bench.traces_bench --spans {spans} --rows {rows}",
        "import_only_peak_rss_mb": baseline["peak_rss_mb"],
        "cases": cases,
        "memory_growth_large_over_small": {
            label: round(float(by_case[f"{label}-large"]["peak_rss_mb"])  # type: ignore[arg-type]
                         / float(by_case[f"{label}-small"]["peak_rss_mb"]), 2)  # type: ignore[arg-type]
            for label in ("otlp", "alibaba")},
    }
    try:
        from bench.run import machine

        results["machine"] = machine()
    except Exception:  # the machine description is a nicety
        pass
    output.mkdir(parents=True, exist_ok=True)
    (output / "traces.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


def render(results: dict[str, object]) -> str:
    lines = ["| case | records | MB on disk | seconds | records/s | claims | peak RSS MB |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for c in results["cases"]:  # type: ignore[attr-defined]
        lines.append(f"| {c['case']} ({c['unit']}) | {c['records']:,} | {c['bytes'] / 1e6:.1f} | {c['seconds']} | "
                     f"{c['records_per_second']:,} | {c['claims']:,} | {c['peak_rss_mb']} |")
    lines.append(f"\nimport-only peak RSS: {results['import_only_peak_rss_mb']} MB; "
                 f"large/small peak ratio: {results['memory_growth_large_over_small']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["measure"]:
        print(json.dumps(measure(argv[1] if len(argv) > 1 else None)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.traces_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--spans", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated files in bench/results/tmp/traces")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args(argv)
    results = run(Path(args.output), spans=args.spans, rows=args.rows, seed=args.seed, keep=args.keep)
    print(render(results))
    print(f"[bench] results written to {Path(args.output) / 'traces.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
