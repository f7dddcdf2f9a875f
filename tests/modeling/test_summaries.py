from __future__ import annotations

import math
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.summaries import (
    SUMMARY_COLUMNS,
    DiagnosticThresholds,
    FitDiagnostics,
    compare_with_paper,
    evidence,
    fit_diagnostics,
    format_evidence_ratio,
    hypothesis_table,
    mark,
    normalise_subset,
    normalise_term,
    paper_signs,
    posterior_summary,
    read_paper_estimates,
    render_hypothesis_table,
)

TERMS = ("toxicity", "affinity", "compassion")


def test_evidence_ratio_counts_draws() -> None:
    draws = np.array([1.0, 2.0, 3.0, -1.0])
    assert evidence(draws, ">") == (0.75, 3.0)
    assert evidence(draws, "<") == (0.25, 1 / 3)
    prob, ratio = evidence(np.ones(4000), ">")
    assert prob == 1.0 and math.isinf(ratio)
    # A draw at exactly zero is not on the hypothesised side (as brms).
    assert evidence(np.array([0.0, 1.0]), ">") == (0.5, 1.0)
    with pytest.raises(ValueError, match="'='"):
        evidence(draws, "=")


def test_marks_use_strict_thresholds() -> None:
    assert [mark(x) for x in (5.0, 10.0, 10.5, 100.0, 141.857, math.inf)] == [
        "",
        "",
        "†",
        "†",
        "*",
        "*",
    ]


def test_evidence_ratio_format_matches_the_paper() -> None:
    assert format_evidence_ratio(math.inf) == "Inf"
    assert format_evidence_ratio(3999.0) == "3,999"
    assert format_evidence_ratio(4000 / 3) == "1,333.333"
    assert format_evidence_ratio(141.857142) == "141.857"
    assert format_evidence_ratio(0.592) == "0.592"


def fake_idata(seed: int = 0, chains: int = 4, draws: int = 1000) -> az.InferenceData:
    """Well-mixed draws with known means: b = (2, -0.01, -1) with sd 0.5, 1, 0.1."""
    rng = np.random.default_rng(seed)
    b = rng.normal([2.0, -0.01, -1.0], [0.5, 1.0, 0.1], size=(chains, draws, 3))
    posterior = {
        "b": b,
        "Intercept": rng.normal(3, 0.1, (chains, draws)),
        "b_Intercept": rng.normal(2.5, 0.1, (chains, draws)),
        "sd_model": np.abs(rng.normal(0.2, 0.02, (chains, draws))),
        "sd_user": np.abs(rng.normal(0.3, 0.02, (chains, draws))),
        "sd_conv": np.abs(rng.normal(0.3, 0.02, (chains, draws))),
        "sigma": np.abs(rng.normal(0.6, 0.01, (chains, draws))),
    }
    stats = {
        "diverging": np.zeros((chains, draws), dtype=bool),
        "tree_depth": np.full((chains, draws), 3),
        "energy": rng.normal(0, 1, (chains, draws)),
    }
    return az.from_dict(
        posterior=posterior, sample_stats=stats, coords={"term": list(TERMS)}, dims={"b": ["term"]}
    )


def test_posterior_summary_rows_and_hypotheses() -> None:
    idata = fake_idata()
    summary = posterior_summary(
        idata,
        analysis="log_score",
        subset="all",
        terms=TERMS,
        engine="pystan",
        fingerprint="abc",
        signs={"affinity": ">"},
    )
    assert tuple(summary.columns) == SUMMARY_COLUMNS
    assert summary["term"].tolist() == [
        *TERMS,
        "b_Intercept",
        "sd_model",
        "sd_user",
        "sd_conv",
        "sigma",
    ]
    rows = summary.set_index("term")
    assert rows.loc["toxicity", "mean"] == pytest.approx(2.0, abs=0.05)
    assert rows.loc["toxicity", "q5"] == pytest.approx(2.0 - 1.645 * 0.5, abs=0.05)
    assert rows.loc["compassion", "sd"] == pytest.approx(0.1, rel=0.05)
    # Unspecified signs follow the posterior mean; the given one is kept even if it loses.
    assert rows.loc["toxicity", "hypothesis"] == ">"
    assert rows.loc["compassion", "hypothesis"] == "<"
    assert math.isinf(rows.loc["compassion", "evidence_ratio"])
    assert rows.loc["affinity", "hypothesis"] == ">"
    assert rows.loc["affinity", "post_prob"] == pytest.approx(0.5, abs=0.03)
    assert rows.loc["toxicity", "r_hat"] == pytest.approx(1.0, abs=0.01)
    assert rows.loc["toxicity", "ess_bulk"] > 3000
    assert pd.isna(rows.loc["sigma", "hypothesis"])
    assert (summary["data_fingerprint"] == "abc").all()

    table = hypothesis_table(summary)
    assert len(table) == 3
    assert table.loc[0, "hypothesis"] == "toxicity > 0"
    assert table["mark"].tolist() == ["*", "", "*"]
    text = render_hypothesis_table(table)
    assert "| all | compassion < 0 |" in text and "| Inf |" in text


def test_summary_rejects_mismatched_terms() -> None:
    with pytest.raises(ValueError, match="3 coefficients, 2 terms"):
        posterior_summary(
            fake_idata(), analysis="x", subset="all", terms=TERMS[:2], engine="e", fingerprint=""
        )


def test_diagnostics_pass_on_good_draws() -> None:
    checks = fit_diagnostics(fake_idata(), max_treedepth=10)
    assert checks.max_r_hat < 1.01
    assert checks.min_ess_bulk > 1000
    assert checks.divergences == 0
    assert checks.treedepth_hits == 0
    assert checks.min_ebfmi > 1.0  # independent energies: E-BFMI near 2
    assert checks.verdicts()["passed"]


def test_diagnostics_fail_on_bad_draws() -> None:
    idata = fake_idata()
    # One chain stuck elsewhere, a divergence, tree depth hits, and a random-walk energy.
    idata.posterior["b"].values[0, :, 0] += 3.0
    idata.sample_stats["diverging"].values[1, 5] = True
    idata.sample_stats["tree_depth"].values[2, :10] = 10
    energy = np.cumsum(np.random.default_rng(1).normal(0, 1, (4, 1000)), axis=1)
    idata.sample_stats["energy"].values[:] = energy
    checks = fit_diagnostics(idata, max_treedepth=10)
    assert checks.divergences == 1
    assert checks.treedepth_hits == 10
    verdicts = checks.verdicts()
    assert verdicts == {
        "r_hat_ok": False,
        "ess_ok": False,
        "divergences_ok": False,
        "ebfmi_ok": False,
        "passed": False,
    }


def test_verdict_thresholds_are_inclusive_where_stated() -> None:
    edge = FitDiagnostics(
        max_r_hat=1.01,
        min_ess_bulk=400,
        min_ess_tail=400,
        divergences=0,
        min_ebfmi=0.31,
        treedepth_hits=5,
        n_draws=4000,
    )
    assert edge.verdicts()["passed"]
    assert not edge.verdicts(DiagnosticThresholds(min_ess=401))["ess_ok"]
    row = edge.as_row()
    assert row["treedepth_hits"] == 5 and row["passed"] is True


def test_seed_names_normalise_to_ours() -> None:
    assert normalise_subset("1a", "Values-guided") == "values guided"
    assert normalise_subset("1b", "All data") == "all"
    assert normalise_subset("3", "TOXICITY") == "response_toxicity"
    assert normalise_term("1a", "REASONING_NUANCE") == "reasoning_nuance"
    assert normalise_term("1a", "PERSONAL STORY") == "personal_story"
    assert normalise_term("3", "RESPECT_human") == "opening_prompt_respect"
    assert normalise_term("2", "younger:TOXICITY") == "is_younger:toxicity"
    assert normalise_term("2", "TOXICITY:high_values") == "has_high_values:toxicity"
    assert normalise_term("1b", "TOXICITY x TOXICITY_HUMAN") == "toxicity:opening_prompt_toxicity"
    with pytest.raises(ValueError, match="flattery"):
        normalise_term("1a", "flattery")


def write_seed(path: Path) -> Path:
    seed = pd.DataFrame(
        {
            "analysis": ["1b", "1b", "1b"],
            "subset": ["all", "all", "all"],
            "term": ["TOXICITY", "AFFINITY", "TOXICITY x TOXICITY_human"],
            "hypothesis": ["TOXICITY > 0", "AFFINITY > 0", "TOXICITY:TOXICITY_human > 0"],
            "estimate": [1.5, 0.09, 0.244],
            "est_error": [0.25, 0.127, 0.104],
            "ci_lower": [1.1, -0.116, 0.078],
            "ci_upper": [1.9, 0.3, 0.419],
            "evidence_ratio": [4000, 3.149, 141.857],
            "post_prob": [1.0, 0.759, 0.993],
            "mark": ["*", None, "*"],
        }
    )
    file = path / "paper_estimates.csv"
    seed.to_csv(file, index=False)
    return file


def test_comparison_with_the_paper(tmp_path: Path) -> None:
    paper = read_paper_estimates(write_seed(tmp_path))
    assert paper_signs(paper, "log_score", "all") == {
        "toxicity": ">",
        "affinity": ">",
        "toxicity:opening_prompt_toxicity": ">",
    }
    main = posterior_summary(
        fake_idata(), analysis="log_score", subset="all", terms=TERMS, engine="e", fingerprint=""
    )
    inter_terms = (*TERMS[:2], "toxicity:opening_prompt_toxicity")
    inter = posterior_summary(
        fake_idata(seed=2),
        analysis="log_score_toxicity_interaction",
        subset="all",
        terms=inter_terms,
        engine="e",
        fingerprint="",
    )
    comparison = compare_with_paper(pd.concat([main, inter]), paper).set_index("term")
    # One row per paper term: the interaction model's main effects are not matched.
    assert sorted(comparison.index) == ["affinity", "toxicity", "toxicity:opening_prompt_toxicity"]
    assert comparison.loc["toxicity", "analysis"] == "log_score"
    assert comparison.loc["toxicity:opening_prompt_toxicity", "analysis"] == (
        "log_score_toxicity_interaction"
    )
    tox = comparison.loc["toxicity"]
    assert tox["difference"] == pytest.approx(tox["estimate"] - 1.5)
    assert tox["diff_in_sd"] == pytest.approx((tox["estimate"] - 1.5) / 0.25)
    assert tox["same_sign"]
    assert tox["paper_mark"] == "*"
