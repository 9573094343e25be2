"""Benchmark: funnel_from_sql on a Parquet event log that is never loaded into pandas.

A log of ``--events`` events (50,000,000 for the issue "Event funnels ... the same call on a
warehouse"; one user per 10 events, the journeys and noise of ``bench_events.make_events``) is
written to one Parquet file in batches of 5,000,000 rows, so that even the writer never holds it
whole. Then each engine runs ``funnel_from_sql`` in its own fresh Python process, reading the
file where it lies (DuckDB: ``read_parquet``; chDB: ``file(..., Parquet)``): DuckDB in ordered,
strict and any order, chDB in ordered mode (``windowFunnel``) only, since chDB re-runs every
reference to a ``WITH`` subquery and the join-based strict and any queries, exact as they are,
take minutes there at this size (``--chdb-orders`` to change it). The table gives the wall time of
each query and the peak resident memory of that process over its whole life (``ru_maxrss``), next
to the size of the file and the size the log would take as a pandas DataFrame (estimated from the
first batch). Both engines must give identical counts.

    python benchmarks/bench_warehouse.py                   # 5,000,000 events (make bench)
    python benchmarks/bench_warehouse.py --events 50M      # the figures of the issue
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_events import STEPS, _size, make_events  # noqa: E402

BATCH = 5_000_000
ORDERS = ("ordered", "strict", "any")


def write_log(path: str, n_events: int, seed: int) -> int:
    """Write the log batch by batch; returns the pandas size of the first batch, per event."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    per_event = 0
    done = 0
    batch_number = 0
    while done < n_events:
        n = min(BATCH, n_events - done)
        frame = make_events(n, max(1, n // 10), seed + batch_number, "str", False)
        frame["user_id"] += batch_number * 20_000_000  # each batch has its own users
        if not per_event:
            per_event = int(frame.memory_usage(deep=True, index=True).sum()) // len(frame)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        del frame
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
        del table
        done += n
        batch_number += 1
    assert writer is not None
    writer.close()
    return per_event


def worker(engine: str, path: str, window: str, orders: list[str]) -> None:
    """One engine, in this fresh process: the three modes on the file; prints JSON."""
    from funnel_lib.warehouse import funnel_from_sql

    if engine == "duckdb":
        import duckdb

        connection = duckdb.connect()
        table = f"read_parquet('{path}')"
    else:
        from chdb import session

        connection = session.Session()
        table = f"file('{path}', Parquet)"
    out: dict = {}
    for order in orders:
        start = time.perf_counter()
        result = funnel_from_sql(connection, table, STEPS, window=window, order=order)  # type: ignore[arg-type]
        out[order] = {"seconds": time.perf_counter() - start, "users": result["users"].tolist(),
                      "median": str(result["median_time"].iloc[-1])}
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", default="5M", help="events in the Parquet log, e.g. 50M")
    parser.add_argument("--window", default="7D")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chdb-orders", default="ordered", help="comma-separated modes to run on chDB")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--orders", default=",".join(ORDERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.file, args.window, args.orders.split(","))
        return 0
    n_events = _size(args.events)
    engines = [e for e, module in (("duckdb", "duckdb"), ("chdb", "chdb")) if _installed(module)]
    if not engines:
        print("skipping: neither duckdb nor chdb is installed (pip install -e '.[sql]')")
        return 0
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "events.parquet")
        started = time.perf_counter()
        per_event = write_log(path, n_events, args.seed)
        size = os.path.getsize(path)
        print(f"Log: {n_events:,} events in {path} ({size / 2**30:.2f} GiB Parquet, written in "
              f"{time.perf_counter() - started:.0f} s); as a pandas DataFrame it would take about "
              f"{per_event * n_events / 2**30:.1f} GiB. Funnel {' -> '.join(STEPS)}, window {args.window}. "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}.")
        print()
        print("| engine | order | seconds | users per step | peak RSS of the process |")
        print("| :----- | :---- | ------: | :------------- | ----------------------: |")
        results = {}
        for engine in engines:
            orders = ",".join(ORDERS) if engine == "duckdb" else args.chdb_orders
            out = subprocess.run([sys.executable, __file__, "--worker", engine, "--file", path, "--window",
                                  args.window, "--orders", orders], capture_output=True, text=True, check=False)
            if out.returncode != 0:
                print(f"{engine} failed:\n{out.stderr[-2000:]}")
                return 1
            results[engine] = json.loads(out.stdout.strip().splitlines()[-1])
            for order in orders.split(","):
                r = results[engine][order]
                print(f"| {engine} | {order} | {r['seconds']:.1f} | {', '.join(f'{u:,}' for u in r['users'])} | "
                      f"{results[engine]['peak_rss'] / 2**30:.2f} GiB |", flush=True)
    agree = all(results[e][o]["users"] == results[f][o]["users"] for e in engines for f in engines for o in ORDERS
                if o in results[e] and o in results[f])
    print()
    print("agreement: " + ("the engines give identical counts in every mode both ran" if agree else "MISMATCH"))
    print(f"load average at the end {os.getloadavg()[0]:.1f} (a shared machine: times are noisy)")
    return 0 if agree else 1


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    sys.exit(main())
