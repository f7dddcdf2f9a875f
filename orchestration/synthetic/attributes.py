"""Perspective-style attribute values: prompts from Beta marginals, answers by mirroring.

Column layout of every (n, 8) array here is `PERSPECTIVE` order, the order of the score file.
The 7 model predictors (truth.ATTRIBUTES) are derived from it with `predictors()`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from scoring.attributes import BRIDGING_ATTRIBUTES

from .truth import ATTRIBUTES, Mirroring

# The score file's columns: toxicity first, then the seven bridging attributes.
PERSPECTIVE: tuple[str, ...] = ("TOXICITY", *BRIDGING_ATTRIBUTES)
_COL = {name: i for i, name in enumerate(PERSPECTIVE)}
# Predictor -> Perspective column, for the six that map one to one.
_DIRECT = {
    "toxicity": "TOXICITY",
    "affinity": "AFFINITY_EXPERIMENTAL",
    "compassion": "COMPASSION_EXPERIMENTAL",
    "curiosity": "CURIOSITY_EXPERIMENTAL",
    "personal_story": "PERSONAL_STORY_EXPERIMENTAL",
    "respect": "RESPECT_EXPERIMENTAL",
}

# Beta(a, b) marginals for user prompts: most bridging and toxicity values are small, curiosity
# is higher because prompts are mostly questions.
PROMPT_BETA: dict[str, tuple[float, float]] = {
    "TOXICITY": (0.9, 14.0),
    "AFFINITY_EXPERIMENTAL": (1.3, 16.0),
    "COMPASSION_EXPERIMENTAL": (1.2, 14.0),
    "CURIOSITY_EXPERIMENTAL": (2.0, 9.0),
    "NUANCE_EXPERIMENTAL": (1.6, 7.0),
    "PERSONAL_STORY_EXPERIMENTAL": (1.0, 14.0),
    "REASONING_EXPERIMENTAL": (2.0, 6.0),
    "RESPECT_EXPERIMENTAL": (1.4, 12.0),
}
# Latent correlation of reasoning and nuance; about 0.9 after the Beta transform.
REASONING_NUANCE_LATENT_RHO = 0.93
# Split of reasoning_nuance into reasoning = x**w, nuance = x**(1 - w).
SPLIT_BETA = (20.0, 22.0)


def round_sig(values: np.ndarray, digits: int = 7) -> np.ndarray:
    """Round to `digits` significant digits, like the values the Perspective API returns."""
    out = np.asarray(values, dtype=np.float64).copy()
    nonzero = out != 0
    magnitude = np.floor(np.log10(np.abs(out[nonzero])))
    factor = 10.0 ** (digits - 1 - magnitude)
    out[nonzero] = np.round(out[nonzero] * factor) / factor
    return out


def predictors(values: np.ndarray) -> np.ndarray:
    """(n, 8) Perspective values -> (n, 7) predictors in truth.ATTRIBUTES order."""
    cols = []
    for attr in ATTRIBUTES:
        if attr == "reasoning_nuance":
            cols.append(
                values[:, _COL["REASONING_EXPERIMENTAL"]] * values[:, _COL["NUANCE_EXPERIMENTAL"]]
            )
        else:
            cols.append(values[:, _COL[_DIRECT[attr]]])
    return np.column_stack(cols)


def prompt_attributes(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 8) prompt values from a Gaussian copula over the Beta marginals."""
    z = rng.standard_normal((n, len(PERSPECTIVE)))
    rho = REASONING_NUANCE_LATENT_RHO
    z[:, _COL["NUANCE_EXPERIMENTAL"]] = (
        rho * z[:, _COL["REASONING_EXPERIMENTAL"]]
        + np.sqrt(1 - rho**2) * z[:, _COL["NUANCE_EXPERIMENTAL"]]
    )
    u = stats.norm.cdf(z)
    out = np.empty_like(u)
    for name, (a, b) in PROMPT_BETA.items():
        out[:, _COL[name]] = stats.beta.ppf(u[:, _COL[name]], a, b)
    return round_sig(out)


@dataclass(frozen=True)
class MirroringEffects:
    """Random effects of the mirroring model, drawn once per run."""

    model: np.ndarray  # (n_models, 7)
    conversation: np.ndarray  # (n_conversations, 7)


def draw_mirroring_effects(
    mirroring: Mirroring, n_models: int, n_conversations: int, rng: np.random.Generator
) -> MirroringEffects:
    sd_m = np.array([mirroring.sd_model[a] for a in ATTRIBUTES])
    sd_c = np.array([mirroring.sd_conversation[a] for a in ATTRIBUTES])
    return MirroringEffects(
        model=rng.standard_normal((n_models, len(ATTRIBUTES))) * sd_m,
        conversation=rng.standard_normal((n_conversations, len(ATTRIBUTES))) * sd_c,
    )


@dataclass(frozen=True)
class ResponseDraw:
    values: np.ndarray  # (n, 8) Perspective values, rounded
    clipped_low: np.ndarray  # (7,) count of predictor values raised to 0
    clipped_high: np.ndarray  # (7,) count lowered to 1


def response_attributes(
    opening: np.ndarray,
    model: np.ndarray,
    conversation: np.ndarray,
    mirroring: Mirroring,
    effects: MirroringEffects,
    rng: np.random.Generator,
) -> ResponseDraw:
    """Answers mirror their conversation's opening prompt; `opening` is (n, 7) predictors."""
    intercept = np.array([mirroring.intercept[a] for a in ATTRIBUTES])
    b = np.array([[mirroring.B[p][k] for k in ATTRIBUTES] for p in ATTRIBUTES])
    shape = np.array([mirroring.noise_shape[a] for a in ATTRIBUTES])
    scale = np.array([mirroring.noise_scale[a] for a in ATTRIBUTES])
    n = len(opening)
    # Shifted Gamma: mean zero, right-skewed, bounded below by -shape * scale.
    noise = rng.gamma(shape, scale, (n, len(ATTRIBUTES))) - shape * scale
    x = intercept + opening @ b + effects.model[model] + effects.conversation[conversation] + noise
    low = (x < 0).sum(axis=0)
    high = (x > 1).sum(axis=0)
    x = round_sig(np.clip(x, 0.0, 1.0))

    rn = x[:, ATTRIBUTES.index("reasoning_nuance")]
    w = rng.beta(*SPLIT_BETA, n)
    out = np.empty((n, len(PERSPECTIVE)))
    for attr, name in _DIRECT.items():
        out[:, _COL[name]] = x[:, ATTRIBUTES.index(attr)]
    out[:, _COL["REASONING_EXPERIMENTAL"]] = round_sig(rn**w)
    out[:, _COL["NUANCE_EXPERIMENTAL"]] = round_sig(rn ** (1 - w))
    return ResponseDraw(values=out, clipped_low=low, clipped_high=high)
