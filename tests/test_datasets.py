"""funnel_lib.datasets: the shipped files are intact, typed, and match the published figures."""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
import pandas as pd
import pytest

from funnel_lib.datasets import (
    DATA_FILES,
    NOISE_EVENTS,
    SEGMENTS,
    data_path,
    load_hillstrom,
    load_online_shoppers,
    simulate_campaign_events,
)
from funnel_lib.events import funnel_from_events
from funnel_lib.model import Funnel, Step
from funnel_lib.simulate import simulate
from funnel_lib.stats import compare_variants


@pytest.mark.parametrize("name", sorted(DATA_FILES))
def test_shipped_files_are_byte_for_byte_the_published_ones(name: str) -> None:
    assert hashlib.sha256(data_path(name).read_bytes()).hexdigest() == DATA_FILES[name]


def test_data_md_keeps_attribution_and_licence() -> None:
    text = (data_path("hillstrom.csv").parent.parent / "DATA.md").read_text(encoding="utf-8")
    for needle in ("Kevin Hillstrom", "MineThatData", "CC BY 4.0", "Sakar", "6893", *DATA_FILES.values()):
        assert needle in text


def test_data_path_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"name must be one of 'hillstrom.csv', 'online_shoppers_intention.csv', "
                                         r"got 'x.csv'"):
        data_path("x.csv")


def test_hillstrom_per_arm_rates_equal_the_published_figures() -> None:
    data = load_hillstrom()
    rates = data.groupby("segment", observed=True)[["visit", "conversion"]].mean() * 100
    assert rates.round(2).to_dict() == {
        "visit": {"No E-Mail": 10.62, "Mens E-Mail": 18.28, "Womens E-Mail": 15.14},
        "conversion": {"No E-Mail": 0.57, "Mens E-Mail": 1.25, "Womens E-Mail": 0.88},
    }


def test_hillstrom_types() -> None:
    data = load_hillstrom()
    assert data.shape == (64_000, 12)
    assert data.columns.tolist() == ["recency", "history_segment", "history", "mens", "womens", "zip_code",
                                     "newbie", "channel", "segment", "visit", "conversion", "spend"]
    for column in ("mens", "womens", "newbie", "visit", "conversion"):
        assert data[column].dtype == bool
    for column in ("history_segment", "zip_code", "channel", "segment"):
        assert isinstance(data[column].dtype, pd.CategoricalDtype)
    assert data["history_segment"].cat.ordered and data["history_segment"].notna().all()
    assert data["segment"].notna().all()
    assert data["recency"].dtype == np.int64 and data["history"].dtype == np.float64
    assert data["recency"].between(1, 12).all()
    assert (data.loc[~data["conversion"], "spend"] == 0).all()


def test_hillstrom_in_compare_variants_uses_no_email_as_control() -> None:
    result = compare_variants(load_hillstrom(), variant="segment", converted="visit")
    assert result["variant"].tolist() == ["No E-Mail", "Mens E-Mail", "Womens E-Mail"]
    assert (result.loc[1:, "p_value"] < 1e-10).all() and (result.loc[1:, "prob_beats_control"] > 0.999).all()
    assert result.attrs["p_value_all"] < 1e-10


def test_online_shoppers_types_and_revenue() -> None:
    data = load_online_shoppers()
    assert data.shape == (12_330, 18)
    assert int(data["Revenue"].sum()) == 1_908
    assert data["Revenue"].dtype == bool and data["Weekend"].dtype == bool
    for column in ("Administrative", "Informational", "ProductRelated"):
        assert str(data[column].dtype) == "Int64"
        assert int(data[column].isna().sum()) == 14
    assert data["Month"].cat.ordered and data["Month"].notna().all()
    assert data["Month"].cat.categories[0] == "Feb" and "June" in data["Month"].cat.categories
    for column in ("OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType"):
        assert isinstance(data[column].dtype, pd.CategoricalDtype)
    assert data["Region"].cat.categories.tolist() == list(range(1, 10))
    assert data["ProductRelated_Duration"].dtype == np.float64


FUNNEL = Funnel([
    Step("watch_clip", "entry", ask=1, value=3),
    Step("take_quiz", "engagement", ask=2, value=4),
    Step("free_trial", "progression", ask=5, value=7, trust=4),
    Step("buy", "conversion", ask=7, value=8, trust=6),
])


@pytest.mark.parametrize("audience, seed", [("cold", 1), ("warm", 2), ("hot", 3)])
def test_simulated_log_recovers_the_cohort_exactly(audience: str, seed: int) -> None:
    log = simulate_campaign_events(FUNNEL, audience, users=3000, seed=seed)
    cohort = simulate(FUNNEL, audience, users=3000, seed=seed).cohort
    expected = [int((cohort["steps_completed"] >= k).sum()) for k in range(1, 5)]
    assert funnel_from_events(log, FUNNEL, window=None)["users"].tolist() == expected
    assert funnel_from_events(log, [s.name for s in FUNNEL.steps], window="365D")["users"].tolist() == expected
    # per user, too: the deepest step each user reached is steps_completed
    reached = log[log["event"].isin([s.name for s in FUNNEL.steps])].groupby("user_id")["event"].nunique()
    truth = cohort.set_index("user")["steps_completed"]
    assert reached.reindex(truth.index, fill_value=0).tolist() == truth.tolist()


def test_simulated_log_shape_and_types() -> None:
    log = simulate_campaign_events(FUNNEL, "warm", users=400, seed=7, start="2025-01-06 08:00")
    assert log.columns.tolist() == ["user_id", "timestamp", "event", "segment"]
    assert str(log["timestamp"].dtype) == "datetime64[ms, UTC]"
    assert log["timestamp"].is_monotonic_increasing
    assert log["timestamp"].min() >= pd.Timestamp("2025-01-06 07:59", tz="UTC")
    assert set(log["event"]) <= {s.name for s in FUNNEL.steps} | set(NOISE_EVENTS)
    assert set(NOISE_EVENTS) <= set(log["event"])
    assert log["segment"].cat.categories.tolist() == list(SEGMENTS)
    assert (log.groupby("user_id")["segment"].nunique() == 1).all()
    assert log["user_id"].nunique() == 400  # everyone lands on a page, even those who say no at once
    # a step is never before the previous one for a user
    steps = log[log["event"] != "page_view"]
    first = steps[steps["event"] == "watch_clip"].groupby("user_id")["timestamp"].min()
    quiz = steps[steps["event"] == "take_quiz"].groupby("user_id")["timestamp"].min()
    assert (quiz >= first.reindex(quiz.index)).all()


def test_simulated_log_is_reproducible_and_short_windows_miss_slow_converters() -> None:
    one = simulate_campaign_events(FUNNEL, "warm", users=2000, seed=5)
    pd.testing.assert_frame_equal(one, simulate_campaign_events(FUNNEL, "warm", users=2000, seed=5))
    full = funnel_from_events(one, FUNNEL, window=None)["users"]
    short = funnel_from_events(one, FUNNEL, window="30min")["users"]
    assert short.iloc[0] == full.iloc[0] and short.iloc[-1] < full.iloc[-1]
    tz_start = simulate_campaign_events(FUNNEL, "warm", users=50, seed=5, start=pd.Timestamp("2024-03-04", tz="UTC"))
    pd.testing.assert_frame_equal(tz_start, simulate_campaign_events(FUNNEL, "warm", users=50, seed=5))


def test_simulated_log_without_noise_or_repeats() -> None:
    log = simulate_campaign_events(FUNNEL, "hot", users=200, seed=1, noise=0, repeats=0)
    steps = {s.name for s in FUNNEL.steps}
    assert set(log["event"]) <= steps | {"page_view"}
    landing = log[log["event"] == "page_view"]
    assert len(landing) == 200


def test_step_named_like_a_noise_event_is_kept_apart() -> None:
    funnel = Funnel([Step("page_view", "entry", ask=1), Step("buy", "conversion", ask=5)])
    log = simulate_campaign_events(funnel, "hot", users=300, seed=2)
    cohort = simulate(funnel, "hot", users=300, seed=2).cohort
    expected = [int((cohort["steps_completed"] >= k).sum()) for k in (1, 2)]
    assert funnel_from_events(log, funnel, window=None)["users"].tolist() == expected


def test_simulated_log_edge_cases() -> None:
    twice = Funnel([Step("same", "entry", ask=1), Step("same", "conversion", ask=5)])
    with pytest.raises(ValueError, match=r"distinct names to become event names; repeated: \['same'\]"):
        simulate_campaign_events(twice, "warm", users=10, seed=1)
    one = simulate_campaign_events(FUNNEL, "hot", users=1, seed=4)
    assert one["user_id"].unique().tolist() == [0]


@pytest.mark.parametrize("kwargs, message", [
    ({"days": -1}, r"days must be a number of at least 0, got -1"),
    ({"noise": float("nan")}, r"noise must be a number of at least 0, got nan"),
    ({"repeats": 2}, r"repeats must be a share between 0 and 1, got 2"),
    ({"repeats": "x"}, r"repeats must be a number of at least 0, got 'x'"),
    ({"start": "not a date"}, r"start must be a date or time such as '2024-03-04', got 'not a date'"),
    ({"start": pd.NaT}, r"start must be a date or time"),
])
def test_simulated_log_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_campaign_events(FUNNEL, "warm", users=10, seed=1, **kwargs)


# -- simulated A/B tests ---------------------------------------------------------------------------

from funnel_lib.datasets import simulate_ab_test  # noqa: E402

AB_RATES = {"direct": {"purchased": 0.01, "unsubscribed": 0.0025},
            "ladder": {"purchased": 0.013, "unsubscribed": 0.004}}


def test_simulated_ab_test_has_the_rates_it_was_given() -> None:
    test = simulate_ab_test(AB_RATES, users=200_000, seed=5, order_value={"direct": 50.0, "ladder": 45.0})
    assert test.columns.tolist() == ["user_id", "variant", "purchased", "unsubscribed", "revenue"]
    assert test["variant"].cat.categories.tolist() == ["direct", "ladder"]
    assert test["user_id"].is_unique and test["variant"].iloc[:100].nunique() == 2  # arms mixed in arrival order
    per_arm = test.groupby("variant", observed=True)
    assert per_arm.size().tolist() == [200_000, 200_000]
    for outcome in ("purchased", "unsubscribed"):
        for arm, rate in per_arm[outcome].mean().items():
            true = AB_RATES[arm][outcome]
            assert abs(rate - true) < 4 * math.sqrt(true * (1 - true) / 200_000), (arm, outcome)
    assert (test.loc[~test["purchased"], "revenue"] == 0).all() and (test.loc[test["purchased"], "revenue"] >= 0).all()
    spend = test[test["purchased"]].groupby("variant", observed=True)["revenue"].mean()
    assert spend["direct"] == pytest.approx(50.0, rel=0.06) and spend["ladder"] == pytest.approx(45.0, rel=0.06)


def test_simulated_ab_test_is_reproducible_and_sizes_per_arm() -> None:
    a = simulate_ab_test(AB_RATES, users={"direct": 300, "ladder": 500}, seed=2)
    b = simulate_ab_test(AB_RATES, users={"direct": 300, "ladder": 500}, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert a["variant"].value_counts().to_dict() == {"ladder": 500, "direct": 300}
    assert "revenue" not in a.columns


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rates": {"direct": {"purchased": 0.01}}}, "rates must map at least two arms"),
        ({"rates": {"a": {}, "b": {"x": 0.1}}}, "rates['a'] must map outcome names to rates"),
        ({"rates": {"a": {"x": 0.1}, "b": {"y": 0.1}}}, "rates['b'] names outcomes ['y']; every arm needs ['x']"),
        ({"rates": {"a": {"x": 1.5}, "b": {"x": 0.1}}}, "rates['a']['x'] must be a rate between 0 and 1, got 1.5"),
        ({"rates": {"a": {"revenue": 0.1}, "b": {"revenue": 0.1}}}, "an outcome may not be called 'revenue'"),
        ({"users": 0}, "users for arm 'direct' must be a whole number of at least 1, got 0"),
        ({"users": {"direct": 10}}, "users for arm 'ladder' must be a whole number of at least 1, got None"),
        ({"converted": "clicked"}, "converted must be one of the outcomes 'purchased', 'unsubscribed', got 'clicked'"),
        ({"order_value": {"direct": 10.0}}, "arm 'ladder' has None"),
    ],
)
def test_simulated_ab_test_rejects_bad_input(kwargs: dict, message: str) -> None:
    args = {"rates": AB_RATES, "users": 100} | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        simulate_ab_test(**args)
