"""The fuzzing run of ``make fuzz`` (issue 8): many hostile inputs through every reader; not part of ``make test``.

Each *target* is one entry point with one Hypothesis strategy (from :mod:`bench.hostile_inputs`, the
same strategies and properties the property tests in ``tests/inventory/test_properties.py`` run with
30 examples): the pure parse function of each document reader on near-valid documents of its format,
on arbitrary values in its envelope, and on mutations of every document of the repository's fixtures
and example inventory; the dispatcher on the text of any document, on almost-YAML and on any bytes;
each trace and mesh reader on near-valid and cut-short dumps; the source scanner on almost-code; the
live Backstage reader on catalog answers; and the resolver on many files together. A target fails
when its property fails (a reader raised something other than the project's own input errors, an
account does not add up, a skipped entry hides a crash ...); Hypothesis then shrinks the input.

The run reports, per target, the number of inputs tried, the time and any failure with the shrunk
input, and writes ``bench/results/fuzz.json``. The exit code is 1 when any target failed.

Usage::

    python -m bench.fuzz                       # 2,000 inputs per target
    python -m bench.fuzz --examples 20000 --seed 7
    python -m bench.fuzz --only kubernetes     # targets whose name contains the text
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import hypothesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.hostile_inputs import (
    CODE_LOCATIONS,
    DOC_READERS,
    TEMPLATES,
    TRACE_TEMPLATES,
    alibaba_csv,
    as_json,
    as_yaml,
    code_soup,
    enveloped,
    json_values,
    mutated,
    near_valid,
    near_valid_trace,
    parse_document,
    parse_file_text,
    parse_live_entities,
    parse_trace_data,
    read_bytes,
    read_trace,
    resolve_files,
    scan_code,
    yaml_soup,
    yaml_values,
)
from inventory.documents import Document, iter_documents

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "fuzz.json"
SEED_FOLDERS = (ROOT / "tests" / "fixtures", ROOT / "examples" / "inventory")


def fixture_documents() -> dict[str, list[object]]:
    """Every document of the repository's fixtures and example inventory, by the reader that takes it
    (seeds for mutation: real documents reach deeper than the small templates)."""
    seeds: dict[str, list[object]] = {name: [] for name in DOC_READERS}
    for folder in SEED_FOLDERS:
        for path in sorted(folder.rglob("*")):
            if path.suffix not in (".yaml", ".yml", ".json") or "hostile" in path.parts:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            if len(text) > 200_000:
                continue
            for item in iter_documents(text, str(path)):
                if not isinstance(item, Document):
                    continue
                for name, reader in DOC_READERS.items():
                    if reader.recognise(item.data):
                        seeds[name].append(item.data)
                        break
    return seeds


@dataclass
class Target:
    name: str
    strategy: st.SearchStrategy[Any]
    check: Callable[[Any], object]
    inputs: int = 0
    seconds: float = 0.0
    failures: list[dict[str, str]] = field(default_factory=list)


def _cut(text: str, cut: int) -> str:
    return text[: len(text) * cut // 4] if cut else text


def _read_cut_trace(reader: str, value: tuple[Any, int]) -> None:
    read_trace(reader, _cut(as_json(value[0]), value[1]).encode())


def _jsonl(records: list[Any], junk: bool) -> bytes:
    lines = [as_json(r) for r in records]
    if junk:
        lines.insert(1, '{"resourceSpans": [ broken')
    return ("\n".join(lines) + "\n").encode()


def _parse_recognised(reader: str, data: object) -> None:
    if DOC_READERS[reader].recognise(data):  # a mutation may turn a document into another format's
        parse_document(reader, data, as_yaml(data))


def targets() -> list[Target]:
    seeds = fixture_documents()
    out: list[Target] = []
    for reader in sorted(TEMPLATES):
        out.append(Target(f"{reader}: near-valid documents", near_valid(reader), partial(_parse_recognised, reader)))
        out.append(Target(f"{reader}: any values in its envelope", enveloped(reader), partial(parse_document, reader)))
        if seeds[reader]:
            out.append(Target(f"{reader}: mutated fixture documents ({len(seeds[reader])} seeds)",
                              st.sampled_from(seeds[reader]).flatmap(lambda t: mutated(t, yaml_values, 6)),
                              partial(_parse_recognised, reader)))
    documents = st.sampled_from(sorted(TEMPLATES)).flatmap(near_valid) | yaml_values
    out += [
        Target("parse_text: YAML text of any document", documents, lambda d: parse_file_text(as_yaml(d))),
        Target("parse_text: JSON text of any document", documents | json_values,
               lambda d: parse_file_text(as_json(d), "fuzz/input.json")),
        Target("parse_text: multi-document files", st.lists(documents, min_size=2, max_size=5),
               lambda ds: parse_file_text("".join("---\n" + as_yaml(d) for d in ds))),
        Target("parse_text: almost-YAML token soup", yaml_soup, parse_file_text),
        Target("parse_text: any text", st.text(max_size=500), parse_file_text),
        Target("read_file: any bytes, gzip cut short", st.tuples(
            st.binary(max_size=500) | yaml_soup.map(str.encode)
            | st.tuples(yaml_soup, st.integers(0, 300)).map(lambda t: gzip.compress(t[0].encode())[: t[1] or None]),
            st.sampled_from(["fuzz/x.yaml", "fuzz/x.json", "fuzz/x.yaml.gz", "fuzz/x.csv", "fuzz/main.go"])),
            lambda t: read_bytes(*t)),
    ]
    for reader in sorted(TRACE_TEMPLATES):
        out.append(Target(f"{reader}: near-valid and cut-short files", st.tuples(near_valid_trace(reader),
                                                                                  st.integers(0, 3)),
                          partial(_read_cut_trace, reader)))
    out += [
        Target("otlp: JSONL with bad lines", st.tuples(st.lists(near_valid_trace("otlp") | json_values, min_size=1,
                                                                max_size=5), st.booleans()),
               lambda t: read_trace("otlp", _jsonl(*t))),
        Target("alibaba: CSV with missing columns", alibaba_csv(), lambda t: read_trace("alibaba", t.encode())),
        Target("pure trace and mesh parse functions", near_valid_trace("jaeger") | near_valid_trace("prometheus")
               | near_valid_trace("kiali") | json_values, parse_trace_data),
        Target("live backstage: catalog answers", st.lists(near_valid("backstage") | enveloped("backstage")
                                                           | json_values, max_size=5), parse_live_entities),
        Target("source scanner: almost-code", st.tuples(code_soup, st.sampled_from(CODE_LOCATIONS)),
               lambda t: scan_code(*t)),
        Target("resolver: many files together", st.tuples(
            st.lists(st.tuples(documents, st.sampled_from(("a", "b"))), min_size=1, max_size=8),
            st.lists(st.tuples(code_soup, st.sampled_from(CODE_LOCATIONS)), max_size=3)),
            lambda t: resolve_files(*t)),
    ]
    return out


def run_target(target: Target, examples: int, seed: int | None) -> None:
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=False, print_blob=True)
    @given(target.strategy)
    def property_holds(value: Any) -> None:
        target.inputs += 1
        target.check(value)

    if seed is not None:
        property_holds = hypothesis.seed(seed)(property_holds)
    started = time.perf_counter()
    try:
        property_holds()
    except Exception as exc:  # a failed property: keep the shrunk input and where it broke
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename.removeprefix(str(ROOT) + '/')}:{f.lineno} in {f.name}" for f in reversed(frames)
                      if "/inventory/" in f.filename or "/advisor/" in f.filename), "")
        target.failures.append({
            "error": f"{type(exc).__name__}: {str(exc)[:500]}",
            "where": where,
            "input": "\n".join(getattr(exc, "__notes__", []))[:4000],
        })
    target.seconds = time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=2000, help="inputs to try per target (default 2000)")
    parser.add_argument("--seed", type=int, default=None, help="a fixed seed (default: a new random run)")
    parser.add_argument("--only", default="", help="run the targets whose name contains this text")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    chosen = [t for t in targets() if args.only in t.name]
    started = time.perf_counter()
    print(f"{'target':<58} {'inputs':>8} {'seconds':>8}  result")
    for target in chosen:
        run_target(target, args.examples, args.seed)
        verdict = "ok" if not target.failures else f"FAILED {target.failures[0]['error'][:60]}"
        print(f"{target.name:<58} {target.inputs:>8,} {target.seconds:>8.1f}  {verdict}", flush=True)
    total = sum(t.inputs for t in chosen)
    seconds = time.perf_counter() - started
    failed = [t for t in chosen if t.failures]
    print(f"{'total':<58} {total:>8,} {seconds:>8.1f}  {len(failed)} of {len(chosen)} targets failed")
    for t in failed:
        for f in t.failures:
            print(f"\n--- {t.name}: {f['error']}\n    at {f['where']}\n{f['input']}")
    result = {
        "tool": "hypothesis", "hypothesis_version": hypothesis.__version__, "python": platform.python_version(),
        "examples_per_target": args.examples, "seed": args.seed, "total_inputs": total,
        "seconds": round(seconds, 1), "failed_targets": len(failed),
        "targets": [{"name": t.name, "inputs": t.inputs, "seconds": round(t.seconds, 2), "failures": t.failures}
                    for t in chosen],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
