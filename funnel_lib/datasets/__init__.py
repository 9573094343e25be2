"""Real data for the course, shipped with the package, plus simulated event logs whose truth is known.

Two public data sets travel inside the package (nothing is downloaded); see ``DATA.md`` next to
this file for where they come from and on what terms:

* :func:`load_hillstrom`: Kevin Hillstrom's MineThatData e-mail campaign (March 2008), 64,000
  customers randomly split into "Mens E-Mail", "Womens E-Mail" and "No E-Mail" (the control),
  with visits, conversions and spend in the following two weeks. A real funnel
  (sent -> visit -> purchase) with a real control group. No licence was stated by the author,
  who released it publicly for analysis; cite the source.
* :func:`load_online_shoppers`: the UCI "Online Shoppers Purchasing Intention" data set (id 468),
  12,330 e-commerce sessions, licence CC BY 4.0, by Sakar, Polat, Katircioglu & Kastro (2019),
  Neural Computing and Applications 31, 6893-6908. Observational: engagement depth vs purchase
  is a correlation, not an effect.

:func:`simulate_campaign_events` turns a simulated cohort (:func:`funnel_lib.simulate.simulate`)
into a realistic event log, so that a lesson can measure a log whose answer is known.
:func:`simulate_ab_test` draws the per-person outcomes of an A/B test whose true rates you set
(a primary metric, guardrails, revenue), to practise an analysis whose answer is known.

>>> hillstrom = load_hillstrom()
>>> hillstrom.groupby("segment", observed=True)["visit"].mean().round(4)
segment
No E-Mail        0.1062
Mens E-Mail      0.1828
Womens E-Mail    0.1514
Name: visit, dtype: float64
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib._validate import check_choice, choice_error
from funnel_lib.errors import FunnelValueError

__all__ = [
    "load_hillstrom",
    "load_online_shoppers",
    "simulate_campaign_events",
    "simulate_ab_test",
    "data_path",
    "DATA_FILES",
    "NOISE_EVENTS",
    "SEGMENTS",
]

#: The shipped files and their SHA-256 checksums (the files are byte-for-byte the published ones).
DATA_FILES: dict[str, str] = {
    "hillstrom.csv": "ff9e59285e9dc3f5fa3e0975419e6631ea5bdccd65d818991473d2367e02979c",
    "online_shoppers_intention.csv": "9cda002173422ffbd455fbedcb378cd8b7cea1e6b727faaa39aec08d087d8120",
}

#: Events that are not funnel steps, sprinkled through simulated logs.
NOISE_EVENTS = ("page_view", "scroll", "click", "video_play")
#: Acquisition channels of simulated users (the ``segment`` column), from coolest to warmest.
SEGMENTS = ("social", "search", "email", "referral")

_HILLSTROM_ARMS = ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]  # control first
_HISTORY_SEGMENTS = ["1) $0 - $100", "2) $100 - $200", "3) $200 - $350", "4) $350 - $500", "5) $500 - $750",
                     "6) $750 - $1,000", "7) $1,000 +"]
_MONTHS = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]  # as spelled in the file


def data_path(name: str) -> Path:
    """Path of a shipped data file, by name (one of :data:`DATA_FILES`).

    >>> data_path("hillstrom.csv").name
    'hillstrom.csv'
    """
    check_choice("name", name, sorted(DATA_FILES))
    return Path(str(resources.files(__name__).joinpath("data", name)))


def load_hillstrom() -> pd.DataFrame:
    """Load the Hillstrom e-mail campaign: 64,000 customers, one row each, typed columns.

    Source: Kevin Hillstrom, MineThatData "E-Mail Analytics And Data Mining Challenge" (2008),
    released publicly for analysis without a stated licence; cite the source (see ``DATA.md``).

    Columns: ``recency`` (months since last purchase), ``history_segment`` (ordered category of
    last year's spend), ``history`` (dollars spent last year), ``mens`` / ``womens`` (bought that
    kind of merchandise last year), ``zip_code`` (category, spelled as in the file: "Surburban"),
    ``newbie`` (new customer in the last twelve months), ``channel`` (category), ``segment`` (the
    randomised arm, a category with the control "No E-Mail" first), and the outcomes in the two
    weeks after the e-mail: ``visit`` and ``conversion`` (bool) and ``spend`` (dollars).

    >>> data = load_hillstrom()
    >>> data.shape
    (64000, 12)
    >>> data["segment"].cat.categories.tolist()
    ['No E-Mail', 'Mens E-Mail', 'Womens E-Mail']
    >>> print(round(float(data["conversion"].mean()), 4))
    0.009
    """
    frame = pd.read_csv(data_path("hillstrom.csv"), dtype={
        "recency": "int64", "history": "float64", "spend": "float64", "mens": "int8", "womens": "int8",
        "newbie": "int8", "visit": "int8", "conversion": "int8", "zip_code": "category", "channel": "category"})
    for column in ("mens", "womens", "newbie", "visit", "conversion"):
        frame[column] = frame[column].astype(bool)
    frame["history_segment"] = pd.Categorical(frame["history_segment"], categories=_HISTORY_SEGMENTS, ordered=True)
    frame["segment"] = pd.Categorical(frame["segment"], categories=_HILLSTROM_ARMS)
    return frame


def load_online_shoppers() -> pd.DataFrame:
    """Load the UCI Online Shoppers Purchasing Intention data: 12,330 sessions, typed columns.

    Source: UCI Machine Learning Repository, data set 468, licence CC BY 4.0; cite Sakar, C.O.,
    Polat, S.O., Katircioglu, M. & Kastro, Y. (2019), Neural Computing and Applications 31,
    6893-6908 (see ``DATA.md``). Observational data: use it for correlations, not effects.

    Page counts (``Administrative``, ``Informational``, ``ProductRelated``) are nullable integers
    (14 sessions have no page data); durations and the Google Analytics measures are floats;
    ``Month`` is an ordered category in calendar order (spelled as in the file, "June" in full;
    there are no January or April sessions); ``OperatingSystems``, ``Browser``, ``Region``,
    ``TrafficType`` (numeric codes) and ``VisitorType`` are categories; ``Weekend`` and
    ``Revenue`` (the session bought) are bool.

    >>> data = load_online_shoppers()
    >>> data.shape
    (12330, 18)
    >>> print(int(data["Revenue"].sum()), round(float(data["Revenue"].mean()), 4))
    1908 0.1547
    """
    frame = pd.read_csv(data_path("online_shoppers_intention.csv"), dtype={
        "Administrative": "Int64", "Informational": "Int64", "ProductRelated": "Int64",
        "OperatingSystems": "category", "Browser": "category", "Region": "category", "TrafficType": "category",
        "VisitorType": "category", "Weekend": "bool", "Revenue": "bool"})
    frame["Month"] = pd.Categorical(frame["Month"], categories=_MONTHS, ordered=True)
    for column in ("OperatingSystems", "Browser", "Region", "TrafficType"):
        categories = sorted(int(c) for c in frame[column].cat.categories)
        frame[column] = pd.Categorical(frame[column].astype("int64"), categories=categories)
    return frame


def simulate_campaign_events(funnel: Any, audience: Any = "cold", users: int = 1000, seed: int | None = 0,
                             start: str | pd.Timestamp = "2024-03-04", *, days: float = 14.0,
                             noise: float = 4.0, repeats: float = 0.3) -> pd.DataFrame:
    """Turn a simulated cohort into a realistic event log whose true funnel is known.

    Runs :func:`funnel_lib.simulate.simulate` (``users`` people, ``seed``) and writes one event per
    step each person said yes to, in funnel order, named after the step. People arrive at random
    over ``days`` days from ``start``; the delay before each next step grows with its ask (bigger
    asks take longer: minutes for a glance, hours to days for a purchase). Around them: ``noise``
    non-step events per person on average (:data:`NOISE_EVENTS`, e.g. ``page_view``), and, for a
    share ``repeats`` of people, a later repeat of a step they already took. ``segment`` is each
    person's acquisition channel (:data:`SEGMENTS`); warmer channels bring readier people.

    Returns columns ``user_id`` (the cohort's ``user``), ``timestamp`` (UTC, millisecond
    resolution), ``event`` and ``segment``, sorted by time. With ``window=None``,
    :func:`funnel_lib.events.funnel_from_events` recovers the cohort exactly (the number of people
    who completed at least k steps); a finite window misses slow converters, as in real logs.

    >>> from funnel_lib.model import Funnel, Step
    >>> from funnel_lib.events import funnel_from_events
    >>> funnel = Funnel([Step("watch_clip", "entry", ask=1, value=3), Step("take_quiz", "engagement", ask=2, value=4),
    ...                  Step("buy", "conversion", ask=6, value=7, trust=6)])
    >>> log = simulate_campaign_events(funnel, "warm", users=500, seed=3)
    >>> log.columns.tolist()
    ['user_id', 'timestamp', 'event', 'segment']
    >>> table = funnel_from_events(log, funnel, window=None)
    >>> from funnel_lib.simulate import simulate
    >>> cohort = simulate(funnel, "warm", users=500, seed=3).cohort
    >>> table["users"].tolist() == [int((cohort["steps_completed"] >= k).sum()) for k in (1, 2, 3)]
    True
    """
    from funnel_lib.simulate import simulate

    for name, value, low in (("days", days, 0.0), ("noise", noise, 0.0), ("repeats", repeats, 0.0)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) or value < low:
            raise FunnelValueError(f"{name} must be a number of at least {low:g}, got {value!r}")
    if repeats > 1:
        raise FunnelValueError(f"repeats must be a share between 0 and 1, got {repeats!r}")
    try:
        origin = pd.Timestamp(start)
    except (ValueError, TypeError):
        raise FunnelValueError(f"start must be a date or time such as '2024-03-04', got {start!r}") from None
    if pd.isna(origin):
        raise FunnelValueError(f"start must be a date or time such as '2024-03-04', got {start!r}")
    origin = origin.tz_localize("UTC") if origin.tzinfo is None else origin.tz_convert("UTC")

    result = simulate(funnel, audience, users=users, seed=seed)
    cohort = result.cohort
    if cohort is None:  # pragma: no cover - simulate(users=...) always returns the cohort
        raise RuntimeError("simulate(users=...) returned no cohort")
    steps = list(result.funnel.steps)
    names = [step.name for step in steps]
    if len(set(names)) != len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})
        raise FunnelValueError(f"funnel steps must have distinct names to become event names; repeated: {repeated}")
    noise_names = [n for n in NOISE_EVENTS if n not in names]
    rng = np.random.default_rng(None if seed is None else [seed, 2024])
    n = len(cohort)
    user = cohort["user"].to_numpy(dtype=np.int64)
    completed = cohort["steps_completed"].to_numpy(dtype=np.int64)

    # channel: warmer channels bring readier people (by readiness rank when the cohort has it)
    if "readiness_start" in cohort.columns and n > 1:
        rank = cohort["readiness_start"].rank(method="first").to_numpy() / n
    else:
        rank = rng.random(n)
    channel_draw = np.clip(rank + rng.normal(0.0, 0.35, n), 0.0, 0.999999)
    segment = (channel_draw * len(SEGMENTS)).astype(np.int64)

    ms_per_minute = 60_000
    arrive = rng.uniform(0.0, days * 24 * 60, n) * ms_per_minute  # ms after start
    # the delay before step k (k >= 1) grows with its ask: median 2 minutes x e^(0.6 ask)
    asks = np.array([step.ask for step in steps], dtype=np.float64)
    n_steps = len(steps)
    step_user = np.repeat(np.arange(n), completed)
    step_k = np.arange(step_user.size) - np.repeat(np.cumsum(completed) - completed, completed)
    median_minutes = 2.0 * np.exp(0.6 * asks[step_k]) if n_steps else np.zeros(0)
    delay = np.where(step_k == 0, rng.uniform(0.1, 1.0, step_user.size),
                     rng.lognormal(np.log(np.maximum(median_minutes, 0.1)), 0.9)) * ms_per_minute
    delay = np.maximum(np.round(delay), 1.0)  # every step strictly after the previous one
    ends = np.cumsum(delay)
    first = np.repeat(np.cumsum(completed) - completed, completed)  # each step event's user's first step
    step_time = arrive[step_user] + ends - (ends[first] - delay[first])  # per-user running sum of delays
    last_seen = arrive.copy()
    if step_user.size:
        np.maximum.at(last_seen, step_user, step_time)

    # everyone lands on a page first; then noise events during their visit and a little after
    noise_count = rng.poisson(noise, n) if noise_names else np.zeros(n, dtype=np.int64)
    noise_user = np.repeat(np.arange(n), noise_count)
    span = last_seen[noise_user] - arrive[noise_user] + 30 * ms_per_minute
    noise_time = arrive[noise_user] + rng.uniform(0.0, 1.0, noise_user.size) * span
    noise_code = 1 + n_steps + rng.integers(0, max(len(noise_names), 1), noise_user.size)
    landing = np.arange(n) if noise_names else np.zeros(0, dtype=np.int64)

    # some people repeat a step they already took, later on (it never adds a step they did not take)
    repeaters = np.flatnonzero((completed > 0) & (rng.random(n) < repeats))
    repeat_k = (rng.random(repeaters.size) * completed[repeaters]).astype(np.int64)
    repeat_time = last_seen[repeaters] + rng.lognormal(np.log(60.0), 1.0, repeaters.size) * ms_per_minute

    # codes: 0 = landing page view, 1..K = steps, K+1.. = noise events
    labels = np.array([noise_names[0] if noise_names else ""] + names + noise_names, dtype=object)
    all_user = np.concatenate([landing, step_user, noise_user, repeaters])
    all_time = np.concatenate([arrive[landing] - ms_per_minute / 2, step_time, noise_time, repeat_time])
    all_code = np.concatenate([np.zeros(landing.size, dtype=np.int64), 1 + step_k, noise_code, 1 + repeat_k])
    order = np.lexsort((all_code, all_time))
    millis = np.round(all_time[order]).astype(np.int64).astype("timedelta64[ms]")
    timestamps = pd.DatetimeIndex(origin.tz_convert(None).as_unit("ms").to_datetime64() + millis)
    event_names = labels[all_code[order]]
    return pd.DataFrame({
        "user_id": user[all_user[order]],
        "timestamp": timestamps.tz_localize("UTC"),
        "event": pd.array(event_names, dtype="str"),
        "segment": pd.Categorical.from_codes(segment[all_user[order]], categories=list(SEGMENTS)),
    })


def simulate_ab_test(rates: Mapping[str, Mapping[str, float]], users: int | Mapping[str, int], *,
                     seed: int | None = 0, order_value: Mapping[str, float] | None = None,
                     converted: str | None = None) -> pd.DataFrame:
    """Simulate an A/B test: one row per person with their arm and a True/False column per outcome.

    ``rates`` maps each arm (in order, the control first) to the true rate of each outcome, e.g.
    ``{"direct": {"purchased": 0.009, "unsubscribed": 0.0025}, "ladder": {...}}``; every arm must
    name the same outcomes. ``users`` is the number of people per arm (or a mapping per arm).
    Outcomes are independent draws (seeded by ``seed``). With ``order_value`` (the mean order value
    per arm), a ``revenue`` column holds each buyer's spend (exponentially distributed around that
    mean, in cents) and 0 for everyone else; ``converted`` names the outcome that counts as buying
    (default: the first outcome).

    Rows are in order of arrival (``user_id``), the arms mixed at random. Columns: ``user_id``,
    ``variant`` (a category in the order of ``rates``), the outcomes, and ``revenue`` when asked for.

    >>> test = simulate_ab_test({"A": {"bought": 0.02, "unsubscribed": 0.003},
    ...                          "B": {"bought": 0.03, "unsubscribed": 0.003}}, users=50_000, seed=1,
    ...                         order_value={"A": 40.0, "B": 40.0})
    >>> test.columns.tolist()
    ['user_id', 'variant', 'bought', 'unsubscribed', 'revenue']
    >>> test.groupby("variant", observed=True)["bought"].mean().round(2).tolist()
    [0.02, 0.03]
    """
    arms, outcomes = _check_rates(rates)
    sizes = _check_users(users, arms)
    if converted is None:
        converted = outcomes[0]
    elif converted not in outcomes:
        raise choice_error("converted", converted, outcomes, among="the outcomes ")
    if order_value is not None:
        _check_order_value(order_value, arms)
    rng = np.random.default_rng(seed)
    counts = np.array([int(sizes[arm]) for arm in arms])
    codes = rng.permutation(np.repeat(np.arange(len(arms)), counts))  # people arrive in random order
    frame = pd.DataFrame({"user_id": np.arange(codes.size, dtype=np.int64),
                          "variant": pd.Categorical.from_codes(codes, categories=arms)})
    for outcome in outcomes:
        p = np.array([float(rates[arm][outcome]) for arm in arms])[codes]
        frame[outcome] = rng.random(codes.size) < p
    if order_value is not None:
        means = np.array([float(order_value[arm]) for arm in arms])[codes]
        spend = np.round(rng.exponential(means), 2)
        frame["revenue"] = np.where(frame[converted].to_numpy(), spend, 0.0)
    return frame


def _check_rates(rates: Any) -> tuple[list[str], list[str]]:
    """The arms and outcomes of :func:`simulate_ab_test`'s ``rates``, after checking every rate."""
    if not isinstance(rates, Mapping) or len(rates) < 2:
        raise FunnelValueError(f"rates must map at least two arms to their outcome rates, got {rates!r}")
    arms = list(rates)
    outcomes: list[str] = []
    for arm in arms:
        per_arm = rates[arm]
        if not isinstance(per_arm, Mapping) or not per_arm:
            raise FunnelValueError(f"rates[{arm!r}] must map outcome names to rates, got {per_arm!r}")
        if not outcomes:
            outcomes = list(per_arm)
        elif sorted(per_arm) != sorted(outcomes):
            raise FunnelValueError(f"rates[{arm!r}] names outcomes {sorted(per_arm)}; "
                                   f"every arm needs {sorted(outcomes)}")
        for outcome, rate in per_arm.items():
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise FunnelValueError(f"rates[{arm!r}][{outcome!r}] must be a rate between 0 and 1, got {rate!r}")
    for reserved in ("user_id", "variant", "revenue"):
        if reserved in outcomes:
            raise FunnelValueError(f"an outcome may not be called {reserved!r}: that column name is taken")
    return arms, outcomes


def _check_users(users: Any, arms: list[str]) -> dict[str, int]:
    sizes = dict(users) if isinstance(users, Mapping) else {arm: users for arm in arms}
    for arm in arms:
        size = sizes.get(arm)
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise FunnelValueError(f"users for arm {arm!r} must be a whole number of at least 1, got {size!r}")
    return {arm: int(sizes[arm]) for arm in arms}


def _check_order_value(order_value: Any, arms: list[str]) -> None:
    for arm in arms:
        value = order_value.get(arm) if isinstance(order_value, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise FunnelValueError(f"order_value must give every arm a positive mean order value; "
                                   f"arm {arm!r} has {value!r}")
