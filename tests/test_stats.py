"""funnel_lib.stats: intervals, tests and Bayesian probabilities checked against independent formulas."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from funnel_lib.stats import MIN_EXPECTED, compare_counts, compare_variants, prob_b_beats_a


def wilson(c: int, n: int, z: float = stats.norm.ppf(0.975)) -> tuple[float, float]:
    p = c / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def users_frame(arms: dict[str, tuple[int, int]]) -> pd.DataFrame:
    parts = [pd.DataFrame({"variant": name, "converted": [True] * c + [False] * (n - c)})
             for name, (c, n) in arms.items()]
    return pd.concat(parts, ignore_index=True)


def test_two_arms_against_independent_formulas() -> None:
    table = compare_counts({"A": (120, 2400), "B": (165, 2350)}, control="A")
    assert table.columns.tolist() == ["variant", "n", "conversions", "rate", "rate_low", "rate_high", "lift",
                                      "lift_low", "lift_high", "relative_lift", "relative_lift_low",
                                      "relative_lift_high", "p_value", "prob_beats_control", "note"]
    a, b = table.iloc[0], table.iloc[1]
    assert (a["rate_low"], a["rate_high"]) == pytest.approx(wilson(120, 2400), rel=1e-9)
    assert (b["rate_low"], b["rate_high"]) == pytest.approx(wilson(165, 2350), rel=1e-9)
    # Newcombe's hybrid score interval for the difference, from the two Wilson intervals
    p1, p0 = 165 / 2350, 120 / 2400
    (l1, u1), (l0, u0) = wilson(165, 2350), wilson(120, 2400)
    low = (p1 - p0) - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = (p1 - p0) + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    assert b["lift"] == pytest.approx(p1 - p0)
    assert (b["lift_low"], b["lift_high"]) == pytest.approx((low, high), rel=1e-9)
    # two-proportion z-test == chi-square without continuity correction
    chi = stats.chi2_contingency([[165, 2350 - 165], [120, 2400 - 120]], correction=False)
    assert b["p_value"] == pytest.approx(chi.pvalue, rel=1e-9)
    assert b["relative_lift"] == pytest.approx(p1 / p0 - 1)
    assert b["relative_lift_low"] < b["relative_lift"] < b["relative_lift_high"]
    assert 0.99 < b["prob_beats_control"] < 1
    assert a[["lift", "p_value", "prob_beats_control"]].isna().all()
    assert table["note"].tolist() == ["", ""] and table.attrs["notes"] == []
    assert table.attrs["control"] == "A" and table.attrs["confidence"] == 0.95


def test_compare_variants_equals_compare_counts_and_accepts_outcome_types() -> None:
    arms = {"control": (30, 500), "short form": (48, 510), "video": (41, 490)}
    users = users_frame(arms).sample(frac=1.0, random_state=2)
    expected = compare_counts(arms, control="control")
    got = compare_variants(users, control="control")
    pd.testing.assert_frame_equal(got, expected)
    for kind in ("int64", "float64", "boolean", "Int8"):
        pd.testing.assert_frame_equal(compare_variants(users.astype({"converted": kind}), control="control"),
                                      expected)


def test_more_than_two_arms_reports_the_chi_square_and_multiple_comparisons() -> None:
    arms = {"A": (100, 1000), "B": (130, 1000), "C": (90, 1000)}
    table = compare_counts(arms, control="A")
    chi = stats.chi2_contingency([[c, n - c] for c, n in arms.values()], correction=False)
    assert table.attrs["p_value_all"] == pytest.approx(chi.pvalue)
    assert table.loc[0, "note"].startswith(f"chi-square test across all 3 variants: p = {chi.pvalue:.2g}")
    assert "Bonferroni: 0.025" in table.loc[0, "note"]
    assert table["variant"].tolist() == ["A", "B", "C"]


def test_default_control_and_ordering() -> None:
    users = users_frame({"treatment": (30, 300), "control": (20, 300)})
    assert compare_variants(users)["variant"].tolist() == ["control", "treatment"]  # sorted: control first
    assert compare_variants(users, control="treatment")["variant"].tolist() == ["treatment", "control"]
    users["variant"] = pd.Categorical(users["variant"], categories=["treatment", "control"])
    assert compare_variants(users)["variant"].tolist() == ["treatment", "control"]  # category order
    assert compare_counts({"b": (1, 20), "a": (2, 20)})["variant"].tolist() == ["b", "a"]  # mapping order


def test_small_samples_are_flagged_in_the_result_not_with_warnings() -> None:
    table = compare_counts({"A": (3, 40), "B": (9, 41)}, control="A")
    assert table.loc[0, "note"].startswith("only 3 conversions in 'A'")
    note = table.loc[1, "note"]
    assert note.startswith(f"only 9 conversions in 'B': the p-value and lift intervals rely on a normal "
                           f"approximation that needs at least {MIN_EXPECTED} conversions")
    exact = stats.fisher_exact([[9, 32], [3, 37]]).pvalue
    assert note.endswith(f"Fisher's exact test gives p = {exact:.2g}")
    assert len(table.attrs["notes"]) == 2
    almost_all = compare_counts({"A": (95, 100), "B": (99, 100)})
    assert "only 1 non-conversion in 'B'" in almost_all.loc[1, "note"]


def test_degenerate_rates_do_not_warn_or_crash() -> None:
    none = compare_counts({"A": (0, 50), "B": (0, 50)})
    assert none.loc[1, "p_value"] == 1.0 and none.loc[1, "prob_beats_control"] == pytest.approx(0.5)
    assert none.loc[0, "rate_low"] == 0.0 and math.isnan(none.loc[1, "relative_lift"])
    assert "has no conversions, so the relative lift is undefined" in none.loc[1, "note"]
    everyone = compare_counts({"A": (50, 50), "B": (50, 50)})
    assert everyone.loc[1, "p_value"] == 1.0 and everyone.loc[0, "rate_high"] == 1.0
    three = compare_counts({"A": (0, 50), "B": (0, 50), "C": (0, 50)})
    assert three.attrs["p_value_all"] == 1.0


@pytest.mark.parametrize("counts", [(10, 100, 10, 100), (0, 5, 3, 5), (100, 2000, 150, 2000), (7, 9, 2, 30),
                                    (400, 100000, 460, 100000)])
def test_prob_b_beats_a_matches_numerical_integration(counts: tuple[int, int, int, int]) -> None:
    ca, na, cb, nb = counts
    a = stats.beta(ca + 1, na - ca + 1)
    b = stats.beta(cb + 1, nb - cb + 1)
    grid = np.linspace(0, 1, 400_001)
    integral = np.trapezoid(b.pdf(grid) * a.cdf(grid), grid)  # P(A < B)
    assert prob_b_beats_a(ca, na, cb, nb) == pytest.approx(integral, abs=1e-6)
    assert prob_b_beats_a(ca, na, cb, nb) + prob_b_beats_a(cb, nb, ca, na) == pytest.approx(1.0, abs=1e-9)


def test_prob_b_beats_a_matches_monte_carlo() -> None:
    rng = np.random.default_rng(0)
    a = rng.beta(1 + 45, 1 + 955, 400_000)
    b = rng.beta(1 + 60, 1 + 940, 400_000)
    assert prob_b_beats_a(45, 1000, 60, 1000) == pytest.approx((b > a).mean(), abs=0.005)


def test_confidence_level_changes_the_intervals() -> None:
    wide = compare_counts({"A": (50, 500), "B": (70, 500)}, confidence=0.99)
    narrow = compare_counts({"A": (50, 500), "B": (70, 500)}, confidence=0.9)
    assert wide.loc[1, "lift_low"] < narrow.loc[1, "lift_low"]
    assert (wide.loc[0, "rate_low"], wide.loc[0, "rate_high"]) == pytest.approx(
        wilson(50, 500, stats.norm.ppf(0.995)))


def test_counts_as_a_dataframe() -> None:
    frame = pd.DataFrame({"variant": ["A", "B"], "conversions": [10, 20], "n": [100, 100]})
    expected = compare_counts({"A": (10, 100), "B": (20, 100)})
    pd.testing.assert_frame_equal(compare_counts(frame), expected)
    pd.testing.assert_frame_equal(compare_counts(frame.set_index("variant")), expected)
    with pytest.raises(ValueError, match=r"counts is missing column 'n'; columns present"):
        compare_counts(frame.drop(columns="n"))


@pytest.mark.parametrize("counts, error, message", [
    ({"A": (1, 10)}, ValueError, "at least two variants to compare, got 1"),
    ({"A": (1, 10), "B": (11, 10)}, ValueError, r"conversions for variant 'B' must be between 0 and n=10, got 11"),
    ({"A": (1, 10), "B": (0, 0)}, ValueError, r"n for variant 'B' must be at least 1, got 0"),
    ({"A": (1, 10), "B": (-1, 10)}, ValueError, r"between 0 and n=10, got -1"),
    ({"A": (1.5, 10), "B": (1, 10)}, TypeError, r"conversions for variant 'A' must be a whole number, got 1.5"),
    ({"A": (1, "10"), "B": (1, 10)}, TypeError, r"n for variant 'A' must be a whole number, got '10'"),
    ({"A": 5, "B": (1, 10)}, TypeError, r"counts\['A'\] must be a pair \(conversions, n\), got 5"),
    ([("A", 1, 10)], TypeError, r"counts must be a mapping .* got list"),
])
def test_compare_counts_errors(counts: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        compare_counts(counts)  # type: ignore[arg-type]


def test_compare_counts_more_errors() -> None:
    with pytest.raises(ValueError, match=r"control must be one of the variants 'A', 'B', got 'C'"):
        compare_counts({"A": (1, 10), "B": (2, 10)}, control="C")
    frame = pd.DataFrame({"variant": ["A", "A"], "conversions": [1, 2], "n": [10, 10]})
    with pytest.raises(ValueError, match=r"variant 'A' appears twice"):
        compare_counts(frame)
    for confidence in (0, 1, 95, "0.95", True):
        with pytest.raises(ValueError, match=r"confidence must be a number between 0 and 1 \(e.g. 0.95\)"):
            compare_counts({"A": (1, 10), "B": (2, 10)}, confidence=confidence)  # type: ignore[arg-type]


def test_compare_variants_errors() -> None:
    users = users_frame({"A": (5, 50), "B": (7, 50)})
    with pytest.raises(TypeError, match=r"df must be a pandas DataFrame \(one row per user\), got dict"):
        compare_variants({"variant": []})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"df is missing column 'arm'; columns present: \['variant', 'converted'\]"):
        compare_variants(users, variant="arm")
    with pytest.raises(ValueError, match=r"control must be one of the variants in column 'variant': 'A', 'B', got 'Z'"):
        compare_variants(users, control="Z")
    with pytest.raises(ValueError, match=r"at least two variants to compare, found \['A'\]"):
        compare_variants(users[users["variant"] == "A"])
    bad = users.astype({"converted": "int64"})
    bad.loc[[3, 4], "converted"] = 2
    with pytest.raises(ValueError, match=r"must hold True/False or 1/0, found 2 in 2 rows"):
        compare_variants(bad)
    with pytest.raises(TypeError, match=r"must hold True/False or 1/0, got dtype str"):
        compare_variants(users.assign(converted="yes"))
    missing = users.astype({"converted": "boolean"})
    missing.loc[7, "converted"] = pd.NA
    with pytest.raises(ValueError, match=r"column 'converted' \(converted=\) has 1 missing value \(rows 7\)"):
        compare_variants(missing)
    missing = users.copy()
    missing.loc[list(range(8)), "variant"] = None
    with pytest.raises(ValueError, match=r"column 'variant' \(variant=\) has 8 missing values \(rows 0, 1, 2, 3, 4, "
                                         r"\.\.\.\)"):
        compare_variants(missing)


# -- sample size ---------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from funnel_lib.stats import sample_size_per_arm  # noqa: E402


def classical_n(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """The textbook two-proportion formula (pooled variance under H0), an independent peer."""
    from scipy.stats import norm

    za, zb, pbar = norm.ppf(1 - alpha / 2), norm.ppf(power), (p1 + p2) / 2
    return (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2


@settings(max_examples=60, deadline=None)
@given(base=st.floats(0.002, 0.3), relative=st.floats(0.1, 1.0))
def test_sample_size_agrees_with_the_classical_formula(base: float, relative: float) -> None:
    target = base * (1 + relative)
    n = sample_size_per_arm(base, target)
    assert n == pytest.approx(classical_n(base, target), rel=0.04, abs=2)
    assert sample_size_per_arm(base, target, power=0.9) > n  # more power costs people
    assert sample_size_per_arm(base, target, alternative="larger") < n  # one side is cheaper
    assert sample_size_per_arm(target, base) == n  # a fall is as hard to detect as the same rise


def test_sample_size_achieves_its_power_by_simulation() -> None:
    n = sample_size_per_arm(0.05, 0.07)
    rng = np.random.default_rng(3)
    a, b = rng.binomial(n, 0.05, 4000), rng.binomial(n, 0.07, 4000)
    pooled = (a + b) / (2 * n)
    z = (b - a) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
    power = float(np.mean(np.abs(z) > 1.959964))
    assert 0.77 <= power <= 0.83


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_rate": 0}, "base_rate must be a rate strictly between 0 and 1"),
        ({"target_rate": 1.2}, "target_rate must be a rate strictly between 0 and 1"),
        ({"target_rate": 0.05}, "target_rate must differ from base_rate"),
        ({"alpha": 5}, "alpha must be a rate strictly between 0 and 1"),
        ({"power": True}, "power must be a rate strictly between 0 and 1"),
        ({"alternative": "both"}, "alternative must be one of 'two-sided', 'larger', 'smaller', got 'both'"),
        ({"alternative": "smaller"}, "alternative='smaller' does not fit a change from 0.05 to 0.06"),
    ],
)
def test_sample_size_rejects_bad_input(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        sample_size_per_arm(**({"base_rate": 0.05, "target_rate": 0.06} | kwargs))
