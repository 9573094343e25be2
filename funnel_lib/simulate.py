r"""The course's user model: a *teaching model* of how people move through a funnel.

It is a small set of assumptions written as equations so that learners can see cause and
effect. It is not a law of nature and not fitted to your market. Its parameters are fitted to
published rates (:func:`funnel_lib.evidence.calibrate`, :func:`funnel_lib.evidence.benchmarks`)
and carry plausible ranges (:mod:`funnel_lib.uncertainty`); a conclusion that holds only for some
of them depends on an assumption and must say which.

What a rate is a share of
-------------------------
Every rate the model gives is a share of the **audience: the people who are shown the first
step**. For a cold audience that is people who see an ad or a post from someone they have never
heard of, so a cold "click to learn more" lands near real ad click-through rates (about 1 %),
and a conversion of 0.2 % means two people in a thousand who saw the first step.

The equations
-------------
Each person has a latent *readiness* :math:`r` on the 0-10 scale of a step's ask. At the
start, :math:`r_0 \sim \mathcal{N}(\mu, \sigma)` with the audience's mean and spread
(:mod:`funnel_lib.audience`). At step :math:`k` with ask :math:`a_k`, value :math:`v_k` and trust :math:`t_k`:

1. **Attention.** Only some people engage with a step at all:

   .. math:: p^{\mathrm{engage}}_1 = \alpha_{\mathrm{audience}}, \qquad p^{\mathrm{engage}}_{k>1} = 1-\lambda

   :math:`\alpha` is the audience's attention (cold, in a feed: about 1 %; people who open the
   door to a volunteer: 100 %). Someone who has just said yes is engaged; every further step
   still loses the share :math:`\lambda` (the cost of length: padding and stagnation).
2. **The decision.** With the effective readiness :math:`e_k = r_k + w_t t_k` (trust shown at the
   step makes the ask feel safer) and the gap :math:`g_k = a_k - e_k`,

   .. math:: p^{\mathrm{yes}}_k = \operatorname{logistic}(-g_k / s)\,
             e^{-\rho\,\operatorname{softplus}(g_k - m_{\mathrm{res}})}

   The logistic term falls with the size of the ask relative to readiness; the second term
   is *resistance*: asks far above readiness push people away even harder.
3. **After a yes** readiness grows by consistency, value received and trust shown:

   .. math:: r_{k+1} = r_k + \gamma\,(a_k + a_0)\, c_k + w_v v_k + w_r t_k, \qquad
             c_k = \operatorname{logistic}\big((a_k - r_k + m_c)/\tau_c\big)

   :math:`c_k` says how much the yes counts as a commitment: fully for an ask near or above
   readiness, hardly at all for an ask far below it (a trivial step builds nothing and only
   costs attention: that is stagnation in this model). A yes to a bigger ask commits somewhat
   more; :math:`a_0 = 2` keeps that dependence mild and lets even a tiny yes count, because the
   meta-analysis of Dillard, Hunter & Burgoon (1984) found no clear link between the effort of the
   first request and the effect (the size dependence is an assumption of this model).
   :math:`\gamma` is fitted so that one small yes gives the meta-analytic average effect in
   Freedman & Fraser's design; ``best_case_params()`` gives the 1966 best case.

   A person who does not engage or says no leaves the funnel.

Because readiness changes only through yeses, everybody who reaches step :math:`k` from the
same starting readiness has the same path. The **exact engine** therefore integrates over
:math:`r_0` with Gauss-Hermite quadrature (64 nodes) and returns expected shares. The **Monte
Carlo engine** draws ``users`` starting readiness values with a seeded NumPy generator, computes
every person's chance of getting past each step from their own start (exact paths on a grid of
4,097 readiness values, linearly interpolated: error below one in a million) and draws each
person's outcome: how far they got, and whether they left by drifting away or by saying no.
Its results agree with the exact engine within sampling error. With ``draws=N`` the exact engine
also runs for N plausible parameter sets at once and reports the 10th-90th percentile range.

Consequences the tests check: raising a step's ask never raises that step's pass rate; for a
cold audience a small valuable step before a big ask raises conversion; padding a funnel with
trivial steps eventually lowers it; a jump from a tiny ask to a huge one converts worse than a
gradual ladder of the same length. And hotter audiences never convert less: a person's chance
to finish any funnel never falls with their starting readiness, because
:math:`\partial r_{k+1}/\partial r_k \ge 1 - \gamma (10 + a_0)/(4\tau_c) > 0` at the default parameters,
and the presets' attention rises from cold to hot.

>>> from funnel_lib.model import Funnel, Step
>>> big = Funnel([Step("Buy", "conversion", ask=8)])
>>> ladder = Funnel([Step("Watch", "entry", ask=1, value=3), Step("Quiz", "engagement", ask=2, value=4),
...                  Step("Trial", "progression", ask=5, value=6, trust=4), Step("Buy", "conversion", ask=8)])
>>> simulate(ladder).conversion > simulate(big).conversion
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib._format import pair_names
from funnel_lib._validate import (
    between,
    check_funnel,
    check_positive_int,
    check_probability,
    check_seed,
    convert_fields,
    converts,
)
from funnel_lib.audience import Audience, resolve_audience
from funnel_lib.errors import FunnelTypeError, FunnelValueError
from funnel_lib.model import Funnel, Step

__all__ = ["ModelParams", "SimulationResult", "simulate", "compare", "big_ask_baseline", "DEFAULT_PARAMS",
           "conversions_for_draws"]

_QUADRATURE_NODES = 64
_MAX_USERS = 50_000_000
_GRID_POINTS = 4097
_ASK_OFFSET = 2.0
"""a_0 in the consistency gain: even a tiny yes counts a little (see the module docstring)."""


@dataclass(frozen=True, slots=True)
class ModelParams:
    """The user model's parameters (see the module docstring for the equations).

    >>> ModelParams().consistency > 0
    True
    >>> ModelParams(consistency=0.3).consistency
    0.3
    """

    decision_softness: float = field(default=1.5, metadata=converts(between(0.05, 10.0)))
    """s: how gradually the yes-probability falls as the ask outgrows readiness (fitted to the benchmarks)."""
    trust_boost: float = field(default=0.15, metadata=converts(between(0.0, 10.0)))
    """w_t: readiness added, for this step's decision, per point of trust shown."""
    consistency: float = field(default=0.3306, metadata=converts(between(0.0, 10.0)))
    """gamma: readiness gained per point of (ask + a_0) agreed to. The default reproduces the meta-analytic average
    foot-in-the-door effect (Dillard et al. 1984, r = .11) in Freedman & Fraser's design;
    ``funnel_lib.evidence.best_case_params()`` gives the 1966 best case. Both are fitted by
    ``funnel_lib.evidence.calibrate()``."""
    commitment_margin: float = field(default=1.5, metadata=converts(between(0.0, 10.0)))
    """m_c: a yes still counts fully for consistency when the ask is this far below readiness."""
    commitment_softness: float = field(default=1.0, metadata=converts(between(0.05, 10.0)))
    """tau_c: how quickly a yes to an ask far below readiness stops counting as a commitment."""
    value_gain: float = field(default=0.08, metadata=converts(between(0.0, 10.0)))
    """w_v: readiness gained per point of value received."""
    trust_gain: float = field(default=0.04, metadata=converts(between(0.0, 10.0)))
    """w_r: lasting readiness gained per point of trust shown at a step the person took."""
    resistance_margin: float = field(default=2.0, metadata=converts(between(0.0, 10.0)))
    """m_res: how far an ask may exceed readiness before resistance sets in."""
    resistance: float = field(default=0.3, metadata=converts(between(0.0, 10.0)))
    """rho: strength of resistance to asks far above readiness."""
    attention_cost: float = field(default=0.07, metadata=converts(check_probability))
    """lambda: share of engaged people lost to every extra step, whatever its ask (the cost of length)."""

    def __post_init__(self) -> None:
        convert_fields(self)


DEFAULT_PARAMS = ModelParams()


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _logistic(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class _Arrays:
    """The funnel's step sizes as arrays, read once."""

    __slots__ = ("ask", "value", "trust", "n")

    def __init__(self, funnel: Funnel) -> None:
        steps = funnel.steps
        self.ask = np.array([s.ask for s in steps], dtype=float)
        self.value = np.array([s.value for s in steps], dtype=float)
        self.trust = np.array([s.trust for s in steps], dtype=float)
        self.n = len(steps)


def _step_probabilities(k: int, r: np.ndarray, arr: _Arrays, p: Any, attention: Any) -> tuple[Any, np.ndarray]:
    """Probabilities of engaging with step k and of saying yes once engaged, for readiness r.

    ``p`` holds the parameters as floats or as arrays of shape (draws, 1) (see ``funnel_lib.uncertainty``).
    """
    see = attention if k == 0 else 1.0 - p.attention_cost
    gap = arr.ask[k] - (r + p.trust_boost * arr.trust[k])
    yes = _logistic(-gap / p.decision_softness) * np.exp(-p.resistance * _softplus(gap - p.resistance_margin))
    return see, yes


def _after_yes(k: int, r: np.ndarray, arr: _Arrays, p: Any) -> np.ndarray:
    weight = _logistic((arr.ask[k] - r + p.commitment_margin) / p.commitment_softness)
    gain = p.consistency * (arr.ask[k] + _ASK_OFFSET) * weight
    return r + gain + p.value_gain * arr.value[k] + p.trust_gain * arr.trust[k]


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What :func:`simulate` returns: the per-step table, the conversion and, for cohorts, each user.

    ``table`` has one row per step: ``step`` (from 1), ``name``, ``stage``, ``ask``, ``reached``
    (people arriving at the step), ``drifted`` (left without deciding: attention or boredom),
    ``declined`` (saw the ask and said no), ``said_yes``, ``pass_rate`` (said_yes / reached),
    ``share_of_start`` (said_yes / audience) and ``readiness`` (mean readiness of those arriving).
    For the exact engine counts are expected shares of the audience (the audience is 1).

    Results compare by identity (their tables are data frames); the repr is a summary.

    >>> from funnel_lib.model import Funnel, Step
    >>> result = simulate(Funnel([Step("Quiz", "engagement", ask=2), Step("Buy", "conversion", ask=7)]))
    >>> float(result.table["reached"].iloc[0]), bool(result.conversion == result.table["said_yes"].iloc[-1])
    (1.0, True)
    """

    funnel: Funnel
    audience: Audience
    table: pd.DataFrame
    conversion: float
    users: int | None = None
    seed: int | None = None
    cohort: pd.DataFrame | None = None
    params: ModelParams = DEFAULT_PARAMS
    conversion_range: tuple[float, float] | None = None
    """With ``draws=N``: the 10th and 90th percentiles of conversion over N plausible parameter sets."""
    draws: int | None = None

    @property
    def pass_rates(self) -> np.ndarray:
        """Each step's pass rate as an array."""
        return self.table["pass_rate"].to_numpy()

    def _repr_html_(self) -> str:
        how = ("expected shares (exact engine)" if self.users is None
               else f"{self.users:,} simulated people, seed {self.seed}")
        title = html.escape(self.funnel.name or "Funnel")
        shown = self.table[["name", "stage", "ask", "reached", "said_yes", "pass_rate", "share_of_start"]]
        spread = ("" if self.conversion_range is None else
                  f", {self.conversion_range[0]:.2%} to {self.conversion_range[1]:.2%} "
                  f"over {self.draws} plausible models")
        return (f"<div class='funnel-simulation'><b>{title}</b> for a {html.escape(self.audience.name)} audience: "
                f"<span class='funnel-conversion'>conversion {self.conversion:.2%}</span> of the people shown the "
                f"first step ({how}{spread})"
                f"{shown.to_html(float_format=lambda x: f'{x:.3g}')}"
                "<small>A teaching model with stated assumptions, not a forecast.</small></div>")

    def __repr__(self) -> str:
        return (f"SimulationResult(funnel={self.funnel.name!r}, audience={self.audience.name!r}, "
                f"steps={len(self.funnel)}, conversion={self.conversion:.4f}, users={self.users})")


def _exact(arr: _Arrays, audience: Audience, p: ModelParams) -> dict[str, np.ndarray]:
    nodes, weights = _quadrature()
    readiness, see, yes = _paths(arr, audience.readiness_mean + audience.readiness_sd * nodes, p, audience.attention)
    passed = see * yes
    # probability mass of each starting-readiness node arriving at step k
    arriving = weights * np.vstack([np.ones(nodes.size), np.cumprod(passed, axis=0)[:-1]])
    reached = arriving.sum(axis=1)
    seen = (arriving * see).sum(axis=1)
    said_yes = (arriving * passed).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_readiness = np.where(reached > 0, (arriving * readiness).sum(axis=1) / np.maximum(reached, 1e-300), np.nan)
    return {"reached": reached, "drifted": reached - seen, "declined": seen - said_yes,
            "said_yes": said_yes, "readiness": mean_readiness}


def _quadrature() -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.hermite_e.hermegauss(_QUADRATURE_NODES)
    return nodes, weights / weights.sum()


def _paths(arr: _Arrays, r0: np.ndarray, p: ModelParams, attention: float
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For starting readiness values ``r0``: per step, readiness on arrival, P(engage) and P(yes | engaged).

    Readiness only changes through yeses, so everyone who reaches step k from the same start has
    the same path: these arrays describe every person exactly.
    """
    readiness = np.empty((arr.n, r0.size))
    see = np.empty_like(readiness)
    yes = np.empty_like(readiness)
    r = r0.astype(float)
    for k in range(arr.n):
        readiness[k] = r
        see[k], yes[k] = _step_probabilities(k, r, arr, p, attention)
        r = _after_yes(k, r, arr, p)
    return readiness, see, yes


def conversions_for_draws(funnel: Funnel, audience: str | Audience, params: Any, attention: np.ndarray | None = None
                          ) -> np.ndarray:
    """Exact conversion of ``funnel`` for many parameter sets at once (one numpy pass per step).

    ``params`` is a :class:`ModelParams` or any object with the same attributes holding arrays of shape
    ``(draws, 1)``; ``attention`` (shape ``(draws, 1)``) overrides the audience's attention per draw.

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Click", "entry", ask=1), Step("Buy", "conversion", ask=8)])
    >>> bool(abs(conversions_for_draws(f, "cold", DEFAULT_PARAMS)[0] - simulate(f).conversion) < 1e-12)
    True
    """
    who = resolve_audience(audience)
    arr = _Arrays(funnel)
    nodes, weights = _quadrature()
    r = who.readiness_mean + who.readiness_sd * nodes[None, :]
    att = who.attention if attention is None else attention
    alive = np.ones((1, nodes.size))
    for k in range(arr.n):
        see, yes = _step_probabilities(k, r, arr, params, att)
        alive = alive * see * yes
        if k < arr.n - 1:
            r = _after_yes(k, r, arr, params)
    return np.atleast_1d((alive * weights).sum(axis=-1))


def _monte_carlo(arr: _Arrays, audience: Audience, p: ModelParams, users: int, seed: int | None
                 ) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start = rng.normal(audience.readiness_mean, audience.readiness_sd, size=users)
    # Each person's chances depend only on their starting readiness: evaluate the exact paths on a
    # fine grid spanning the sample and interpolate linearly (error below 1e-6, far under sampling error).
    low, high = float(start.min()), float(start.max())
    grid = np.linspace(low, high if high > low else low + 1.0, _GRID_POINTS)
    readiness, see, yes = _paths(arr, grid, p, audience.attention)
    passed = see * yes
    survival = np.cumprod(passed, axis=0)                       # P(said yes to steps 0..k)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift_share = np.where(passed < 1.0, (1.0 - see) / (1.0 - passed), 1.0)  # P(drifted | left at k)
    position = (start - grid[0]) / (grid[1] - grid[0])
    index = np.minimum(position.astype(np.int64), _GRID_POINTS - 2)
    frac = position - index

    # reach[c] = P(completed >= c); one uniform per person decides how far they get. Because
    # reach falls with c, a vectorised binary search over c finds everyone's count in log2(n) passes.
    reach = np.vstack([np.ones(_GRID_POINTS), survival]).ravel()
    u = rng.random(users)
    lo = np.zeros(users, dtype=np.int64)
    hi = np.full(users, arr.n, dtype=np.int64)
    while True:
        open_ = lo < hi
        if not open_.any():
            break
        mid = (lo + hi + 1) // 2
        flat = mid * _GRID_POINTS + index
        inside = u < reach[flat] * (1.0 - frac) + reach[flat + 1] * frac
        lo = np.where(open_ & inside, mid, lo)
        hi = np.where(open_ & ~inside, mid - 1, hi)
    completed = lo
    finished = completed == arr.n
    # a second uniform decides, for those who left, whether they drifted away or declined
    flat = np.minimum(completed, arr.n - 1) * _GRID_POINTS + index
    drift_flat = drift_share.ravel()
    drift_chance = drift_flat[flat] * (1.0 - frac) + drift_flat[flat + 1] * frac
    drifted = ~finished & (rng.random(users) < drift_chance)
    reason = np.where(finished, 0, np.where(drifted, 1, 2)).astype(np.int8)

    out = {name: np.zeros(arr.n) for name in ("reached", "drifted", "declined", "said_yes", "readiness")}
    per_level = np.bincount(completed, minlength=arr.n + 1)
    reached_counts = per_level[::-1].cumsum()[::-1]  # people with completed >= k
    out["reached"][:] = reached_counts[:-1]
    out["said_yes"][:] = reached_counts[1:]
    out["drifted"][:] = np.bincount(completed[reason == 1], minlength=arr.n + 1)[:-1]
    out["declined"][:] = np.bincount(completed[reason == 2], minlength=arr.n + 1)[:-1]
    # mean readiness on arrival: interpolation weights summed per (level, grid point), then one product
    keys = completed * _GRID_POINTS + index
    size = (arr.n + 1) * _GRID_POINTS
    weights = (np.bincount(keys, weights=1.0 - frac, minlength=size)
               + np.bincount(keys + 1, weights=frac, minlength=size + 1)[:size]).reshape(arr.n + 1, _GRID_POINTS)
    by_level = weights @ readiness.T                        # [level c, step k]: sum of readiness at step k
    arriving_sums = by_level[::-1].cumsum(axis=0)[::-1]     # levels >= k
    with np.errstate(invalid="ignore", divide="ignore"):
        out["readiness"][:] = np.where(reached_counts[:-1] > 0,
                                       np.diagonal(arriving_sums)[: arr.n] / np.maximum(reached_counts[:-1], 1), np.nan)
    cohort = pd.DataFrame({
        "user": np.arange(users),
        "readiness_start": start,
        "steps_completed": completed,
        "converted": finished,
        "left_because": pd.Categorical.from_codes(reason, categories=["completed", "drifted away", "declined"]),
    })
    return out, cohort


def simulate(funnel: Funnel, audience: str | Audience = "cold", users: int | None = None, seed: int | None = None,
             params: ModelParams | None = None, draws: int | None = None) -> SimulationResult:
    """Run the user model on a funnel: exact expected flow, or a seeded cohort of ``users`` people.

    Every count is a share of the **audience: the people shown the first step** (for a cold
    audience, people who see an ad or a post from someone they have never heard of). With
    ``draws=N`` the result also carries ``conversion_range``: the 10th and 90th percentiles of
    conversion over N plausible parameter sets (:mod:`funnel_lib.uncertainty`), seeded by ``seed``.

    >>> from funnel_lib.model import Funnel, Step
    >>> low, high = simulate(Funnel([Step("Click", "entry", ask=1)]), draws=100, seed=1).conversion_range
    >>> 0.004 < low < high < 0.02
    True

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Quiz", "engagement", ask=2, value=4), Step("Buy", "conversion", ask=7)])
    >>> round(simulate(f, "warm").conversion, 4)
    0.0052
    >>> result = simulate(f, "warm", users=10_000, seed=1)
    >>> abs(result.conversion - simulate(f, "warm").conversion) < 0.02
    True
    >>> result.cohort.columns.tolist()
    ['user', 'readiness_start', 'steps_completed', 'converted', 'left_because']
    """
    check_funnel("funnel", funnel, purpose="simulating")
    who = resolve_audience(audience)
    if params is None:
        params = DEFAULT_PARAMS
    elif not isinstance(params, ModelParams):
        raise FunnelTypeError(f"params must be a ModelParams, got {params!r} ({type(params).__name__})")
    seed = check_seed("seed", seed)
    arr = _Arrays(funnel)
    cohort = None
    if users is None:
        out = _exact(arr, who, params)
        size = 1.0
    else:
        users = check_positive_int("users", users)
        if users > _MAX_USERS:
            raise FunnelValueError(f"users must be at most {_MAX_USERS:,}, got {users:,}")
        out, cohort = _monte_carlo(arr, who, params, users, seed)
        size = float(users)
    steps: tuple[Step, ...] = funnel.steps
    reached = out["reached"]
    with np.errstate(invalid="ignore", divide="ignore"):
        pass_rate = np.where(reached > 0, out["said_yes"] / np.where(reached > 0, reached, 1.0), 0.0)
    table = pd.DataFrame({
        "step": np.arange(1, arr.n + 1),
        "name": [s.name for s in steps],
        "stage": [s.stage.value for s in steps],
        "ask": arr.ask,
        "reached": reached if users is None else reached.astype(np.int64),
        "drifted": out["drifted"] if users is None else out["drifted"].astype(np.int64),
        "declined": out["declined"] if users is None else out["declined"].astype(np.int64),
        "said_yes": out["said_yes"] if users is None else out["said_yes"].astype(np.int64),
        "pass_rate": pass_rate,
        "share_of_start": out["said_yes"] / size,
        "readiness": out["readiness"],
    })
    conversion = float(out["said_yes"][-1] / size)
    spread = None
    if draws is not None:
        from funnel_lib.uncertainty import conversion_draws  # noqa: PLC0415 - uncertainty builds on this module

        values = conversion_draws(funnel, who, draws, seed)
        spread = (float(np.percentile(values, 10)), float(np.percentile(values, 90)))
    return SimulationResult(funnel=funnel.copy(), audience=who, table=table, conversion=conversion,
                            users=users, seed=seed, cohort=cohort, params=params, conversion_range=spread, draws=draws)


def big_ask_baseline(funnel: Funnel) -> Funnel:
    """The "one big ask" version of a funnel: only its last step, asked cold.

    >>> from funnel_lib.model import Funnel, Step
    >>> f = Funnel([Step("Watch", "entry", ask=1), Step("Buy", "conversion", ask=8)], name="ladder")
    >>> [s.name for s in big_ask_baseline(f)]
    ['Buy']
    """
    check_funnel("funnel", funnel, purpose="asking for its one big ask (the baseline needs a last step)")
    return Funnel([funnel.steps[-1]], name="one big ask")


def compare(funnel_a: Funnel, funnel_b: Funnel, audience: str | Audience = "cold",
            params: ModelParams | None = None) -> pd.DataFrame:
    """Side-by-side exact results for two funnels and the same audience.

    One row per funnel: steps, conversion, and conversion relative to the first funnel.

    >>> from funnel_lib.model import Funnel, Step
    >>> big = Funnel([Step("Buy", "conversion", ask=8)], name="one big ask")
    >>> ladder = Funnel([Step("Quiz", "engagement", ask=2, value=5), Step("Buy", "conversion", ask=8)], name="ladder")
    >>> table = compare(big, ladder)
    >>> table.index.tolist(), bool(table.loc["ladder", "times_first"] > 1)
    (['one big ask', 'ladder'], True)
    """
    check_funnel("funnel_a", funnel_a, purpose="comparing")
    check_funnel("funnel_b", funnel_b, purpose="comparing")
    results = [simulate(f, audience, params=params) for f in (funnel_a, funnel_b)]
    names = list(pair_names(funnel_a.name, funnel_b.name))
    base = results[0].conversion
    frame = pd.DataFrame({
        "steps": [len(funnel_a), len(funnel_b)],
        "conversion": [r.conversion for r in results],
        "times_first": [r.conversion / base if base > 0 else np.nan for r in results],
    }, index=pd.Index(names, name="funnel"))
    frame.attrs["audience"] = results[0].audience.name
    return frame
