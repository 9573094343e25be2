"""Benchmark: funnel_from_events against ClickHouse (chDB), DuckDB and pandas on one big event log.

The scenario of the issue "Measure real funnels": 10,000,000 events from 1,000,000 users, a
5-step funnel with a 7-day window in ordered mode, from an in-memory pandas DataFrame.

* funnel_lib: ``funnel_from_events`` (numpy/pandas only; it also computes median and p90 times).
* ClickHouse: ``windowFunnel`` through chDB (embedded ClickHouse), the query of ``funnel_sql``.
* DuckDB: the ``ASOF JOIN`` chain of ``funnel_sql(dialect="duckdb")`` over the registered frame.
* pandas: a ``merge_asof`` chain (the greedy chain written with plain pandas).

Every engine runs ``--runs`` times (at least 3), interleaved, in this process; the table shows the
median wall time, the ratio to the fastest peer (the SQL engines and pandas are peers) and the
peak extra resident memory during a run (peak RSS minus RSS before, via /proc/self/clear_refs
on Linux), also as a multiple of the input frame's size. All four must give identical per-step
counts, or the script fails.

    python benchmarks/bench_events.py                      # the full 10M-event scenario
    python benchmarks/bench_events.py --events 200000 --users 20000   # a quick run
    python benchmarks/bench_events.py --shuffle            # rows not in time order
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from funnel_lib.events import funnel_from_events  # noqa: E402
from funnel_lib.sql import funnel_sql  # noqa: E402

STEPS = ["visit", "signup", "activate", "trial", "purchase"]
NOISE = ["page_view", "scroll", "search", "click", "video_play"]


def make_events(n_events: int, n_users: int, seed: int = 0, event_dtype: str = "str",
                shuffle: bool = False) -> pd.DataFrame:
    """A realistic-ish log: journeys through the funnel plus noise, time-ordered like a real log.

    Each user has one or more journeys (1 + Poisson(0.6)); a journey starts with a visit and goes
    on step by step with probabilities 0.6, 0.5, 0.45, 0.35, after log-normal delays (median one
    hour, heavy tail: some exceed the window). The rest of the rows are noise: page views, scrolls,
    searches, clicks and plays, plus 5 % stray step events at random times. Activity is skewed
    (log-normal weights), user ids are scattered integers, times have microsecond resolution (UTC).
    """
    rng = np.random.default_rng(seed)
    weight = rng.lognormal(0.0, 1.0, n_users)
    weight /= weight.sum()
    n_journeys = n_users + rng.poisson(0.6 * n_users)
    journey_user = np.concatenate([np.arange(n_users), rng.choice(n_users, n_journeys - n_users, p=weight)])
    journey_start = rng.integers(0, 30 * 86400 * 10**6, n_journeys)
    depth = np.ones(n_journeys, dtype=np.int64)
    alive = np.ones(n_journeys, dtype=bool)
    for p in (0.6, 0.5, 0.45, 0.35):
        alive &= rng.random(n_journeys) < p
        depth += alive
    journey = np.repeat(np.arange(n_journeys), depth)
    first = np.repeat(np.cumsum(depth) - depth, depth)
    k = np.arange(journey.size) - first
    delay = np.where(k == 0, 0, rng.lognormal(np.log(3600e6), 2.2, journey.size)).astype(np.int64)
    elapsed = np.cumsum(delay)
    elapsed -= elapsed[first]
    n_noise = n_events - journey.size
    if n_noise < 0:
        raise SystemExit(f"--events {n_events} is too few for --users {n_users}: the journeys alone need "
                         f"{journey.size} events; use more events or fewer users")
    noise_user = rng.choice(n_users, n_noise, p=weight)
    noise_time = rng.integers(0, 35 * 86400 * 10**6, n_noise)
    stray = np.arange(n_noise) < n_noise // 20
    noise_event = np.where(stray, rng.integers(0, len(STEPS), n_noise), len(STEPS) + rng.integers(0, len(NOISE),
                                                                                                   n_noise))
    user = np.concatenate([journey_user[journey], noise_user])
    when = np.concatenate([journey_start[journey] + elapsed, noise_time])
    what = np.concatenate([k, noise_event])
    order = rng.permutation(user.size) if shuffle else np.argsort(when, kind="stable")
    names = np.array(STEPS + NOISE, dtype=object)
    base = np.datetime64("2024-03-01T00:00:00", "us")
    return pd.DataFrame({
        "user_id": (user[order] * 7919 % 10_000_019 + 1_000_000).astype(np.int64),
        "timestamp": pd.DatetimeIndex(base + when[order].astype("timedelta64[us]")).tz_localize("UTC"),
        "event": pd.Series(names[what[order]]).astype(event_dtype),
    })


# ----------------------------------------------------------------------------- engines

def run_funnel_lib(df: pd.DataFrame, window: str) -> list[int]:
    return funnel_from_events(df, STEPS, window=window)["users"].tolist()


def run_chdb(df: pd.DataFrame, window: str) -> list[int]:
    import chdb

    sql = funnel_sql(STEPS, dialect="clickhouse", table="Python(df)", window=window)
    return chdb.query(sql, "DataFrame")["users"].astype("int64").tolist()


def run_duckdb(df: pd.DataFrame, window: str) -> list[int]:
    import duckdb

    with duckdb.connect() as con:
        con.register("events", df)
        result = con.execute(funnel_sql(STEPS, dialect="duckdb", table="events", window=window)).df()
    return result["users"].astype("int64").tolist()


def run_pandas(df: pd.DataFrame, window: str) -> list[int]:
    """The greedy chain with pandas.merge_asof: per step, the next event at or after the chain's end."""
    width = pd.Timedelta(window)
    steps = df[df["event"].isin(STEPS)]
    chain = steps.loc[steps["event"] == STEPS[0], ["user_id", "timestamp"]].rename(columns={"timestamp": "t0"})
    chain["end"] = chain["t0"]
    counts = [chain["user_id"].nunique()]
    for name in STEPS[1:]:
        right = steps.loc[steps["event"] == name, ["user_id", "timestamp"]].rename(columns={"timestamp": "next"})
        chain = pd.merge_asof(chain.sort_values("end"), right.sort_values("next"), left_on="end", right_on="next",
                              by="user_id", direction="forward", allow_exact_matches=True)
        chain = chain[chain["next"].notna() & (chain["next"] - chain["t0"] <= width)]
        chain = chain[["user_id", "t0", "next"]].rename(columns={"next": "end"})
        counts.append(chain["user_id"].nunique())
    return counts


ENGINES: dict[str, Callable[[pd.DataFrame, str], list[int]]] = {
    "funnel_lib": run_funnel_lib,
    "ClickHouse windowFunnel (chdb)": run_chdb,
    "DuckDB ASOF JOIN chain": run_duckdb,
    "pandas merge_asof chain": run_pandas,
}


# ----------------------------------------------------------------------------- measuring

def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")  # pragma: no cover


class PeakMemory:
    """Peak extra resident memory of a block: resets the kernel's high-water mark (Linux), or samples."""

    def __init__(self) -> None:
        self.extra_bytes = 0
        self._stop = threading.Event()
        self._peak = 0

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self._before = _rss_kb("VmRSS")
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            self._exact = True
        except OSError:  # pragma: no cover - not allowed: sample every millisecond instead
            self._exact = False
            self._peak = self._before
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:  # pragma: no cover
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_kb("VmRSS"))
            time.sleep(0.001)

    def __exit__(self, *exc: object) -> None:
        if self._exact:
            peak = _rss_kb("VmHWM")
        else:  # pragma: no cover
            self._stop.set()
            self._thread.join()
            peak = self._peak
        self.extra_bytes = max(0, peak - self._before) * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7, help="runs per engine (at least 3)")
    parser.add_argument("--window", default="7D")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--event-dtype", default="str", choices=["str", "category", "object"])
    parser.add_argument("--shuffle", action="store_true", help="rows in random order instead of time order")
    parser.add_argument("--skip", action="append", default=[], help="skip engines whose name contains this")
    args = parser.parse_args(argv)
    runs = max(3, args.runs)

    started = time.perf_counter()
    df = make_events(args.events, args.users, args.seed, args.event_dtype, args.shuffle)
    input_bytes = int(df.memory_usage(deep=True, index=True).sum())
    print(f"Log: {len(df):,} events, {df['user_id'].nunique():,} users, {len(STEPS)} steps "
          f"({' -> '.join(STEPS)}), window {args.window}, ordered mode; "
          f"{'shuffled rows' if args.shuffle else 'rows in time order'}; event column {df['event'].dtype}; "
          f"frame {input_bytes / 1e6:,.0f} MB (made in {time.perf_counter() - started:.1f} s)")
    print(f"Machine: {os.cpu_count()} CPUs, numpy {np.__version__}, pandas {pd.__version__}; {runs} runs per "
          f"engine, interleaved")

    engines = {name: run for name, run in ENGINES.items() if not any(s.lower() in name.lower() for s in args.skip)}
    for name, module in (("ClickHouse windowFunnel (chdb)", "chdb"), ("DuckDB ASOF JOIN chain", "duckdb")):
        if name in engines and importlib.util.find_spec(module) is None:
            print(f"skipping {name}: {module} is not installed (pip install -e '.[sql]')")
            del engines[name]
    times: dict[str, list[float]] = {name: [] for name in engines}
    memory: dict[str, int] = {name: 0 for name in engines}
    results: dict[str, list[int]] = {}
    for name, run in engines.items():  # warm up (imports, first-call costs), check agreement
        results[name] = run(df, args.window)
    for _ in range(runs):
        for name, run in engines.items():
            with PeakMemory() as peak:
                start = time.perf_counter()
                counts = run(df, args.window)
                times[name].append(time.perf_counter() - start)
            memory[name] = max(memory[name], peak.extra_bytes)
            if counts != results[name]:
                print(f"error: {name} gave different counts on a repeat run", file=sys.stderr)
                return 1

    medians = {name: statistics.median(t) for name, t in times.items()}
    peers = [name for name in engines if name != "funnel_lib"]
    fastest = min((medians[name] for name in peers), default=float("nan"))
    width = max(len(name) for name in engines)
    print()
    print(f"| {'engine':<{width}} | median s | runs (s)                       | vs fastest peer | peak extra memory |")
    print(f"| {'-' * width} | -------: | :----------------------------- | --------------: | ----------------: |")
    for name in sorted(engines, key=medians.get):
        shown_runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"| {name:<{width}} | {medians[name]:8.3f} | {shown_runs:<30} | {medians[name] / fastest:14.2f}x "
              f"| {memory[name] / 1e6:7,.0f} MB {memory[name] / input_bytes:4.2f}x |")
    print()
    reference = results.get("funnel_lib", next(iter(results.values())))
    agree = all(counts == reference for counts in results.values())
    print("users per step: " + ", ".join(f"{s} {c:,}" for s, c in zip(STEPS, reference)))
    print("agreement: " + ("all engines give identical counts" if agree else "MISMATCH"))
    if not agree:
        for name, counts in results.items():
            print(f"  {name}: {counts}")
        return 1
    if "funnel_lib" in engines and peers:
        ratio = medians["funnel_lib"] / fastest
        mem_ratio = memory["funnel_lib"] / input_bytes
        print(f"target: funnel_lib at most 1.0x the fastest peer -> {ratio:.2f}x "
              f"({'met' if ratio <= 1.0 else 'NOT met'}); peak extra memory at most 2x the input -> "
              f"{mem_ratio:.2f}x ({'met' if mem_ratio <= 2.0 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
