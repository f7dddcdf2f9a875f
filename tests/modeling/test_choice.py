"""The choice model for the top pick: whole choice sets, the numpy likelihood behind the starting
values, and (slow) the Stan program against that likelihood and against planted truths."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.choice import ChoiceData, build_choice_data
from orchestration.modeling.choice_inits import choice_initial_values, conditional_logit_estimate
from orchestration.modeling.engine import SamplingProfile, sample
from orchestration.modeling.specs import ATTRIBUTES, top_choice_mixed_spec, top_choice_specs
from tests.modeling.sbc import sbc_ranks, uniformity_p_values
from tests.modeling.simulate import ChoiceTruth, simulate_choices

PLAIN = top_choice_specs()[0]
MIXED = top_choice_mixed_spec()
# Choice-scale coefficients like the `choice` synthetic preset's: reasoning/nuance wins by
# several units, toxicity and personal stories lose.
TRUTH = ChoiceTruth(b=np.array([-2.6, -0.5, 0.7, -0.6, 4.9, -2.6, 1.0]), sd_model=0.4)
RECOVERY = SamplingProfile("recovery", chains=2, warmup=300, draws=300, seed=7, adapt_delta=0.9)
SBC_PROFILE = SamplingProfile("sbc", chains=2, warmup=200, draws=200, adapt_delta=0.95)


def _options(interaction: str, scores: list[int], **columns: object) -> list[dict[str, object]]:
    top = max(scores)
    rows = []
    for i, score in enumerate(scores):
        row: dict[str, object] = {
            "utterance_id": f"{interaction}-{i}",
            "interaction_id": interaction,
            "conversation_id": f"c-{interaction}",
            "user_id": "u1",
            "model_name": f"m{i}",
            "conversation_type": "unguided",
            "turn": 0,
            "n_options": len(scores),
            "is_english_conversation": True,
            "is_top_scored": score == top,
        }
        row |= {f"response_{a}": 0.1 * (i + 1) + 0.01 * k for k, a in enumerate(ATTRIBUTES)}
        rows.append(row | columns)
    return rows


def test_sets_are_kept_whole_and_the_counts_reconcile() -> None:
    rows = [
        *_options("kept", [80, 20, 40]),
        *_options("tied_top", [60, 60, 10]),
        *_options("all_tied", [50, 50]),
        *_options("single", [70]),
        *_options("missing", [70, 30]),
    ]
    snapshot = pd.DataFrame(rows)
    snapshot.loc[snapshot["utterance_id"] == "missing-1", "response_toxicity"] = None
    data = build_choice_data(snapshot, MIXED)
    record = data.stan
    assert isinstance(record, ChoiceData)
    assert record.S == 2 and record.N == 6
    assert record.set_start.tolist() == [1, 4, 7]
    # Sets sort by interaction id: "kept" before "tied_top"; both tied tops count as the pick.
    assert record.y.tolist() == [1, 0, 0, 1, 1, 0]
    assert data.rows_dropped == {
        "not_english": 0,
        "missing_value": 1,
        "incomplete_set": 1,
        "single_option": 1,
        "all_options_top": 2,
    }
    assert record.N + sum(data.rows_dropped.values()) == len(snapshot)


def test_choice_data_rejects_a_non_choice_spec(small_snapshot: pd.DataFrame) -> None:
    from orchestration.modeling.specs import top_scored_specs

    with pytest.raises(ValueError, match="not a choice model"):
        build_choice_data(small_snapshot, top_scored_specs()[0])


@pytest.fixture(scope="module")
def choice_record(small_snapshot: pd.DataFrame) -> ChoiceData:
    record = build_choice_data(small_snapshot, PLAIN).stan
    assert isinstance(record, ChoiceData)
    return record


def test_maximum_likelihood_recovers_planted_choices(choice_record: ChoiceData) -> None:
    """The numpy likelihood behind the starting values is itself a correct estimator."""
    simulation = simulate_choices(choice_record, TRUTH, seed=3)
    estimate = conditional_logit_estimate(simulation.data)
    b, se = estimate.theta[: choice_record.K], estimate.se[: choice_record.K]
    assert np.all(np.abs(b - TRUTH.b) < 4 * se), (b, TRUTH.b, se)
    assert np.corrcoef(b, TRUTH.b)[0, 1] > 0.9


def test_every_chain_starts_somewhere_else(choice_record: ChoiceData) -> None:
    mixed = replace(choice_record, random_slopes=1)
    starts = choice_initial_values(mixed, chains=3, seed=1)
    assert len({tuple(s["b_tilde"]) for s in starts}) == 3
    assert np.array(starts[0]["z_slope"]).shape == (mixed.N_user, mixed.K)
    assert all(np.all(np.array(s["tau_signed"]) > 0) for s in starts)


@pytest.mark.slow
def test_stan_and_numpy_likelihoods_agree(choice_record: ChoiceData) -> None:
    """Under a flat-enough prior the plain program's posterior mean is the maximum-likelihood
    estimate, computed independently in numpy: a check on the program's likelihood."""
    simulation = simulate_choices(choice_record, TRUTH, seed=4)
    record = replace(simulation.data, prior_b_sd=100.0)
    estimate = conditional_logit_estimate(record)
    run = sample("conditional_logit", record.to_stan(), RECOVERY)
    b = run.idata.posterior["b"].values.reshape(-1, record.K)
    se = estimate.se[: record.K]
    assert np.all(np.abs(b.mean(axis=0) - estimate.theta[: record.K]) < 0.25 * se)
    np.testing.assert_allclose(b.std(axis=0), se, rtol=0.2)


@pytest.mark.slow
def test_mixed_logit_recovers_planted_slopes_and_coefficients(
    medium_snapshot: pd.DataFrame,
) -> None:
    record = build_choice_data(medium_snapshot, MIXED).stan
    assert isinstance(record, ChoiceData)
    truth = replace(TRUTH, tau=np.array([1.0, 0.5, 0.8, 0.5, 1.5, 1.0, 0.5]))
    simulation = simulate_choices(record, truth, seed=5)
    run = sample("conditional_logit", simulation.data.to_stan(), RECOVERY)
    posterior = run.idata.posterior
    b = posterior["b"].values.reshape(-1, record.K)
    lower, upper = np.quantile(b, [0.05, 0.95], axis=0)
    covered = (lower <= truth.b) & (truth.b <= upper)
    assert covered.mean() >= 0.8, (lower, upper, truth.b)
    assert np.corrcoef(b.mean(axis=0), truth.b)[0, 1] >= 0.95
    r_model = posterior["r_model"].values.reshape(-1, record.N_model)
    assert np.corrcoef(r_model.mean(axis=0), simulation.r_model)[0, 1] >= 0.8
    assert abs(r_model.sum(axis=1)).max() < 1e-8
    # Slope sds are weakly identified by a few dozen choices per participant: their intervals
    # should hold the truth, not pin it.
    tau = posterior["tau"].values.reshape(-1, record.K)
    assert (np.quantile(tau, 0.95, axis=0) >= truth.tau * 0.5).all()


@pytest.mark.slow
def test_mixed_logit_is_calibrated(tiny_snapshot: pd.DataFrame) -> None:
    """A small simulation-based calibration: no parameter's ranks depart from uniform (the
    full run, with histograms, is the `bench_sbc` benchmark)."""
    record = build_choice_data(tiny_snapshot, MIXED).stan
    assert isinstance(record, ChoiceData)
    record = replace(record, prior_scale=1.0)
    ranks = sbc_ranks(record, replications=30, profile=SBC_PROFILE, seed=2)
    p_values = uniformity_p_values(ranks)
    assert len(p_values) == 2 * record.K + 2
    assert (p_values > 0.001).all(), p_values.sort_values().head()
