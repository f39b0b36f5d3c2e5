"""How well does ``cluster_services`` recover planted merge groups, and how fast?

Prints a Markdown table (the one in ``docs/clustering.md``): for planted-partition coupling graphs
of several sizes (groups of 3-12 services, see ``tests/advisor/planted.py``), the adjusted Rand
index of the automatic resolution against alternatives, and the wall time of the automatic run.

    .venv/bin/python bench/planted_clustering.py                 # 300 1000 2000 5000 20000
    .venv/bin/python bench/planted_clustering.py --sizes 300 2000 --seed 7 --noise 2 --p-in 0.4
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sklearn.metrics import adjusted_rand_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "advisor"))

from planted import labels, planted_partition  # noqa: E402

from advisor.clustering import choose_resolution, cluster_services  # noqa: E402

NO_CAP = 10**9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 2000, 5000, 20000])
    parser.add_argument("--seed", type=int, default=7, help="seed of the planted graph")
    parser.add_argument("--louvain-seed", type=int, default=42)
    parser.add_argument("--noise", type=float, default=1.0, help="mean edges per node to other groups")
    parser.add_argument("--p-in", type=float, default=0.6, help="probability of each extra internal edge")
    parser.add_argument("--tuned-at", type=int, default=1000,
                        help="size whose automatic resolution is then held fixed at every size")
    parser.add_argument("--factors", type=float, nargs="+",
                        help="instead of the comparison, the ARI of the automatic rule with each of these factors")
    args = parser.parse_args()
    if args.factors:
        sweep(args)
        return

    G0, _ = planted_partition(args.tuned_at, seed=args.seed, noise=args.noise, p_in=args.p_in)
    fixed = choose_resolution(G0)

    print(f"planted partitions: groups of 3-12, p_in={args.p_in}, noise={args.noise}, graph seed {args.seed}, "
          f"Louvain seed {args.louvain_seed}; fixed resolution = auto at {args.tuned_at} nodes = {fixed:.2f}")
    print()
    print("| services | edges | auto resolution | ARI auto | ARI auto (no cap) | ARI 1.0 | ARI 1.0 (no cap) "
          f"| ARI weighted <k> | ARI weighted <k> (no cap) | ARI fixed {fixed:.1f} | time auto |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        G, truth = planted_partition(n, seed=args.seed, noise=args.noise, p_in=args.p_in)
        nodes = sorted(G)
        expected = [truth[v] for v in nodes]

        def ari(groups: list[tuple[str, ...]], nodes: list[str] = nodes, expected: list[int] = expected) -> float:
            return adjusted_rand_score(expected, labels(nodes, groups))

        def run(resolution: float | str, max_size: int = 12, G: object = G) -> str:
            return f"{ari(cluster_services(G, resolution=resolution, seed=args.louvain_seed, max_size=max_size)):.3f}"

        auto = choose_resolution(G)
        t0 = time.perf_counter()
        found = cluster_services(G, seed=args.louvain_seed)
        elapsed = time.perf_counter() - t0
        n_active = sum(1 for v in G if G.degree(v))
        weighted = 0.16 * n_active / (2 * G.size(weight="weight") / n_active)
        row = [
            n, G.number_of_edges(), f"{auto:.1f}", f"{ari(found):.3f}", run("auto", NO_CAP),
            run(1.0), run(1.0, NO_CAP), run(weighted), run(weighted, NO_CAP), run(fixed), f"{elapsed:.2f} s",
        ]
        print("| " + " | ".join(str(c) for c in row) + " |", flush=True)


def sweep(args: argparse.Namespace) -> None:
    print(f"planted partitions: groups of 3-12, p_in={args.p_in}, noise={args.noise}, graph seed {args.seed}, "
          f"Louvain seed {args.louvain_seed}; resolution = factor * N / <k>, max_size 12")
    print()
    print("| services | " + " | ".join(f"factor {f:g}" for f in args.factors) + " |")
    print("|---:|" + "---:|" * len(args.factors))
    for n in args.sizes:
        G, truth = planted_partition(n, seed=args.seed, noise=args.noise, p_in=args.p_in)
        nodes = sorted(G)
        expected = [truth[v] for v in nodes]
        cells = [
            f"{adjusted_rand_score(expected, labels(nodes, cluster_services(G, factor=f, seed=args.louvain_seed))):.3f}"
            for f in args.factors
        ]
        print(f"| {n} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
