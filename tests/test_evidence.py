"""Published evidence and the model's calibration to it (property 5 of the design brief)."""

from __future__ import annotations

import pytest

from funnel_lib import ModelParams
from funnel_lib.evidence import (
    best_case_params,
    calibrate,
    chartrand_1999,
    dillard_1984,
    freedman_fraser_1966,
    sources,
    vendor_claims,
)


def test_freedman_fraser_reproduced_within_two_points() -> None:
    table = freedman_fraser_1966()
    assert table.columns.tolist() == ["experiment", "condition", "observed", "model", "model_average", "role"]
    exp2 = table[table.experiment == 2].set_index("condition")
    assert abs(exp2.loc["one contact", "model"] - 16.7) <= 2
    assert abs(exp2.loc["small similar request first", "model"] - 76.0) <= 2
    assert exp2.loc["one contact", "observed"] == 16.7
    assert exp2.loc["small similar request first", "observed"] == 76.0
    exp1 = table[table.experiment == 1].set_index("condition")
    assert exp1.loc[["performance", "agree only", "familiarization", "one contact"], "observed"].tolist() == \
        [52.8, 33.3, 27.8, 22.2]
    # predictions keep the observed ranking of the two commitment conditions
    assert exp1.loc["performance", "model"] > exp1.loc["agree only", "model"] > exp1.loc["one contact", "model"]
    assert "Freedman" in table.attrs["source"] and "teaching model" in table.attrs["note"]


def test_default_consistency_is_the_meta_analytic_average() -> None:
    cal = calibrate()
    assert ModelParams().consistency == pytest.approx(cal.consistency_average, abs=0.005)
    assert best_case_params().consistency == pytest.approx(cal.consistency_best_case)
    table = freedman_fraser_1966()
    average = table.set_index(["experiment", "condition"]).loc[(2, "small similar request first"), "model_average"]
    assert average == pytest.approx(100 * dillard_1984()["rate_after_small_request_at_16.7"], abs=0.1)


def test_other_sources_are_labelled() -> None:
    assert dillard_1984()["r"] == 0.11 and dillard_1984()["studies"] == 28
    assert "same person" in chartrand_1999()["finding"]
    assert vendor_claims().loc[0, "multi_step_pct"] == 13.9
    kinds = dict(zip(sources()["short"], sources()["kind"], strict=True))
    assert kinds["multi-step form vendors"] == "vendor claim"
    assert all(sources()["citation"].str.len() > 20)


def test_benchmark_table_is_sourced_and_labelled() -> None:
    from funnel_lib.evidence import KINDS, benchmarks

    table = benchmarks()
    assert len(table) >= 15
    assert table.columns.tolist()[:8] == ["metric", "context", "audience", "low", "high", "source", "kind",
                                          "catalog_key"]
    assert set(table["kind"]) <= set(KINDS)
    assert table["source"].str.len().gt(10).all() and table["where"].str.len().gt(5).all()
    known = table.dropna(subset=["low"])
    assert ((known["low"] >= 0) & (known["low"] <= known["high"]) & (known["high"] <= 1)).all()
    # the data-set rows are computed from the bundled data, not typed
    from funnel_lib.datasets import load_hillstrom
    h = load_hillstrom()
    mailed = h[h["segment"] != "No E-Mail"].groupby("segment")["visit"].mean()
    row = table.set_index("metric").loc["e-mail campaign: visit rate"]
    assert row["low"] == pytest.approx(mailed.min()) and row["high"] == pytest.approx(mailed.max())


def test_calibration_report_and_bounds() -> None:
    from funnel_lib.evidence import calibration_report
    from funnel_lib.model import Funnel, Step
    from funnel_lib.simulate import simulate

    report = calibration_report()
    modelled = report.dropna(subset=["model"])
    assert len(modelled) >= 15
    assert modelled["inside"].mean() >= 0.80, modelled.loc[~modelled["inside"].astype(bool), "metric"].tolist()
    # every first-step (single step) benchmark is inside: the misses are pass rates after a commitment
    # and the out-of-sample experiment, which lesson 10 names
    single = modelled[modelled["setting"] == "single step"]
    assert single["inside"].all(), single.loc[~single["inside"].astype(bool), "metric"].tolist()
    big = simulate(Funnel([Step("Buy", "conversion", ask=8)]), "cold").conversion
    assert big <= 0.01
