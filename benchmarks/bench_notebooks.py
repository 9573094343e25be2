"""Time every lesson notebook, headless, against the course's budget (20 s each, 180 s in all).

Each notebook is executed in memory (the files are never changed) ``--runs`` times in this
process; the table shows the median. Exits 1 when a notebook or the total is over budget, or
when a notebook fails.

    python benchmarks/bench_notebooks.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
LESSON_BUDGET_S = 20.0
TOTAL_BUDGET_S = 180.0


def run_once(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"
              or (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    if errors:
        raise RuntimeError(f"{path.name}: {len(errors)} error or stderr outputs")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per notebook; the median is reported (default 3)")
    args = parser.parse_args(argv)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"Lesson notebooks, headless; median of {args.runs} runs (budget {LESSON_BUDGET_S:.0f} s each)")
    print(f"{'notebook':<44}{'median':>10}{'budget':>10}")
    total, over = 0.0, []
    for path in notebooks:
        seconds = statistics.median(run_once(path) for _ in range(args.runs))
        total += seconds
        flag = "ok" if seconds <= LESSON_BUDGET_S else "OVER"
        if flag == "OVER":
            over.append(path.name)
        print(f"{path.name:<44}{seconds:>8.1f} s{flag:>10}", flush=True)
    print(f"{'total':<44}{total:>8.1f} s{'ok' if total <= TOTAL_BUDGET_S else 'OVER':>10}")
    return 0 if not over and total <= TOTAL_BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
