"""Benchmark the user model: exact engine, vectorised Monte Carlo, plausible-model draws, and plain loops.

Prints a table of medians over several runs in this process. Targets from the foundation issue:
exact engine on an 8-step funnel <= 5 ms (fast enough for a live slider), Monte Carlo for
1,000,000 users x 8 steps <= 0.5 s, and >= 50x faster than the same cohort simulated one person
at a time in plain Python. The cohort race uses strangers who all engage with the first step (the
cold audience's readiness, attention 1): at the calibrated cold attention of about 1 % nearly everyone
leaves at step 1, so the per-person loop would do almost no work and the comparison would measure
nothing. The cold cohort is timed too, for information. Issue 10: 200 plausible parameter sets of an 8-step funnel (the
conversion range) in <= 30 ms, vectorised across draws, against the plain loop that runs the exact
engine once per parameter set. The machine is shared: absolute times are noisy, ratios less so.

    python benchmarks/bench_simulate.py [--users 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable

from funnel_lib import Audience, Funnel, Step, simulate
from funnel_lib.audience import AUDIENCES
from funnel_lib.simulate import _ASK_OFFSET, DEFAULT_PARAMS, ModelParams
from funnel_lib.uncertainty import conversion_draws, draw_params

EIGHT_STEPS = Funnel([
    Step.from_catalog("watch_clip"), Step.from_catalog("quiz"), Step.from_catalog("read_post"),
    Step.from_catalog("download_guide"), Step.from_catalog("testimonials"), Step.from_catalog("webinar"),
    Step.from_catalog("free_trial"), Step.from_catalog("buy"),
], name="eight steps")
ENGAGED = Audience("cold, all engaged", AUDIENCES["cold"].readiness_mean, AUDIENCES["cold"].readiness_sd,
                   "cold strangers who all engage with the first step (every simulated person runs the funnel)",
                   attention=1.0)


def per_user_loop(funnel: Funnel, users: int, seed: int, audience: Audience = ENGAGED,
                  p: ModelParams = DEFAULT_PARAMS) -> float:
    """The same model, one person at a time, in plain Python (the peer a vectorised engine must beat)."""
    rng = random.Random(seed)
    steps = funnel.steps
    converted = 0

    def softplus(x: float) -> float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    def logistic(x: float) -> float:
        return 0.5 * (1.0 + math.tanh(0.5 * x))

    for _ in range(users):
        r = rng.gauss(audience.readiness_mean, audience.readiness_sd)
        for k, s in enumerate(steps):
            see = audience.attention if k == 0 else 1.0 - p.attention_cost
            gap = s.ask - (r + p.trust_boost * s.trust)
            yes = logistic(-gap / p.decision_softness) * math.exp(-p.resistance * softplus(gap - p.resistance_margin))
            if rng.random() >= see * yes:
                break
            weight = logistic((s.ask - r + p.commitment_margin) / p.commitment_softness)
            r = r + p.consistency * (s.ask + _ASK_OFFSET) * weight + p.value_gain * s.value + p.trust_gain * s.trust
        else:
            converted += 1
    return converted / users


def per_draw_loop(funnel: Funnel, draws: int, seed: int) -> list[float]:
    """The same plausible parameter sets, one exact-engine call per set (the peer for the vectorised draws)."""
    p = draw_params(draws, seed)
    cold = AUDIENCES["cold"]
    out = []
    for i in range(draws):
        values = {name: float(getattr(p, name)[i, 0]) for name in ModelParams.__dataclass_fields__}
        audience = Audience("cold", cold.readiness_mean, cold.readiness_sd,
                            attention=min(1.0, cold.attention * float(p.attention_cold[i, 0])))
        out.append(simulate(funnel, audience, params=ModelParams(**values)).conversion)
    return out


def median_seconds(fn: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1_000_000, help="cohort size (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the median is reported (default 5)")
    args = parser.parse_args(argv)

    exact_s, exact = median_seconds(lambda: simulate(EIGHT_STEPS), max(args.runs, 50))
    cold_mc_s, _ = median_seconds(lambda: simulate(EIGHT_STEPS, users=args.users, seed=1), args.runs)
    engaged_conv = simulate(EIGHT_STEPS, ENGAGED).conversion
    mc_s, mc = median_seconds(lambda: simulate(EIGHT_STEPS, ENGAGED, users=args.users, seed=1), args.runs)
    loop_s, loop_conv = median_seconds(lambda: per_user_loop(EIGHT_STEPS, args.users, seed=1), args.runs)
    draws_s, draws_vec = median_seconds(lambda: conversion_draws(EIGHT_STEPS, "cold", 200, seed=None),
                                        max(args.runs, 20))
    loop_draws_s, draws_loop = median_seconds(lambda: per_draw_loop(EIGHT_STEPS, 200, seed=5), max(2, args.runs // 2))
    same = conversion_draws(EIGHT_STEPS, "cold", 200, seed=5)
    draws_agree = max(abs(a - b) for a, b in zip(same, draws_loop, strict=True)) < 1e-12  # type: ignore[arg-type]
    exact_conv = exact.conversion  # type: ignore[attr-defined]
    mc_conv = mc.conversion  # type: ignore[attr-defined]
    se = math.sqrt(engaged_conv * (1 - engaged_conv) / args.users)

    print(f"User model, 8-step funnel, cold audience; medians of {args.runs}+ runs in one process")
    print(f"{'engine':<44}{'median':>12}{'conversion':>12}{'target':>16}")
    print(f"{'exact engine (quadrature)':<44}{exact_s * 1e3:>9.2f} ms{exact_conv:>12.4f}{'<= 5 ms':>16}")
    print(f"{f'Monte Carlo, {args.users:,} cold users (numpy)':<44}{cold_mc_s:>10.3f} s{'':>12}{'<= 0.5 s':>16}")
    print(f"all engage with step 1 (exact conversion {engaged_conv:.4f}):")
    print(f"{f'  Monte Carlo, {args.users:,} users (numpy)':<44}{mc_s:>10.3f} s{mc_conv:>12.4f}{'<= 0.5 s':>16}")
    print(f"{f'  plain Python loop, {args.users:,} users':<44}{loop_s:>10.3f} s{loop_conv:>12.4f}{'(peer)':>16}")
    print(f"{'200 plausible models, vectorised (numpy)':<44}{draws_s * 1e3:>9.2f} ms{'':>12}{'<= 30 ms':>16}")
    print(f"{'200 plausible models, one call per model':<44}{loop_draws_s * 1e3:>9.2f} ms{'':>12}{'(peer)':>16}")
    print(f"{'speed-up, vectorised draws vs loop':<44}{loop_draws_s / draws_s:>10.1f} x")
    print(f"vectorised draws equal the per-model loop (to 1e-12): {'yes' if draws_agree else 'NO'}")
    ratio = loop_s / mc_s
    print(f"{'speed-up, numpy vs plain loop':<44}{ratio:>10.1f} x{'':>12}{'>= 50x':>16}")
    agree = abs(mc_conv - engaged_conv) <= 5 * se + 1e-4 and abs(loop_conv - engaged_conv) <= 5 * se + 1e-4
    print(f"agreement with the exact engine within 5 standard errors ({se:.5f}): {'yes' if agree else 'NO'}")
    met = exact_s <= 0.005 and max(mc_s, cold_mc_s) <= 0.5 and ratio >= 50 and draws_s <= 0.030
    print(f"targets met: {'yes' if met else 'NO'}")
    return 0 if agree and draws_agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
