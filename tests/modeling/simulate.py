"""Synthetic inputs for the Stan layer: PRISM-shaped snapshots and outcomes drawn from exactly
the models in ``stan/`` with planted parameters, for parameter recovery and benchmarks.

The snapshot mimics PRISM's structure (participants own conversations; the opening turn shows
2-4 answers from different LLMs, later turns two answers from the LLM the participant chose) and
the columns of ``marts.fct_responses`` joined to the moderators, so `build_fit_data` and
`run_analysis` run on it unchanged. Its attributes are probabilities with realistic
correlations (reasoning and nuance correlate about .9, responses mirror the opening prompt).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from orchestration.modeling.choice import ChoiceData
from orchestration.modeling.data import NestedData, ScoreData
from orchestration.modeling.specs import CONVERSATION_TYPES, MODERATORS

# The eight Perspective attributes scored per text (reasoning_nuance is derived).
BASE_ATTRIBUTES: tuple[str, ...] = (
    "toxicity",
    "affinity",
    "compassion",
    "curiosity",
    "nuance",
    "personal_story",
    "reasoning",
    "respect",
)
# Logit-scale means: toxicity and personal stories are rare in LLM answers, reasoning common.
_LOGIT_MEANS = np.array([-2.5, -1.5, -1.0, -1.0, 0.0, -2.0, 0.5, -0.5])
_CONVERSATION_TYPE_SHARES = np.array([3093, 2440, 2427]) / 7960
PRISM_SCALE = {"n_users": 1396, "n_conversations": 8011, "n_models": 21}


@dataclass(frozen=True)
class Truth:
    """Planted parameters; `intercept` is the uncentred intercept (Stan's ``b_Intercept``)."""

    intercept: float
    b: np.ndarray
    sd_model: float
    sd_user: float
    sd_conv: float
    sigma: float | None = None  # Gaussian and rounded log-logistic only
    phi: float | None = None  # beta only
    # Rounded log-logistic only: shares of ratings at 1, and at the default, whatever the latent.
    share_bottom: float | None = None
    share_default: float | None = None


@dataclass(frozen=True)
class Simulation:
    data: NestedData  # the input record with `y` replaced by simulated outcomes
    r_model: np.ndarray
    r_user: np.ndarray
    r_conv: np.ndarray


def simulate_outcome(data: NestedData, truth: Truth, seed: int) -> Simulation:
    """Draw `y` from the program's model given the record's covariates and `truth`.

    Beta when `truth.phi` is set, the rounded log-logistic score when its heap shares are,
    Gaussian when only `truth.sigma` is, and Bernoulli-logit otherwise; the random intercepts
    are drawn afresh from their planted sds.
    """
    if len(truth.b) != data.K:
        raise ValueError(f"truth has {len(truth.b)} coefficients, data has K={data.K}")
    rng = np.random.default_rng(seed)
    r_model = rng.normal(0.0, truth.sd_model, data.N_model)
    r_user = rng.normal(0.0, truth.sd_user, data.N_user)
    r_conv = rng.normal(0.0, truth.sd_conv, data.N_conv)
    user = data.J_conv_user[data.J_conv - 1]
    eta = (
        truth.intercept
        + data.X @ truth.b
        + r_model[data.J_model - 1]
        + r_user[user - 1]
        + r_conv[data.J_conv - 1]
    )
    if truth.phi is not None:
        mean = 1.0 / (1.0 + np.exp(-eta))
        y = rng.beta(mean * truth.phi, (1.0 - mean) * truth.phi)
    elif truth.share_bottom is not None:
        # Logistic noise with sd sigma.
        noise = rng.logistic(0.0, truth.sigma * np.sqrt(3.0) / np.pi, data.N)
        y = _recorded_score(eta + noise, data, truth, rng)
    elif truth.sigma is None:
        y = (rng.random(data.N) < 1.0 / (1.0 + np.exp(-eta))).astype(int)
    else:
        y = eta + rng.normal(0.0, truth.sigma, data.N)
    return Simulation(replace(data, y=y), r_model, r_user, r_conv)


def _recorded_score(
    latent: np.ndarray, data: NestedData, truth: Truth, rng: np.random.Generator
) -> np.ndarray:
    """The rounded log-logistic's score: round(exp(latent)) within 1..max_score, then the
    bottom and default heaps, each drawn whatever the latent rating."""
    assert isinstance(data, ScoreData) and truth.share_default is not None
    score = np.clip(np.rint(np.exp(np.minimum(latent, 10.0))), 1, data.max_score).astype(int)
    heap = rng.choice(
        3,
        data.N,
        p=[1.0 - truth.share_bottom - truth.share_default, truth.share_bottom, truth.share_default],
    )
    score[heap == 1] = 1
    score[heap == 2] = data.default_score
    return score


def simulate_snapshot(
    n_users: int,
    n_conversations: int,
    n_models: int = 21,
    seed: int = 0,
    *,
    extra_turns_mean: float = 2.3,
    english_share: float = 0.98,
    moderator_missing_share: float = 0.03,
) -> pd.DataFrame:
    """A PRISM-shaped snapshot of ``marts.fct_responses`` + moderators.

    The defaults give PRISM's average of about 8.5 responses per conversation (the opening
    turn mostly four answers, then 2.3 further turns of two on average), so
    ``simulate_snapshot(**PRISM_SCALE)`` has about 68,000 rows.
    """
    if n_conversations < n_users:
        raise ValueError("every participant needs at least one conversation")
    if n_models < 4:
        raise ValueError("the opening turn draws up to four distinct LLMs")
    rng = np.random.default_rng(seed)
    conv_user = np.concatenate(
        [np.arange(n_users), rng.integers(0, n_users, n_conversations - n_users)]
    )
    conv_user.sort()
    conv_type = rng.choice(len(CONVERSATION_TYPES), n_conversations, p=_CONVERSATION_TYPE_SHARES)
    n_opening = rng.choice([2, 3, 4], n_conversations, p=[0.04, 0.01, 0.95])
    n_later = rng.poisson(extra_turns_mean, n_conversations)

    # Attributes: correlated logit-normal draws per text, reasoning ~ nuance at about .9.
    corr = np.full((8, 8), 0.15) + np.eye(8) * 0.85
    corr[4, 6] = corr[6, 4] = 0.9
    chol = np.linalg.cholesky(corr)
    opening_logit = _LOGIT_MEANS + rng.standard_normal((n_conversations, 8)) @ chol.T

    rows: list[dict[str, object]] = []
    for c in range(n_conversations):
        models = rng.choice(n_models, n_opening[c], replace=False)
        turns = [(0, models)] + [(t, np.repeat(models[0], 2)) for t in range(1, n_later[c] + 1)]
        for turn, turn_models in turns:
            prompt_logit = (
                opening_logit[c] if turn == 0 else _LOGIT_MEANS + rng.standard_normal(8) @ chol.T
            )
            for option, model in enumerate(turn_models):
                response_logit = (
                    0.6 * _LOGIT_MEANS
                    + 0.4 * prompt_logit
                    + 0.8 * (rng.standard_normal(8) @ chol.T)
                )
                rows.append(
                    {
                        "utterance_id": f"u{c}-{turn}-{option}",
                        "interaction_id": f"i{c}-{turn}",
                        "conversation_id": f"c{c}",
                        "user_id": f"user{conv_user[c]}",
                        "model_name": f"model{model:02d}",
                        "conversation_type": CONVERSATION_TYPES[conv_type[c]],
                        "turn": turn,
                        "n_options": len(turn_models),
                        "_response": response_logit,
                        "_prompt": prompt_logit,
                        "_opening": opening_logit[c],
                    }
                )
    frame = pd.DataFrame(rows)
    sides = (("_response", "response"), ("_prompt", "prompt"), ("_opening", "opening_prompt"))
    for key, side in sides:
        probs = 1.0 / (1.0 + np.exp(-np.stack(frame.pop(key).to_numpy())))
        for j, name in enumerate(BASE_ATTRIBUTES):
            frame[f"{side}_{name}"] = probs[:, j]
        frame[f"{side}_reasoning_nuance"] = frame[f"{side}_reasoning"] * frame[f"{side}_nuance"]
    english = rng.random(n_conversations) < english_share
    frame["is_english_conversation"] = english[frame["conversation_id"].str[1:].astype(int)]

    users = frame["user_id"].str[4:].astype(int).to_numpy()
    for name in MODERATORS:
        value = pd.array(rng.random(n_users) < 0.5, dtype="boolean")
        value[rng.random(n_users) < moderator_missing_share] = pd.NA
        frame[name] = value[users]
    _add_scores(frame, rng)
    return frame


def _add_scores(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Scores 1..100 whose log loads on reasoning_nuance and personal_story (as in PRISM),
    and the top-scored flag per turn, ties all counting as top."""
    conv_effect = rng.normal(0, 0.3, frame["conversation_id"].nunique())
    conv_index = frame["conversation_id"].factorize()[0]
    log_score = (
        3.3
        + 1.2 * frame["response_reasoning_nuance"]
        - 0.6 * frame["response_personal_story"]
        + conv_effect[conv_index]
        + rng.normal(0, 0.6, len(frame))
    )
    score = np.clip(np.rint(np.exp(log_score)), 1, 100).astype(int)
    frame["score"] = score
    frame["log_score"] = np.log(score)
    best = frame.groupby("interaction_id")["score"].transform("max")
    frame["is_top_scored"] = frame["score"] == best


@dataclass(frozen=True)
class ChoiceTruth:
    """Planted parameters of the conditional (mixed) logit."""

    b: np.ndarray
    sd_model: float
    tau: np.ndarray | None = None  # participant slope sds; None for the plain logit


@dataclass(frozen=True)
class ChoiceSimulation:
    data: ChoiceData  # the record with `y` replaced by one simulated pick per set
    r_model: np.ndarray  # summing to zero, as the program's
    slopes: np.ndarray  # (N_user, K) participant deviations, zeros for the plain logit


def simulate_choices(data: ChoiceData, truth: ChoiceTruth, seed: int) -> ChoiceSimulation:
    """One pick per set drawn from the conditional logit with `truth` (no ties)."""
    if len(truth.b) != data.K:
        raise ValueError(f"truth has {len(truth.b)} coefficients, data has K={data.K}")
    rng = np.random.default_rng(seed)
    r_model = rng.normal(0.0, truth.sd_model, data.N_model)
    r_model -= r_model.mean()
    tau = np.zeros(data.K) if truth.tau is None else truth.tau
    slopes = rng.standard_normal((data.N_user, data.K)) * tau
    sizes = np.diff(data.set_start)
    set_of = np.repeat(np.arange(data.S), sizes)
    user = data.J_set_user[set_of] - 1
    eta = data.X @ truth.b + np.sum(data.X * slopes[user], axis=1) + r_model[data.J_model - 1]
    # Gumbel-max: the option with the largest utility plus Gumbel noise is a softmax draw.
    noisy = eta + rng.gumbel(size=data.N)
    order = np.lexsort((noisy, set_of))
    last_of_set = np.r_[set_of[order][1:] != set_of[order][:-1], True]
    y = np.zeros(data.N, dtype=int)
    y[order[last_of_set]] = 1
    return ChoiceSimulation(replace(data, y=y), r_model, slopes)
