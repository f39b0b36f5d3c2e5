"""Source scanner: MB/s and files/s on a generated tree of checked-out repositories.

Issue 3 asks for the scanning speed on a generated tree of 10,000 files. This script

1. generates, with a fixed seed, a monorepo of ``--files`` files (default 10,000) under
   ``bench/results/tmp/source-scan/``: one folder per service (Java/Spring, Go, Python, Node,
   TypeScript, C#, C++, Kotlin, Ruby), each with its build file, Dockerfile and application
   configuration, source files of 1-12 KB with comments, string literals, URLs to peers, datastore
   connection strings and Kafka calls, plus tests and documentation that are skipped; a
   ``docker-compose.yml`` at the root points at every service's build context;
2. measures, in this process:
   * **scan**: :func:`inventory.sourcecode.scan_source` on every file already in memory (the scanner
     alone: classify, lex, find references and messaging);
   * **read, 1 worker** and **read, 2 workers**: :func:`inventory.reading.read_inputs` on the tree (the
     path ``advisor analyze`` takes: open, decode, offer to the document readers, then the scanner);
   * **resolve**: :func:`inventory.reading.resolve_results` (the code map, claims and identity joins);
3. writes ``bench/results/source_scan.json`` and prints a table (MB/s counts the bytes of every file
   in the tree, skipped ones included).

Usage::

    python -m bench.source_scan                  # 10,000 files
    python -m bench.source_scan --files 2000 --keep
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inventory.documents import Limits

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

_LANGS = ("java", "go", "python", "node", "typescript", "csharp", "cpp", "kotlin", "ruby")
_EXT = {"java": ".java", "go": ".go", "python": ".py", "node": ".js", "typescript": ".ts", "csharp": ".cs",
        "cpp": ".cpp", "kotlin": ".kt", "ruby": ".rb"}
_COMMENT = {"python": "#", "ruby": "#"}


def _body(lang: str, rng: random.Random, peers: list[str], me: str, size: int) -> str:
    """A source file of about ``size`` bytes in ``lang`` that calls some peers."""
    c = _COMMENT.get(lang, "//")
    lines: list[str] = [f"{c} {me}: generated benchmark source. Copyright the benchmark authors."]
    i = 0
    while sum(len(x) + 1 for x in lines) < size:
        i += 1
        peer = rng.choice(peers)
        roll = rng.random()
        if roll < 0.08:
            lines.append(f'    String url{i} = "http://{peer}:8080/api/v1/items/";')
        elif roll < 0.12:
            lines.append(f'    kafkaTemplate.send("{peer}-events", payload{i});')
        elif roll < 0.14:
            lines.append(f'    conn{i} = connect("mongodb://{me}-db:27017/{me}");')
        elif roll < 0.30:
            lines.append(f"    {c} calls http://{peer}:8080 when the cache is cold ({i})")
        elif roll < 0.55:
            lines.append(f'    log.info("processed {{}} records for user {{}} in batch {i}", count, user);')
        else:
            lines.append(f"    value{i} = compute(value{i - 1}, {rng.randint(0, 999)}) + offset * {i};")
    return "\n".join(lines) + "\n"


def generate(root: Path, files: int, *, seed: int = 1) -> dict[str, int]:
    """Write a monorepo of about ``files`` files under ``root``; returns counts."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    per_service = 50
    services = max(2, files // per_service)
    names = [f"svc-{i:04d}" for i in range(services)]
    compose = ["services:"]
    written = 0
    total_bytes = 0
    for n, name in enumerate(names):
        lang = _LANGS[n % len(_LANGS)]
        folder = root / name
        src = folder / "src"
        src.mkdir(parents=True)
        compose += [f"  {name}:", f"    build: ./{name}", f"  {name}-db:", "    image: mongo:7"]
        fixed = {
            "Dockerfile": "FROM runtime:latest\nENV LOG_LEVEL=info\n",
            "README.md": f"# {name}\n\nCalls http://{names[(n + 1) % services]}:8080.\n",
        }
        if lang in ("java", "kotlin"):
            fixed["pom.xml"] = f"<project><artifactId>{name}</artifactId></project>\n"
            fixed["src/application.yml"] = (f"spring:\n  data:\n    mongodb:\n      host: {name}-db\n"
                                            f"peer:\n  url: http://{names[(n + 2) % services]}:8080\n")
        elif lang == "go":
            fixed["go.mod"] = f"module example.com/{name}\n"
            fixed["config.json"] = json.dumps({"PeerAddress": f"{names[(n + 2) % services]}:8080"})
        elif lang in ("node", "typescript"):
            fixed["package.json"] = json.dumps({"name": name})
        elif lang == "csharp":
            fixed[f"{name}.csproj"] = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>\n"
            fixed["appsettings.json"] = json.dumps({"ConnectionString": f"Server={name}-db;Database=x"})
        else:
            fixed["application.properties"] = f"peer.url=http://{names[(n + 2) % services]}:8080\n"
        for rel, text in fixed.items():
            path = folder / rel
            path.write_text(text, encoding="utf-8")
            written += 1
            total_bytes += len(text)
        count = per_service - len(fixed)
        peers = [p for p in rng.sample(names, min(4, services)) if p != name] or [names[0]]
        for k in range(count):
            size = rng.randint(1_000, 12_000)
            if k % 10 == 9:
                (folder / "test").mkdir(exist_ok=True)
                path = folder / "test" / f"Case{k}Test{_EXT[lang]}"
            else:
                path = src / f"Module{k}{_EXT[lang]}"
            text = _body(lang, rng, peers, name, size)
            path.write_text(text, encoding="utf-8")
            written += 1
            total_bytes += len(text)
    compose_text = "\n".join(compose) + "\n"
    (root / "docker-compose.yml").write_text(compose_text, encoding="utf-8")
    return {"services": services, "files": written + 1, "bytes": total_bytes + len(compose_text)}


def _rate(size: int, files: int, seconds: float) -> dict[str, float]:
    return {"seconds": round(seconds, 3), "mb_per_s": round(size / 1e6 / seconds, 2) if seconds else 0.0,
            "files_per_s": round(files / seconds, 1) if seconds else 0.0}


def measure(root: Path) -> dict[str, object]:
    from inventory.reading import read_inputs, resolve_results
    from inventory.sourcecode import scan_source
    from inventory.sources import collect

    inputs = collect([root], _limits())
    texts = []
    for item in inputs.files:
        with open(item.path or "", "rb") as fh:
            texts.append((item.location, fh.read().decode("utf-8")))
    size = sum(len(t.encode("utf-8")) for _, t in texts)
    files = len(texts)
    out: dict[str, object] = {"files": files, "mb": round(size / 1e6, 2)}

    start = time.perf_counter()
    scanned = skipped = 0
    for location, text in texts:
        fragment = scan_source(text, location)
        scanned += fragment.used
        skipped += len(fragment.skipped)
    out["scan"] = _rate(size, files, time.perf_counter() - start) | {"scanned": scanned, "skipped": skipped}

    start = time.perf_counter()
    results = read_inputs(inputs, workers=1)
    out["read_1_worker"] = _rate(size, files, time.perf_counter() - start)

    start = time.perf_counter()
    read_inputs(inputs, workers=2)
    out["read_2_workers"] = _rate(size, files, time.perf_counter() - start)

    start = time.perf_counter()
    inventory = resolve_results(inputs, results)
    out["resolve"] = {"seconds": round(time.perf_counter() - start, 3), "services": len(inventory.services),
                      "dependencies": len(inventory.dependencies)}
    return out


def _limits() -> Limits:
    from inventory.documents import DEFAULT_LIMITS

    return DEFAULT_LIMITS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the generated tree")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    root = RESULTS / "tmp" / "source-scan"
    start = time.perf_counter()
    counts = generate(root, args.files, seed=args.seed)
    generated = time.perf_counter() - start
    try:
        result = measure(root)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load": list(os.getloadavg()) if hasattr(os, "getloadavg") else None},
        "seed": args.seed, "generated": counts, "generate_s": round(generated, 2), **result,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "source_scan.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"source scan: {result['files']:,} files, {result['mb']} MB ({counts['services']} services)")
    print(f"{'stage':<16}{'seconds':>10}{'MB/s':>10}{'files/s':>12}")
    for stage in ("scan", "read_1_worker", "read_2_workers"):
        row = result[stage]
        assert isinstance(row, dict)
        print(f"{stage:<16}{row['seconds']:>10}{row['mb_per_s']:>10}{row['files_per_s']:>12}")
    resolve = result["resolve"]
    assert isinstance(resolve, dict)
    print(f"{'resolve':<16}{resolve['seconds']:>10}   ({resolve['services']} services, "
          f"{resolve['dependencies']} dependencies)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
