"""How responsive the dashboard is, measured in a real browser on generated inventories.

For every size (default 500, 2,000 and 20,000 services) this generates an inventory with
:func:`bench.generate.generate`, starts ``streamlit run dashboard/streamlit_app.py`` with
``ADVISOR_PRELOAD`` pointing at it, and drives Debian's Chromium with Playwright:

* **load to proposals, cold**: from opening the Proposals page in a fresh server (nothing cached, the
  parse cache empty, so this includes reading and analysing the inventory) until the first proposal
  card is drawn;
* **load to proposals, warm**: the same in a new browser session right after (the analysis is held
  in memory; the background warm-up of the other pages' views may still be running);
* **load to proposals after a restart**: the same in a new server, the parse cache left by the first;
* **interactions** in one session, each from the click until Streamlit has finished the run and drawn
  what it produced: switching to every page (first and second visit), drilling into a cluster by
  clicking it in the graph, selecting a service by clicking it, and applying a team filter.

An interaction is done when the app reports ``data-test-script-state="notRunning"``, no element is
still a loading skeleton, and the text the interaction produces is on the page. The aim is at most
1 s per interaction at 2,000 services (issue 7: responsive at 2,000, usable at 20,000). Results go
to ``bench/results/dashboard.json`` and are printed.
This is a measurement, not a test: nothing fails when a number is high.

Usage::

    python -m bench.dashboard_bench                  # 500, 2,000 and 20,000 services
    python -m bench.dashboard_bench --sizes 200      # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.streamlit_server import running_dashboard

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
APP = REPO / "dashboard" / "streamlit_app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
TARGET_SECONDS = 1.0
PAGES = ("Overview", "Coupling graph", "Coupling matrix", "Services", "Proposals", "Export", "Inventory")


def server_memory_mb(pid: int) -> dict[str, float]:
    """The resident memory of the server process now and at its peak, in MB (``/proc/PID/status``)."""
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        return {}
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_mb": fields.get("VmHWM", 0.0)}


@contextmanager
def dashboard(inventory: Path, store: Path, cache_home: Path, pids: list[int] | None = None) -> Iterator[str]:
    """A fresh ``streamlit run`` preloaded with ``inventory``, its parse cache in ``cache_home``;
    yields its URL (and appends the server's process id to ``pids``)."""
    with tempfile.TemporaryFile() as log:
        env = {"ADVISOR_CONFIG": None, "ADVISOR_PRELOAD": str(inventory), "ADVISOR_STORE": str(store),
               "XDG_CACHE_HOME": str(cache_home), "ADVISOR_NO_CACHE": None}
        try:
            with running_dashboard(env, log, started=pids.append if pids is not None else None) as url:
                yield url
        except RuntimeError as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}: {log.read().decode(errors='replace')[-2000:]}") from None


def settle(page: Any, *, timeout_ms: int = 600_000) -> None:
    """Wait until the current run has finished and nothing is still a loading skeleton."""
    page.wait_for_function(
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            return app && app.dataset.testConnectionState === "CONNECTED"
                && app.dataset.testScriptState === "notRunning"
                && !document.querySelector("[data-testid='stSkeleton']");
        }""",
        timeout=timeout_ms, polling=20,
    )


def timed(page: Any, action: Callable[[], None], done: Callable[[], None]) -> float:
    """Seconds from ``action`` until ``done`` holds and the app has settled."""
    t0 = time.perf_counter()
    action()
    page.wait_for_timeout(30)  # let the click reach the server before asking whether it is running
    done()
    settle(page)
    return round(time.perf_counter() - t0, 3)


def _nav(page: Any, title: str) -> Callable[[], None]:
    return lambda: page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()


def _heading(page: Any, title: str) -> Callable[[], None]:
    heading = {"Proposals": "Merge proposals"}.get(title, title)
    return lambda: page.get_by_role("heading", name=heading, exact=True).first.wait_for(timeout=600_000)


def _click_node(page: Any, pick: str) -> None:
    """Hover and click a node of the graph (SVG or WebGL) by its position in the figure's coordinates."""
    point = page.evaluate(
        """(pick) => {
            const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
            const trace = gd.data.find(t => t.customdata && t.customdata.length);
            let i = 0;
            if (pick === "largest") {
                const sizes = trace.marker.size;
                i = sizes.indexOf(Math.max(...sizes));
            }
            const fl = gd._fullLayout, box = gd.getBoundingClientRect();
            return {id: trace.customdata[i],
                    x: box.left + fl._size.l + fl.xaxis.l2p(trace.x[i]),
                    y: box.top + fl._size.t + fl.yaxis.l2p(trace.y[i])};
        }""",
        pick,
    )
    page.mouse.move(point["x"], point["y"])
    page.wait_for_timeout(150)
    page.mouse.click(point["x"], point["y"])


def open_proposals(url: str, browser: Any) -> tuple[Any, float]:
    """A new session on the Proposals page, and the seconds until its first card was drawn and the run
    had settled."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    first_card = page.locator("[class*='st-key-proposal_']").first
    t0 = time.perf_counter()
    page.goto(f"{url}/proposals")
    first_card.wait_for(timeout=900_000)
    settle(page)
    return page, round(time.perf_counter() - t0, 3)


def load_to_proposals(url: str, browser: Any) -> float:
    """:func:`open_proposals`'s seconds, the page closed."""
    page, seconds = open_proposals(url, browser)
    page.close()
    return seconds


def measure(url: str, browser: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"load_to_proposals_cold_s": load_to_proposals(url, browser)}
    page, out["load_to_proposals_warm_s"] = open_proposals(url, browser)  # the session the interactions use

    interactions: dict[str, float] = {}
    for visit in ("first", "second"):
        for title in PAGES:
            interactions[f"switch to {title} ({visit} visit)"] = timed(page, _nav(page, title), _heading(page, title))

    timed(page, _nav(page, "Coupling graph"), _heading(page, "Coupling graph"))
    page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").wait_for()
    interactions["drill into a cluster (click)"] = timed(
        page, lambda: _click_node(page, "largest"),
        lambda: page.get_by_text("coupled pairs drawn").first.wait_for(timeout=120_000))
    page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").wait_for()
    interactions["select a service (click)"] = timed(
        page, lambda: _click_node(page, "first"),
        lambda: page.get_by_text("Selected service").first.wait_for(timeout=120_000))
    page.get_by_role("button", name="Back to all groups").click()
    settle(page)

    # open the filters and the team list first; the measurement starts at the click on a team
    page.get_by_text("Filters (applied before drawing)").click()
    box = page.get_by_test_id("stMultiSelect").filter(has_text="Teams").locator("input")
    box.wait_for(state="visible")
    option = page.get_by_role("option").first
    for _ in range(10):  # typing opens the list of options (every team name has a "-")
        box.click()
        box.press_sequentially("-", delay=100)
        try:
            option.wait_for(timeout=1_000)
            break
        except Exception:
            box.fill("")
    interactions["apply a team filter"] = timed(
        page, option.click, lambda: page.get_by_text("Filtered out:").first.wait_for(timeout=120_000))
    page.close()
    out["interactions_s"] = interactions
    worst = max(interactions.values())
    out["slowest_interaction_s"] = worst
    out["interactions_over_target"] = sorted(k for k, v in interactions.items() if v > TARGET_SECONDS)
    return out


def analysis_items(inventory: Path, cache_home: Path) -> int:
    """Services, resources and dependencies of the inventory's analysis (what the dashboard's memory
    estimate counts), from the report the server left in the parse cache."""
    from advisor.api import analyze_paths
    from inventory.cache import FileCache

    report = analyze_paths([inventory], cache=FileCache(cache_home / "sprawl-advisor"))
    inv = report.inventory
    return len(inv.services) + len(inv.resources) + len(inv.dependencies)


def run(sizes: list[int], *, keep: bool = False) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from bench.generate import generate
    from bench.run import machine

    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "target_seconds_per_interaction": TARGET_SECONDS,
        "how": "Playwright + Debian Chromium against streamlit run with ADVISOR_PRELOAD; one session per size; "
               "an interaction ends when the app is not running, no skeleton is left and its result is shown",
        "sizes": {},
    }
    if not Path(CHROMIUM).exists():
        results["error"] = f"{CHROMIUM} is not installed; nothing was measured"
        return results
    work = RESULTS / "tmp"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for n in sizes:
                root = work / f"dashboard-n{n}-s1"
                t0 = time.perf_counter()
                generate(root, services=n, seed=1)
                generated = round(time.perf_counter() - t0, 2)
                store = root / "decisions.sqlite"
                store.unlink(missing_ok=True)
                print(f"dashboard bench: {n:,} services generated in {generated} s; measuring …", file=sys.stderr,
                      flush=True)
                cache_home = root / "cache"  # empty: the first load parses and analyses everything
                shutil.rmtree(cache_home, ignore_errors=True)
                pids: list[int] = []
                with dashboard(root / "inventory", store, cache_home, pids) as url:
                    started = server_memory_mb(pids[0])
                    entry = measure(url, browser)
                    time.sleep(2)  # the warm-up of the last views, if still running
                    entry["server_memory"] = {"started_rss_mb": started.get("rss_mb"), **server_memory_mb(pids[0])}
                    entry["analysis_items"] = analysis_items(root / "inventory", cache_home)
                with dashboard(root / "inventory", store, cache_home) as url:  # a restart: the cache is warm
                    entry["load_to_proposals_restarted_s"] = load_to_proposals(url, browser)
                entry["services"] = n
                results["sizes"][str(n)] = entry
                if not keep:
                    shutil.rmtree(root, ignore_errors=True)
        finally:
            browser.close()
    return results


def report_table(results: dict[str, Any]) -> str:
    sizes = dict(sorted(results.get("sizes", {}).items(), key=lambda kv: int(kv[0])))
    if not sizes:
        return results.get("error", "nothing measured")
    names = list(next(iter(sizes.values()))["interactions_s"])
    header = "| measurement | " + " | ".join(f"{int(n):,} services" for n in sizes) + " |"
    lines = [header, "|---|" + "---|" * len(sizes)]
    for key, label in (("load_to_proposals_cold_s", "load to proposals, cold (includes the analysis)"),
                       ("load_to_proposals_warm_s", "load to proposals, warm"),
                       ("load_to_proposals_restarted_s", "load to proposals after a restart (parse cache warm)")):
        lines.append(f"| {label} | " + " | ".join(f"{s[key]:.2f} s" if key in s else "–" for s in sizes.values())
                     + " |")
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{s['interactions_s'][name]:.2f} s" for s in sizes.values()) + " |")

    def memory(s: dict[str, Any]) -> str:
        m = s.get("server_memory") or {}
        if not m.get("rss_mb"):
            return "–"
        return f"{m['started_rss_mb']:.0f} -> {m['rss_mb']:.0f} MB (peak {m['peak_mb']:.0f})"

    lines.append("| server memory, started -> after the session | " + " | ".join(memory(s) for s in sizes.values())
                 + " |")
    lines.append("| services + resources + dependencies analysed | "
                 + " | ".join(f"{s['analysis_items']:,}" if "analysis_items" in s else "–" for s in sizes.values())
                 + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,2000,20000",
                        help="comma-separated service counts (default 500,2000,20000)")
    parser.add_argument("--keep", action="store_true", help="keep the generated inventories")
    parser.add_argument("--output", default=str(RESULTS / "dashboard.json"))
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    results = run(sizes, keep=args.keep)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(report_table(results))
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
