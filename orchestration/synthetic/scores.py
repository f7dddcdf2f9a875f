"""Slider scores from the planted log-linear model, realism knobs, and the top choice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .truth import ATTRIBUTES, MODERATORS, Realism, ScoreModel

TOXICITY = ATTRIBUTES.index("toxicity")


@dataclass(frozen=True)
class ScoreEffects:
    """Random intercepts on the log scale, drawn once per run."""

    user: np.ndarray
    conversation: np.ndarray
    model: np.ndarray
    # (n_users, 7) participant-level slope deviations, or None when none are planted.
    user_slopes: np.ndarray | None = None


def draw_score_effects(
    model: ScoreModel,
    n_users: int,
    n_conversations: int,
    model_names: list[str],
    rng: np.random.Generator,
) -> ScoreEffects:
    # Models are listed best first (published win order), so sorting hands out matching effects.
    model_effects = np.sort(rng.standard_normal(len(model_names)) * model.sd_model)[::-1]
    if model.model_effects:
        # Pinned effects replace the draw, which is still made so every later draw stays put.
        missing = sorted(set(model_names) - set(model.model_effects))
        if missing:
            raise ValueError(f"truth: score.model_effects lacks {', '.join(missing)}")
        model_effects = np.array([model.model_effects[name] for name in model_names])
    user = rng.standard_normal(n_users) * model.sd_user
    conversation = rng.standard_normal(n_conversations) * model.sd_conversation
    slopes = None
    # Drawn last and only when planted, so the presets without slopes keep every other draw.
    if model.slope_sd:
        sd = np.array([model.slope_sd.get(a, 0.0) for a in ATTRIBUTES])
        slopes = rng.standard_normal((n_users, len(ATTRIBUTES))) * sd
    return ScoreEffects(user, conversation, model_effects.copy(), slopes)


@dataclass(frozen=True)
class ScoreInputs:
    """One row per rated response; x are the written (rounded) response predictors."""

    x: np.ndarray  # (n, 7)
    opening_toxicity: np.ndarray
    moderators: np.ndarray  # (n, 4)
    user: np.ndarray
    conversation: np.ndarray
    model: np.ndarray
    later_turn: np.ndarray  # bool
    empty: np.ndarray  # bool, the answer is "EMPTY STRING"
    # Planted group x model preference effects on log score (zero beyond the opening turn).
    preference: np.ndarray | None = None


def linear_predictor(inputs: ScoreInputs, model: ScoreModel, effects: ScoreEffects) -> np.ndarray:
    beta = np.array([model.beta[a] for a in ATTRIBUTES])
    delta = np.array([model.delta[m] for m in MODERATORS])
    gamma = np.array([[model.gamma[m][a] for a in ATTRIBUTES] for m in MODERATORS])
    centers = np.array([model.moderator_centers[m] for m in MODERATORS])
    x, mods = inputs.x, inputs.moderators
    return (
        model.mu
        + x @ beta
        + mods @ delta
        + np.einsum("nm,mk,nk->n", mods - centers, gamma, x)
        + model.lambda_ * x[:, TOXICITY] * inputs.opening_toxicity
        + effects.user[inputs.user]
        + effects.conversation[inputs.conversation]
        + effects.model[inputs.model]
        + (0.0 if inputs.preference is None else inputs.preference)
        + (0.0 if effects.user_slopes is None else np.sum(x * effects.user_slopes[inputs.user], 1))
    )


@dataclass(frozen=True)
class ScoreDraw:
    score: np.ndarray
    clipped_low: int  # model scores below 1 before the realism knobs
    clipped_high: int  # model scores above 100


def draw_scores(
    inputs: ScoreInputs,
    model: ScoreModel,
    realism: Realism,
    effects: ScoreEffects,
    rng: np.random.Generator,
) -> ScoreDraw:
    n = len(inputs.x)
    if model.noise == "gumbel":
        # Centred, so sigma sets the spread and the mean log score stays where mu puts it.
        noise = rng.gumbel(-model.sigma * np.euler_gamma, model.sigma, n)
    else:
        noise = rng.normal(0.0, model.sigma, n)
    log_star = linear_predictor(inputs, model, effects) + noise
    log_star = log_star + realism.later_turn_offset * inputs.later_turn
    raw = np.round(np.exp(np.minimum(log_star, 10.0)))
    clipped_low, clipped_high = int((raw < 1).sum()), int((raw > 100).sum())
    score = np.clip(raw, 1, 100)
    # Knobs apply in a fixed order and always consume the same draws, so switching one off
    # leaves every other score of the run unchanged.
    u_low, u_default, u_terrible = rng.random(n), rng.random(n), rng.random(n)
    low_plateau = rng.integers(2, 49, n)
    empty_log = rng.normal(realism.empty_string_log_mean, realism.empty_string_log_sd, n)
    plateau = u_low < realism.p_low_uniform
    score[plateau] = low_plateau[plateau]
    score[u_default < realism.p_default_slider_50] = 50
    score[u_terrible < realism.p_terrible_1] = 1
    if realism.empty_string_rated_low:
        low = np.clip(np.round(np.exp(np.minimum(empty_log, 10.0))), 1, 100)
        score[inputs.empty] = low[inputs.empty]
    return ScoreDraw(score.astype(np.int64), clipped_low, clipped_high)


def group_model_effects(
    group_model: dict[str, dict[str, dict[str, float]]],
    answers: dict[str, list[str]],
    model_names: list[str],
) -> np.ndarray:
    """(n_users, n_models) planted effects: each user's summed effects over their answers."""
    n_users = len(next(iter(answers.values())))
    effects = np.zeros((n_users, len(model_names)))
    column = {m: k for k, m in enumerate(model_names)}
    for attribute, levels in group_model.items():
        answer = np.array(answers[attribute], dtype=object)
        for level, by_model in levels.items():
            for model_name, effect in by_model.items():
                if model_name not in column:
                    raise ValueError(f"truth: group_model names unknown model {model_name!r}")
                effects[answer == level, column[model_name]] += effect
    return effects


def top_choice(group: np.ndarray, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of one highest-scored row per group, exact ties broken at random."""
    tiebreak = rng.random(len(group))
    order = np.lexsort((tiebreak, score, group))
    last_of_group = np.r_[group[order][1:] != group[order][:-1], True]
    chosen = np.zeros(len(group), dtype=bool)
    chosen[order[last_of_group]] = True
    return chosen
