"""PSIS-LOO summaries and the model comparison table (logic only: draws made up here)."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.loo import COMPARISON_COLUMNS, model_comparison, pointwise_loo


def _pointwise(analysis: str, elpd: np.ndarray, fingerprint: str = "rows") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "analysis": analysis,
            "subset": "all",
            "outcome": "is_top_scored",
            "data_fingerprint": fingerprint,
            "observation": np.arange(len(elpd)),
            "elpd_loo": elpd,
            "lppd": elpd + 0.01,
            "pareto_k": np.where(np.arange(len(elpd)) < 3, 0.9, 0.2),
        }
    )


def _ppc(analysis: str, ppp: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"analysis": analysis, "subset": "all", "statistic": [f"s{i}" for i in range(len(ppp))],
         "ppp": ppp}
    )  # fmt: skip


def test_pointwise_loo_keeps_one_row_per_observation() -> None:
    rng = np.random.default_rng(0)
    # 4 chains x 200 draws of 50 observations' log likelihoods, well behaved.
    log_lik = -1.0 + 0.05 * rng.standard_normal((4, 200, 50))
    idata = az.from_dict(
        posterior={"mu": rng.standard_normal((4, 200))}, log_likelihood={"log_lik": log_lik}
    )
    table = pointwise_loo(
        idata, analysis="top_choice", subset="all", outcome="is_top_scored", fingerprint="f"
    )
    assert len(table) == 50 and table["observation"].tolist() == list(range(50))
    expected_lppd = np.log(np.exp(log_lik.reshape(-1, 50)).mean(axis=0))
    np.testing.assert_allclose(table["lppd"], expected_lppd)
    # Nearly constant log likelihoods: leaving one out changes almost nothing.
    np.testing.assert_allclose(table["elpd_loo"], table["lppd"], atol=0.01)
    assert (table["pareto_k"] < 0.7).all()


def test_an_observation_no_draw_changes_is_exact_not_flagged() -> None:
    rng = np.random.default_rng(2)
    log_lik = -1.0 + 0.05 * rng.standard_normal((4, 200, 5))
    log_lik[:, :, 0] = np.log(0.5)  # a set of two identical options
    idata = az.from_dict(
        posterior={"mu": rng.standard_normal((4, 200))}, log_likelihood={"log_lik": log_lik}
    )
    table = pointwise_loo(
        idata, analysis="top_choice", subset="all", outcome="is_top_scored", fingerprint="f"
    )
    assert table["pareto_k"].iloc[0] == 0.0
    assert table["elpd_loo"].iloc[0] == pytest.approx(np.log(0.5))
    assert table["lppd"].iloc[0] == pytest.approx(np.log(0.5))
    assert np.isfinite(table["pareto_k"]).all()


def test_differences_are_taken_observation_by_observation() -> None:
    rng = np.random.default_rng(1)
    base = -1.0 + 0.3 * rng.standard_normal(400)
    better = base + 0.05 + 0.02 * rng.standard_normal(400)
    pointwise = pd.concat([_pointwise("plain", base), _pointwise("mixed", better)])
    ppc = pd.concat([_ppc("plain", [0.5, 0.01, 0.99]), _ppc("mixed", [0.5, 0.4, 0.6])])
    frame = model_comparison(pointwise, ppc)
    assert list(frame.columns) == list(COMPARISON_COLUMNS)
    table = frame.set_index("analysis")
    assert table.loc["mixed", "elpd_diff"] == 0 and table.loc["mixed", "compared_on"] == "mixed"
    difference = base - better
    assert table.loc["plain", "elpd_diff"] == pytest.approx(difference.sum())
    assert table.loc["plain", "elpd_diff_se"] == pytest.approx(
        np.sqrt(400 * difference.var(ddof=1))
    )
    # The pointwise se is far below the se of either total (the models agree on most rows).
    assert table.loc["plain", "elpd_diff_se"] < 0.2 * table.loc["plain", "elpd_loo_se"]
    assert table.loc["plain", "p_loo"] == pytest.approx(4.0)
    assert table.loc["plain", "n_pareto_k_above_0_7"] == 3
    assert table.loc["plain", "ppc_outside_90"] == 2 and table.loc["mixed", "ppc_outside_90"] == 0
    assert table.loc["plain", "ppc_statistics"] == 3


def test_fits_of_other_rows_are_not_differenced() -> None:
    pointwise = pd.concat(
        [
            _pointwise("plain", np.full(10, -1.0), fingerprint="a"),
            _pointwise("mixed", np.full(10, -0.9), fingerprint="b"),
        ]
    )
    table = model_comparison(pointwise, _ppc("plain", [0.5])).set_index("analysis")
    assert np.isnan(table.loc["plain", "elpd_diff"])
    assert table.loc["plain", "compared_on"].startswith("not comparable")
    assert table.loc["mixed", "ppc_statistics"] is None or pd.isna(
        table.loc["mixed", "ppc_statistics"]
    )
    assert model_comparison(pointwise.iloc[0:0], _ppc("plain", [0.5])).empty
