"""The ``advisor`` command: parse flags, call the API, map the outcome to an exit code.

Exit codes: 0 a report was produced (even when some inputs were skipped: they are in the report
and summarised on stderr); 1 nothing usable was read; 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.config import Config, load_config
from advisor.decisions import KEPT_TOPS, DecisionError, DecisionStore, apply_decisions
from inventory.errors import AdvisorError, ConfigError
from inventory.live import LiveSource

if TYPE_CHECKING:
    from advisor.model import Report

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"advisor: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="advisor", description="Service-sprawl consolidation advisor: reads your inventory, "
                     "measures coupling and proposes which services to merge, with evidence.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    analyze = sub.add_parser("analyze", help="analyse files, folders or .zip archives and print or write the report")
    analyze.add_argument("paths", nargs="*", metavar="PATH", help="a file, a folder (read recursively) or a .zip")
    analyze.add_argument("--config", metavar="advisor.yaml", help="configuration file (defaults documented in README)")
    analyze.add_argument("--format", choices=FORMATS, default="json",
                         help="json (the schema_version 1 report), markdown, csv (one row per proposal), graphml or "
                              "dot (the coupling graph with clusters), backstage (System patches for the proposals)")
    analyze.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    analyze.add_argument("--adr-dir", metavar="DIR", help="also write one MADR decision record per proposal into DIR")
    analyze.add_argument("--pretty", action="store_true", help="indent the JSON report (slower on large inventories)")
    _store_flags(analyze)
    analyze.add_argument("--seed", type=int, help="clustering seed (overrides the configuration)")
    analyze.add_argument("--jaeger", metavar="URL", help="Jaeger query service to read dependencies from")
    analyze.add_argument("--jaeger-lookback", metavar="DURATION", default=None, help="e.g. 7d (default 7d)")
    analyze.add_argument("--backstage", metavar="URL", help="Backstage backend to read the catalog from")
    analyze.add_argument("--prometheus", metavar="URL", help="Prometheus with Istio metrics (istio_requests_total)")
    analyze.add_argument("--prometheus-lookback", metavar="DURATION", default=None, help="e.g. 7d (default 7d)")
    analyze.add_argument("--git", action="append", metavar="REPO", default=None,
                         help="a local git repository (or a folder of them) whose history gives change coupling; "
                              "repeatable")
    analyze.add_argument("--no-cache", action="store_true",
                         help="parse every file again (by default unchanged files are reused from "
                              "$XDG_CACHE_HOME/sprawl-advisor, kept to $ADVISOR_CACHE_MAX_MB megabytes, "
                              "2048 unless set)")
    analyze.add_argument("--workers", type=int, default=None,
                         help="processes for parsing (default: one per core for large inventories)")

    decide = sub.add_parser("decide", help="accept, reject or defer a proposal, with a reason")
    decide.add_argument("proposal", metavar="ID", help="the proposal id from the report of one of the last "
                        f"{KEPT_TOPS} recorded runs, e.g. P-3f2a9c1d")
    decide.add_argument("verb", choices=("accept", "reject", "defer"))
    decide.add_argument("--reason", required=True, help="why: what a reviewer reads later")
    decide.add_argument("--config", metavar="advisor.yaml")
    _store_flags(decide, allow_off=False)

    history = sub.add_parser("history", help="the recorded runs: services, edges, clusters and proposals over time")
    history.add_argument("--config", metavar="advisor.yaml")
    history.add_argument("--format", choices=("text", "json"), default="text")
    _store_flags(history, allow_off=False)

    dash = sub.add_parser("dashboard", help="start the dashboard, optionally preloaded with PATHs")
    dash.add_argument("paths", nargs="*", metavar="PATH")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--config", metavar="advisor.yaml")
    dash.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    return parser


FORMATS = ("json", "markdown", "csv", "graphml", "dot", "backstage")


def _store_flags(parser: argparse.ArgumentParser, *, allow_off: bool = True) -> None:
    parser.add_argument("--store", metavar="FILE", help="decisions and run history (SQLite; default: "
                        "`store:` in the configuration, else .advisor/decisions.sqlite)")
    if allow_off:
        parser.add_argument("--no-store", action="store_true", help="neither read decisions nor record this run")


def _store(args: argparse.Namespace, config: Config) -> DecisionStore | None:
    if getattr(args, "no_store", False):
        return None
    return DecisionStore(args.store or config.store or None)


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config) if getattr(args, "config", None) else Config()


def _summarise(report: object) -> str:
    from advisor.model import Report

    assert isinstance(report, Report)
    inv = report.inventory
    lines = [
        f"advisor: {len(inv.services)} services, {len(inv.resources)} resources, {len(inv.dependencies)} dependencies, "
        f"{len(report.clusters)} clusters, {len(report.proposals)} proposals"
    ]
    if inv.skipped:
        reasons = Counter(_reason_class(s.reason) for s in inv.skipped)
        lines.append(f"advisor: {len(inv.skipped)} inputs skipped (listed in the report): "
                     + "; ".join(f"{n} × {r}" for r, n in reasons.most_common(5)))
    if inv.unresolved:
        lines.append(f"advisor: {len(inv.unresolved)} unresolved references (listed in the report)")
    return "\n".join(lines)


_OBJECT = re.compile(r"\b([A-Z][A-Za-z]+)/\S+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\(line \d+, column \d+\)")


def _reason_class(reason: str) -> str:
    """A skip reason without the object it names, so that like reasons are counted together."""
    text = _OBJECT.sub(r"\1", reason)
    return _QUOTED.sub("…", text)[:90]


def _write_stdout(data: bytes) -> None:
    """Bytes to standard output, through its binary buffer when it has one (a test may have put a
    text-only stream in its place)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        buffer.write(data)
        buffer.flush()
    else:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()


def _analyze(args: argparse.Namespace) -> int:
    gc.disable()  # a short-lived process full of long-lived acyclic objects: see advisor.api
    from advisor.api import analyze_paths, parse_cache, wait_for_cache_writes

    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.seed is not None:
        config = replace(config, seed=args.seed)
    try:
        live = _live_sources(args, config)
    except ConfigError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.paths and not live:
        print("usage: advisor analyze PATH... [--config advisor.yaml] [--format FORMAT] [--output FILE]",
              file=sys.stderr)
        print("advisor: error: give at least one PATH, or a live source (--jaeger, --backstage, --prometheus)",
              file=sys.stderr)
        return EXIT_USAGE
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing and len(missing) == len(args.paths) and not live:
        print(f"advisor: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        cache = None if args.no_cache else parse_cache()
        _kept.clear()  # an earlier analysis in this process (tests): freed now
        # the report's cache entry is written by a thread while this one writes the output
        report = analyze_paths(args.paths, config, workers=args.workers, progress=sys.stderr.isatty(), git=args.git,
                               live=live, cache=cache, wait=False, keep=_kept)
    except AdvisorError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return _output(args, config, report)
    finally:
        wait_for_cache_writes()


def _output(args: argparse.Namespace, config: Config, report: Report) -> int:
    """Decisions applied and recorded, the report written, and a summary on stderr."""
    from advisor.exports import render_bytes
    from advisor.records import render_madr_all

    if not report.inventory.usable:
        print(_summarise(report), file=sys.stderr)
        print("advisor: nothing usable was read: no service or resource in the inputs", file=sys.stderr)
        return EXIT_NOTHING
    store = _store(args, config)
    if store is not None:
        try:
            report = apply_decisions(report, store)
            store.record_run(report)
        except (OSError, sqlite3.Error) as exc:
            print(f"advisor: the decisions store {store.path} could not be used ({exc}); "
                  "decisions are not applied to this report", file=sys.stderr)
    data = render_bytes(report, args.format, pretty=args.pretty)
    try:
        if args.output:
            Path(args.output).write_bytes(data)
        else:
            _write_stdout(data)
        if args.adr_dir:
            folder = Path(args.adr_dir)
            folder.mkdir(parents=True, exist_ok=True)
            for name, record in render_madr_all(report).items():
                (folder / name).write_text(record, encoding="utf-8")
    except OSError as exc:
        print(f"advisor: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(_summarise(report), file=sys.stderr)
    _kept.append(report)  # freed by the next analysis in this process, or never (see run)
    return EXIT_OK


#: The last report :func:`_analyze` wrote, and what its run no longer needed (the parse results).
#: Freeing the report of 20,000 services object by object takes a quarter of a second when the
#: function returns, the parse results 0.13 s during the run; :func:`run` ends the process without.
_kept: list[object] = []


def _live_sources(args: argparse.Namespace, config: Config) -> list[LiveSource]:
    """Live sources from the flags, each overriding the configuration's entry of its kind."""
    live = config.live
    overrides = {
        "jaeger": args.jaeger, "jaeger_lookback": args.jaeger_lookback, "backstage": args.backstage,
        "prometheus": args.prometheus, "prometheus_lookback": args.prometheus_lookback,
    }
    live = replace(live, **{k: v for k, v in overrides.items() if v})
    return replace(config, live=live).live_sources()


def _decide(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
        store = _store(args, config)
        assert store is not None
        decision = store.decide_by_id(args.proposal, args.verb, args.reason)
    except (ConfigError, DecisionError) as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"{decision.proposal_id} {decision.status}: {decision.reason} ({', '.join(decision.members)})")
    return EXIT_OK


def _history(args: argparse.Namespace) -> int:
    try:
        store = _store(args, _config(args))
    except ConfigError as exc:
        print(f"advisor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert store is not None
    runs = store.history(top=False)
    if args.format == "json":
        print(json.dumps([{k: v for k, v in asdict(r).items() if k != "top"} for r in runs], indent=2))
        return EXIT_OK
    if not runs:
        print(f"no runs recorded in {store.path}")
        return EXIT_OK
    print(f"{'run':>4}  {'when':<20} {'services':>8} {'deps':>6} {'clusters':>8} {'proposals':>9} {'cycles':>6}")
    for r in runs:
        print(f"{r.id:>4}  {r.at:<20} {r.services:>8} {r.dependencies:>6} {r.clusters:>8} {r.proposals:>9} "
              f"{r.cycles:>6}")
    return EXIT_OK


def _dashboard(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
    env = dict(os.environ)
    if args.paths:
        env["ADVISOR_PRELOAD"] = os.pathsep.join(os.path.abspath(p) for p in args.paths)
    if args.config:
        env["ADVISOR_CONFIG"] = os.path.abspath(args.config)
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.headless", "true",
           "--server.port", str(args.port), "--server.address", args.address,
           "--browser.gatherUsageStats", "false"]
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {"analyze": _analyze, "decide": _decide, "history": _history, "dashboard": _dashboard}
    return commands[args.command](args)


def run() -> None:
    """The ``advisor`` console script: :func:`main`, then leave without tearing the heap down.

    After an analysis of 20,000 services the interpreter would spend most of a second freeing a
    gigabyte of objects one by one at exit, after all output is written (and a quarter of it
    when :func:`_analyze` returned, but for ``_kept``). Everything is flushed and
    every file closed by then (the decisions store opens, commits and closes a connection per call), so the
    process ends at once. Tests call :func:`main`, which returns normally.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
