"""Benchmark: funnel_from_events against ClickHouse (chDB), DuckDB and pandas on four shapes of log.

The scenario of the issue "Event funnels: faster than ClickHouse on every shape of log": event logs
of 10,000,000 and 30,000,000 events (one user per 10 events), a 5-step funnel with a 7-day window in
ordered mode, from an in-memory pandas DataFrame, in four shapes: rows in time order or in random
order, times an event column of pandas' ``str`` dtype or ``category``.

* funnel_lib: ``funnel_from_events`` (numpy/pandas only; it also computes median and p90 times).
* ClickHouse: ``windowFunnel`` through chDB (embedded ClickHouse), the query of ``funnel_sql``.
* DuckDB: the ``ASOF JOIN`` chain of ``funnel_sql(dialect="duckdb")`` over the registered frame.
* pandas: a ``merge_asof`` chain (the greedy chain written with plain pandas).

How it measures: the log of each shape is made once and written to an Arrow file; every engine
then runs in its own fresh Python process, which reads the file, runs the engine once to warm up
and ``--runs`` more times (at least 5), timed. The table gives the median wall time, its ratio to
the fastest peer (chDB, DuckDB and pandas are the peers) and the peak *extra* resident memory of
that process while the engine ran: the kernel's high-water mark (``VmHWM``, reset through
``/proc/self/clear_refs`` after the frame is loaded) minus the resident size before the first run,
so it counts numpy, Arrow and the engines' own allocations alike (``tracemalloc`` would not), but
not the loading of an engine's library (chDB's alone is about 0.2 GiB), done before; memory
that loading the file freed is handed back first (Arrow's pool, glibc's ``malloc_trim``), so that
no engine runs in memory that the resident size already counts. It is
shown against chDB's and against the input frame's size. All engines must give identical
per-step counts, or the script fails.

    python benchmarks/bench_events.py                    # 10M events, the four shapes (make bench)
    python benchmarks/bench_events.py --sizes 10M,30M    # the table of the issue
    python benchmarks/bench_events.py --quick            # 1M events, 5 runs: a smoke test
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
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


#: Each SQL engine's Python module, imported before the memory baseline: loading an engine's
#: library (about 0.2 GiB for chdb) is not the memory its query takes.
ENGINE_MODULES = {"ClickHouse windowFunnel (chdb)": "chdb", "DuckDB ASOF JOIN chain": "duckdb"}

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
    """Peak extra resident memory from now on: resets the kernel's high-water mark (Linux), or samples."""

    def __init__(self) -> None:
        gc.collect()
        self.before = _rss_kb("VmRSS")
        self._stop = threading.Event()
        self._peak = self.before
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
            self.exact = True
        except OSError:  # pragma: no cover - not allowed: sample every millisecond instead
            self.exact = False
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:  # pragma: no cover
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_kb("VmRSS"))
            time.sleep(0.001)

    def extra_bytes(self) -> int:
        if self.exact:
            peak = _rss_kb("VmHWM")
        else:  # pragma: no cover
            self._stop.set()
            self._thread.join()
            peak = self._peak
        return max(0, peak - self.before) * 1024


def release_free_memory() -> None:
    """Give memory that is free but still resident back to the system: Arrow's pool and glibc's heap."""
    import ctypes

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def worker(engine: str, path: str, runs: int, window: str) -> None:
    """One engine in this fresh process: load the log, warm up, time ``runs`` runs, print JSON."""
    import pyarrow.feather as feather

    df = feather.read_table(path).to_pandas()
    if engine in ENGINE_MODULES:
        importlib.import_module(ENGINE_MODULES[engine])
    release_free_memory()  # or the engines would reuse what loading freed, unseen by the RSS
    run = ENGINES[engine]
    peak = PeakMemory()
    counts = run(df, window)  # warm-up (imports, first-call costs); its memory counts too
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        again = run(df, window)
        times.append(time.perf_counter() - start)
        if again != counts:
            raise SystemExit(f"{engine} gave different counts on a repeat run")
    print(json.dumps({"times": times, "counts": counts, "extra": peak.extra_bytes(), "exact": peak.exact}))


def measure(engine: str, path: str, runs: int, window: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", engine, "--file", path, "--runs", str(runs),
                          "--window", window], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{engine} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 10**3, "M": 10**6}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * scale)


SHAPES = [("time order", False, "str"), ("time order", False, "category"),
          ("random order", True, "str"), ("random order", True, "category")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10M", help="comma-separated numbers of events, e.g. 10M,30M")
    parser.add_argument("--quick", action="store_true", help="1M events: a smoke test, not a measurement")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per engine (at least 5)")
    parser.add_argument("--window", default="7D")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", action="append", default=[], help="skip engines whose name contains this")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.file, args.runs, args.window)
        return 0
    runs = max(5, args.runs)
    sizes = [1_000_000] if args.quick else [_size(s) for s in args.sizes.split(",")]
    engines = [name for name in ENGINES if not any(s.lower() in name.lower() for s in args.skip)]
    for name, module in (("ClickHouse windowFunnel (chdb)", "chdb"), ("DuckDB ASOF JOIN chain", "duckdb")):
        if name in engines and importlib.util.find_spec(module) is None:
            print(f"skipping {name}: {module} is not installed (pip install -e '.[sql]')")
            engines.remove(name)
    print(f"Machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start; numpy {np.__version__}, "
          f"pandas {pd.__version__}; each engine in its own process, 1 warm-up + {runs} timed runs; "
          f"{len(STEPS)} steps ({' -> '.join(STEPS)}), window {args.window}, ordered mode")
    print()
    print("| events | rows | event column | engine | median s | vs fastest peer | peak extra memory | vs chdb "
          "| vs input |")
    print("| -----: | :--- | :----------- | :----- | -------: | --------------: | ----------------: | ------: "
          "| -------: |")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            for shape, shuffle, dtype in SHAPES:
                df = make_events(n, max(1, n // 10), args.seed, dtype, shuffle)
                input_bytes = int(df.memory_usage(deep=True, index=True).sum())
                path = os.path.join(folder, "log.arrow")
                import pyarrow as pa
                import pyarrow.feather as feather

                feather.write_feather(pa.Table.from_pandas(df, preserve_index=False), path)
                del df
                gc.collect()
                results = {name: measure(name, path, runs, args.window) for name in engines}
                medians = {name: statistics.median(r["times"]) for name, r in results.items()}
                peers = [name for name in engines if name != "funnel_lib"]
                fastest = min((medians[p] for p in peers), default=float("nan"))
                chdb_extra = results.get("ClickHouse windowFunnel (chdb)", {}).get("extra", float("nan"))
                for name in sorted(engines, key=medians.get):
                    extra = results[name]["extra"]
                    print(f"| {n / 1e6:.0f}M | {shape} | {dtype} | {name} | {medians[name]:.2f} | "
                          f"{medians[name] / fastest:.2f}x | {extra / 2**30:.2f} GiB | {extra / chdb_extra:.2f}x | "
                          f"{extra / input_bytes:.2f}x |", flush=True)
                counts = {name: r["counts"] for name, r in results.items()}
                reference = next(iter(counts.values()))
                if any(c != reference for c in counts.values()):
                    print(f"MISMATCH on {n:,} events, {shape}, {dtype}: {counts}")
                    failed = True
                if "funnel_lib" in engines and peers:
                    ratio = medians["funnel_lib"] / fastest
                    mine = results["funnel_lib"]["extra"]
                    ok = ratio <= 1.0 and mine <= 2 * chdb_extra and mine <= 0.5 * input_bytes
                    print(f"|  | input frame {input_bytes / 2**30:.2f} GiB; users per step "
                          f"{', '.join(f'{c:,}' for c in reference)}; targets (<= 1.0x fastest peer, <= 2x chdb's "
                          f"memory, <= 0.5x the input): {'met' if ok else 'NOT met'} |  |  |  |  |  |  |  |",
                          flush=True)
    print()
    print("agreement: " + ("MISMATCH (see above)" if failed else "all engines give identical counts on every shape"))
    print(f"load average at the end {os.getloadavg()[0]:.1f} (a shared machine: absolute times are noisy)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
