"""Honest comparisons of conversion rates between variants (A/B tests and control groups).

:func:`compare_variants` takes one row per user (a variant column and a converted column);
:func:`compare_counts` takes the counts directly. Both return one row per variant, the control
first:

``n``, ``conversions``, ``rate``
    users, conversions, and the conversion rate.
``rate_low``, ``rate_high``
    Wilson score interval for the rate (good even for small samples and rates near 0 or 1).
``lift``, ``lift_low``, ``lift_high``
    absolute difference of rates against the control, with Newcombe's hybrid score interval
    (built from the two Wilson intervals).
``relative_lift``, ``relative_lift_low``, ``relative_lift_high``
    ``rate / control rate - 1`` with a log-scale interval for the ratio of rates.
``p_value``
    two-sided two-proportion z-test against the control (pooled variance; the same p-value as a
    chi-square test of the 2x2 table without continuity correction).
``prob_beats_control``
    Bayesian probability that the variant's true rate is above the control's, with a uniform
    Beta(1, 1) prior on each rate (computed exactly, not by sampling).
``note``
    plain-words warnings: samples too small for the normal approximation (with Fisher's exact
    p-value instead), a control rate of 0, and, with more than two variants, the chi-square
    test across all of them (also in ``result.attrs["p_value_all"]``) and a reminder that
    several comparisons against one control need a stricter threshold.

The control row has NaN in the comparison columns. Intervals are two-sided at ``confidence``.

Before a test, :func:`sample_size_per_arm` says how many people each arm needs to detect a given
change of a conversion rate (statsmodels' power analysis for two proportions).

>>> result = compare_counts({"control": (100, 2000), "new page": (150, 2000)}, control="control")
>>> result[["variant", "rate", "lift", "p_value"]].round(4)
    variant    rate   lift  p_value
0   control  0.0500    NaN      NaN
1  new page  0.0750  0.025   0.0011
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from funnel_lib._validate import check_choice, choice_error
from funnel_lib.errors import FunnelTypeError, FunnelValueError

# scipy.stats and statsmodels are imported inside the functions: importing funnel_lib stays fast

__all__ = ["compare_variants", "compare_counts", "prob_b_beats_a", "sample_size_per_arm", "MIN_EXPECTED"]

#: Fewest conversions (and non-conversions) per variant for which the normal approximation
#: behind the z-test and the lift intervals is trusted without a note.
MIN_EXPECTED = 10

_COLUMNS = ["variant", "n", "conversions", "rate", "rate_low", "rate_high", "lift", "lift_low", "lift_high",
            "relative_lift", "relative_lift_low", "relative_lift_high", "p_value", "prob_beats_control", "note"]


def prob_b_beats_a(conversions_a: int, n_a: int, conversions_b: int, n_b: int) -> float:
    """Posterior probability that B's true rate exceeds A's, with uniform Beta(1, 1) priors.

    Exact: the closed-form sum for two Beta distributions with whole-number parameters
    (E. Miller's formula), summing over whichever of four equivalent forms has fewest terms.

    >>> round(prob_b_beats_a(10, 100, 10, 100), 6)
    0.5
    >>> round(prob_b_beats_a(100, 2000, 150, 2000), 4)
    0.9995
    """
    a1, b1 = conversions_a + 1, n_a - conversions_a + 1
    a2, b2 = conversions_b + 1, n_b - conversions_b + 1
    forms = [
        (a2, lambda: _beta_greater(a1, b1, a2, b2)),          # P(B > A)
        (a1, lambda: 1.0 - _beta_greater(a2, b2, a1, b1)),    # 1 - P(A > B)
        (b1, lambda: _beta_greater(b2, a2, b1, a1)),          # P(1-A > 1-B)
        (b2, lambda: 1.0 - _beta_greater(b1, a1, b2, a2)),    # 1 - P(1-B > 1-A)
    ]
    _, best = min(forms, key=lambda form: form[0])
    return float(min(1.0, max(0.0, best())))


def _beta_greater(a1: int, b1: int, a2: int, b2: int) -> float:
    """P(X2 > X1) for X1 ~ Beta(a1, b1), X2 ~ Beta(a2, b2), a2 a whole number."""
    from scipy import special

    i = np.arange(int(a2), dtype=np.float64)
    log_terms = (special.betaln(a1 + i, b1 + b2) - np.log(b2 + i) - special.betaln(1 + i, b2)
                 - special.betaln(a1, b1))
    return float(np.exp(special.logsumexp(log_terms)))


def _check_rate(argument: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0 < float(value) < 1:
        raise FunnelValueError(f"{argument} must be a rate strictly between 0 and 1 (e.g. 0.02 for 2 %), got {value!r}")
    return float(value)


def sample_size_per_arm(base_rate: float, target_rate: float, *, alpha: float = 0.05, power: float = 0.8,
                        alternative: str = "two-sided") -> int:
    """People needed in each of two equal arms to detect a change of a rate from ``base_rate`` to ``target_rate``.

    Uses Cohen's effect size for two proportions, *h* = 2 asin(sqrt(target)) - 2 asin(sqrt(base))
    (``statsmodels.stats.proportion.proportion_effectsize``), and the normal power analysis of
    ``statsmodels.stats.power.NormalIndPower``, rounded up. ``alpha`` is the false-positive rate
    you accept, ``power`` the chance of detecting the change if it is real; ``alternative`` is
    ``"two-sided"`` (the default and the honest choice when the ladder could also do worse) or
    ``"larger"`` / ``"smaller"``. Double it for the whole test.

    >>> sample_size_per_arm(0.05, 0.06)
    8143
    >>> sample_size_per_arm(0.05, 0.06, power=0.9) > sample_size_per_arm(0.05, 0.06) > sample_size_per_arm(0.05, 0.10)
    True
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    base_rate, target_rate = _check_rate("base_rate", base_rate), _check_rate("target_rate", target_rate)
    if base_rate == target_rate:
        raise FunnelValueError(f"target_rate must differ from base_rate ({base_rate!r}): "
                               "no sample can detect no change")
    for name, value in (("alpha", alpha), ("power", power)):
        _check_rate(name, value)
    check_choice("alternative", alternative, ("two-sided", "larger", "smaller"))
    effect = float(proportion_effectsize(target_rate, base_rate))
    if (alternative == "larger" and effect < 0) or (alternative == "smaller" and effect > 0):
        raise FunnelValueError(f"alternative={alternative!r} does not fit a change "
                               f"from {base_rate!r} to {target_rate!r}")
    effect = abs(effect)  # the direction is checked above: its size is what matters now
    if alternative != "two-sided":
        alternative = "larger"
    n = NormalIndPower().solve_power(effect_size=effect, alpha=float(alpha), power=float(power), ratio=1.0,
                                     alternative=alternative)
    return int(math.ceil(float(n)))


def _check_confidence(confidence: Any) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise FunnelValueError(f"confidence must be a number between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return float(confidence)


def _check_count(variant: Hashable, conversions: Any, n: Any) -> tuple[int, int]:
    for name, value in (("conversions", conversions), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)) or (
                isinstance(value, (float, np.floating)) and not float(value).is_integer()):
            raise FunnelTypeError(f"{name} for variant {variant!r} must be a whole number, got {value!r}")
    conversions, n = int(conversions), int(n)
    if n < 1:
        raise FunnelValueError(f"n for variant {variant!r} must be at least 1, got {n}")
    if not 0 <= conversions <= n:
        raise FunnelValueError(f"conversions for variant {variant!r} must be between 0 and n={n}, got {conversions}")
    return conversions, n


def compare_counts(counts: Mapping[Hashable, tuple[int, int]] | pd.DataFrame, control: Hashable | None = None, *,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Compare variants from their counts: a mapping ``{variant: (conversions, n)}`` or a DataFrame.

    A DataFrame needs columns ``variant``, ``conversions`` and ``n`` (or the variant as its index).
    ``control`` defaults to the first variant. See :mod:`funnel_lib.stats` for the columns.

    >>> table = compare_counts({"A": (30, 1000), "B": (45, 1000), "C": (5, 60)}, control="A")
    >>> table[["variant", "rate", "rate_low", "rate_high"]].round(3)
      variant   rate  rate_low  rate_high
    0       A  0.030     0.021      0.043
    1       B  0.045     0.034      0.060
    2       C  0.083     0.036      0.181
    >>> print(table.loc[2, "note"])  # doctest: +NORMALIZE_WHITESPACE
    only 5 conversions in 'C': the p-value and lift intervals rely on a normal approximation that needs
    at least 10 conversions and 10 non-conversions per variant; Fisher's exact test gives p = 0.043
    """
    confidence = _check_confidence(confidence)
    if isinstance(counts, pd.DataFrame):
        frame = counts if "variant" in counts.columns else counts.rename_axis("variant").reset_index()
        missing = [c for c in ("variant", "conversions", "n") if c not in frame.columns]
        if missing:
            raise FunnelValueError(f"counts is missing column {missing[0]!r}; columns present: {list(counts.columns)}")
        items = list(zip(frame["variant"], zip(frame["conversions"], frame["n"], strict=True), strict=True))
    elif isinstance(counts, Mapping):
        items = list(counts.items())
    else:
        raise FunnelTypeError(f"counts must be a mapping {{variant: (conversions, n)}} or a DataFrame, "
                        f"got {type(counts).__name__}")
    checked: dict[Hashable, tuple[int, int]] = {}
    for variant, pair in items:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise FunnelTypeError(f"counts[{variant!r}] must be a pair (conversions, n), got {pair!r}")
        if variant in checked:
            raise FunnelValueError(f"variant {variant!r} appears twice in counts")
        checked[variant] = _check_count(variant, *pair)
    if len(checked) < 2:
        raise FunnelValueError(f"counts must have at least two variants to compare, got {len(checked)}")
    names = list(checked)
    if control is None:
        control = names[0]
    elif control not in checked:
        raise choice_error("control", control, names, among="the variants ")
    order = [control] + [v for v in names if v != control]
    return _compare([(v, *checked[v]) for v in order], confidence)


def compare_variants(df: pd.DataFrame, variant: Hashable = "variant", converted: Hashable = "converted",
                     control: Hashable | None = None, *, confidence: float = 0.95) -> pd.DataFrame:
    """Compare conversion between variants from one row per user, with intervals and tests.

    ``variant`` names the column holding each user's variant (arm); ``converted`` a column of
    True/False or 1/0. ``control`` is the reference variant (default: the first in sorted or
    category order). Returns one row per variant, control first; see :mod:`funnel_lib.stats`.

    >>> import pandas as pd
    >>> users = pd.DataFrame({"arm": ["A"] * 400 + ["B"] * 400,
    ...                       "bought": [1] * 40 + [0] * 360 + [1] * 64 + [0] * 336})
    >>> result = compare_variants(users, variant="arm", converted="bought", control="A")
    >>> result[["variant", "n", "conversions", "rate", "lift_low", "lift_high"]].round(3)
      variant    n  conversions  rate  lift_low  lift_high
    0       A  400           40  0.10       NaN        NaN
    1       B  400           64  0.16     0.013      0.107
    >>> print(round(float(result.loc[1, "prob_beats_control"]), 3))
    0.994
    """
    confidence = _check_confidence(confidence)
    if not isinstance(df, pd.DataFrame):
        raise FunnelTypeError(f"df must be a pandas DataFrame (one row per user), got {type(df).__name__}")
    for argument, name in (("variant", variant), ("converted", converted)):
        if name not in df.columns:
            raise FunnelValueError(f"df is missing column {name!r}; columns present: {list(df.columns)} "
                             f"(pass {argument}= to name the column to use)")
    arms = df[variant]
    outcome = df[converted]
    for argument, column in (("variant", arms), ("converted", outcome)):
        missing = column.isna().to_numpy()
        if missing.any():
            rows = ", ".join(repr(r) for r in df.index[missing][:5]) + (", ..." if missing.sum() > 5 else "")
            raise FunnelValueError(f"column {column.name!r} ({argument}=) has {int(missing.sum()):,} missing value"
                             f"{'s' if missing.sum() > 1 else ''} (rows {rows}); drop or fill them first")
    if pd.api.types.is_bool_dtype(outcome.dtype):
        values = outcome.to_numpy(dtype=bool).astype(np.int64)
    elif pd.api.types.is_numeric_dtype(outcome.dtype):
        raw = outcome.to_numpy(dtype=np.float64)
        bad = (raw != 0) & (raw != 1)
        if bad.any():
            shown = ", ".join(f"{v:g}" for v in np.unique(raw[bad])[:5])
            raise FunnelValueError(f"column {converted!r} (converted=) must hold True/False or 1/0, found {shown} "
                             f"in {int(bad.sum()):,} rows")
        values = raw.astype(np.int64)
    else:
        raise FunnelTypeError(f"column {converted!r} (converted=) must hold True/False or 1/0, "
                              f"got dtype {outcome.dtype}")
    codes, uniques = pd.factorize(arms, sort=True)
    if len(uniques) < 2:
        raise FunnelValueError(f"column {variant!r} (variant=) must hold at least two variants to compare, "
                         f"found {list(uniques)}")
    n = np.bincount(codes, minlength=len(uniques))
    conversions = np.bincount(codes, weights=values, minlength=len(uniques)).astype(np.int64)
    names = list(uniques)
    if control is None:
        control = names[0]
    elif control not in names:
        raise choice_error("control", control, names, among=f"the variants in column {variant!r}: ")
    order = [names.index(control)] + [i for i in range(len(names)) if names[i] != control]
    return _compare([(names[i], int(conversions[i]), int(n[i])) for i in order], confidence)


def _compare(arms: list[tuple[Hashable, int, int]], confidence: float) -> pd.DataFrame:
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    alpha = 1.0 - confidence
    name0, c0, n0 = arms[0]
    rows = []
    for position, (name, c, n) in enumerate(arms):
        low, high = proportion_confint(c, n, alpha=alpha, method="wilson")
        low, high = (0.0 if c == 0 else float(low)), (1.0 if c == n else float(high))  # exact at the edges
        row: dict[str, Any] = {"variant": name, "n": n, "conversions": c, "rate": c / n,
                               "rate_low": low, "rate_high": high}
        notes = _small_sample_notes(name, c, n)
        if position == 0:
            row.update({k: math.nan for k in _COLUMNS[6:14]})
        else:
            row.update(_versus_control(c, n, c0, n0, alpha))
            if c0 == 0:
                notes.append(f"the control {name0!r} has no conversions, so the relative lift is undefined")
            if notes and min(c, n - c, c0, n0 - c0) < MIN_EXPECTED:
                exact = stats.fisher_exact([[c, n - c], [c0, n0 - c0]]).pvalue
                notes.append(f"Fisher's exact test gives p = {exact:.2g}")
        row["note"] = "; ".join(notes)
        rows.append(row)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table["note"] = table["note"].astype("str")
    table.attrs["control"] = name0
    table.attrs["confidence"] = confidence
    if len(arms) > 2:
        contingency = np.array([[c, n - c] for _, c, n in arms])
        p_all = _chi_square_p(contingency)
        table.attrs["p_value_all"] = p_all
        overall = (f"chi-square test across all {len(arms)} variants: p = {p_all:.2g}; the per-variant p-values "
                   f"are each against the control, so with {len(arms) - 1} comparisons use a stricter threshold "
                   f"(e.g. Bonferroni: {alpha / (len(arms) - 1):.3g})")
        table.loc[0, "note"] = overall if not table.loc[0, "note"] else table.loc[0, "note"] + "; " + overall
    table.attrs["notes"] = [f"{v}: {note}" for v, note in zip(table["variant"], table["note"], strict=True) if note]
    return table


def _small_sample_notes(name: Hashable, c: int, n: int) -> list[str]:
    if c >= MIN_EXPECTED and n - c >= MIN_EXPECTED:
        return []
    which = f"only {c} conversion{'s' if c != 1 else ''}" if c < MIN_EXPECTED else \
        f"only {n - c} non-conversion{'s' if n - c != 1 else ''}"
    return [f"{which} in {name!r}: the p-value and lift intervals rely on a normal approximation that needs "
            f"at least {MIN_EXPECTED} conversions and {MIN_EXPECTED} non-conversions per variant"]


def _chi_square_p(contingency: np.ndarray) -> float:
    from scipy import stats

    successes = contingency[:, 0].sum()
    if successes == 0 or successes == contingency.sum():
        return 1.0  # nobody (or everybody) converted anywhere: no difference to test
    return float(stats.chi2_contingency(contingency, correction=False).pvalue)


def _versus_control(c: int, n: int, c0: int, n0: int, alpha: float) -> dict[str, float]:
    from scipy import stats
    from statsmodels.stats.proportion import confint_proportions_2indep

    rate, rate0 = c / n, c0 / n0
    with warnings.catch_warnings():
        # statsmodels may warn on degenerate tables (rates of exactly 0 or 1); those cases are
        # reported in the note column instead
        warnings.simplefilter("ignore")
        lift_low, lift_high = confint_proportions_2indep(c, n, c0, n0, method="newcomb", compare="diff",
                                                         alpha=alpha)
        if c0 > 0:
            ratio_low, ratio_high = confint_proportions_2indep(c, n, c0, n0, method="log-adjusted",
                                                               compare="ratio", alpha=alpha)
            relative = (rate / rate0 - 1.0, float(ratio_low) - 1.0, float(ratio_high) - 1.0)
        else:
            relative = (math.nan, math.nan, math.nan)
    pooled = (c + c0) / (n + n0)
    if pooled in (0.0, 1.0):
        p_value = 1.0
    else:
        z = (rate - rate0) / math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n0))
        p_value = float(2 * stats.norm.sf(abs(z)))
    return {"lift": rate - rate0, "lift_low": float(lift_low), "lift_high": float(lift_high),
            "relative_lift": relative[0], "relative_lift_low": relative[1], "relative_lift_high": relative[2],
            "p_value": p_value, "prob_beats_control": prob_b_beats_a(c0, n0, c, n)}
