"""Where the cores go during one ``advisor analyze``: each stage's wall time and how many of the
machine's cores were busy meanwhile.

The command runs in a child process with its progress display on (stage start and end lines on
stderr, time-stamped here as they arrive); this process samples the machine's CPU counters
(``/proc/stat``) every 50 ms. A stage with one core busy on a two-core machine is one the other core
sat out: the place to look for work to run beside it. The machine is shared, so a busy core may be
someone else's; run it a few times.

Usage::

    python -m bench.timeline DIR [--workers N] [--runs 3] [--cache FOLDER]

With ``--cache`` the command's parse cache is ``FOLDER`` (its ``$XDG_CACHE_HOME``), kept between
runs, instead of an empty one: run once to fill it, change a file, and run again to see where a run
over a changed inventory goes.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Runs ``advisor analyze`` with the progress display on although stderr is a pipe.
_CHILD = """
import sys
import advisor.api as api
shown = api.Stages.__init__
def show(self, *args, **kwargs):
    kwargs["show"] = True
    shown(self, *args, **kwargs)
api.Stages.__init__ = show
from advisor.cli import run
sys.argv = ["advisor", *sys.argv[1:]]
run()
"""


def _cpu() -> tuple[int, int]:
    """(all jiffies, idle jiffies) of the machine so far."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    return sum(values), values[3] + values[4]


def timeline(inventory: str, workers: int | None = None, cache_home: str | None = None
             ) -> list[tuple[float, float, float | None, str]]:
    """``(start s, seconds, cores busy, what)`` per step of one run, with an empty parse cache or the
    one in ``cache_home``."""
    samples: list[tuple[float, int, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.monotonic(), *_cpu()))
            time.sleep(0.05)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    marks: list[tuple[float, str]] = []
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as out:
        cache = cache_home or empty
        args = ["analyze", inventory, "--format", "json", "--no-store", "-o", str(Path(out) / "report.json")]
        if workers is not None:
            args += ["--workers", str(workers)]
        start = time.monotonic()
        marks.append((start, "start (interpreter, imports)"))
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, *args], cwd=REPO, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "XDG_CACHE_HOME": cache})
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("advisor: ") and " done in " not in line:
                marks.append((time.monotonic(), line.strip().removeprefix("advisor: ").removesuffix(" …")))
        proc.wait()
        marks.append((time.monotonic(), "exit"))
    stop.set()
    sampler.join()

    def busy(a: float, b: float) -> float | None:
        inside = [s for s in samples if a <= s[0] <= b]
        if len(inside) < 2 or inside[-1][1] == inside[0][1]:
            return None
        total, idle = inside[-1][1] - inside[0][1], inside[-1][2] - inside[0][2]
        return round((total - idle) / total * cores, 2)

    return [(round(a - start, 2), round(b - a, 2), busy(a, b), what)
            for (a, what), (b, _) in itertools.pairwise(marks)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.timeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("inventory")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cache", metavar="FOLDER", default=None,
                        help="the parse cache's folder, kept between runs (default: an empty one per run)")
    args = parser.parse_args(argv)
    for run in range(args.runs):
        rows = timeline(args.inventory, args.workers, args.cache)
        print(f"run {run + 1}: {rows[-1][0] + rows[-1][1]:.2f} s")
        for start, seconds, busy, what in rows:
            print(f"  {start:6.2f} +{seconds:5.2f} s  cores busy {busy if busy is not None else '–':>4}  {what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
