"""The planted truth: the generative model behind synthetic scores and attributes.

Attribute order used everywhere: toxicity, affinity, compassion, curiosity, reasoning_nuance,
personal_story, respect, where reasoning_nuance = REASONING_EXPERIMENTAL * NUANCE_EXPERIMENTAL.

1. Prompt attributes. Every user prompt (opening and later) gets the 8 Perspective probabilities
   from Beta marginals joined by a Gaussian copula; reasoning and nuance share a latent so their
   correlation is about 0.9.
2. Response attributes (analysis 3, mirroring). For response i in conversation c from model m,
   for each predictor attribute k:
       x_ik = a_k + sum_j B[j][k] * opening_cj + u_mk + v_ck + e_ik
   where opening_cj are the 7 attributes of conversation c's opening prompt, B[j][k] is the Table 4
   coefficient of prompt predictor j on response attribute k, u_mk ~ N(0, sd_model_k),
   v_ck ~ N(0, sd_conversation_k) and e_ik is a mean-zero shifted Gamma (right-skewed like real
   probabilities, and bounded below so values rarely fall under 0). x is clipped to [0, 1] (the
   rate is recorded) and rounded to 7 significant digits. reasoning_nuance is then split into
   reasoning = x^w and nuance = x^(1-w), w ~ Beta, so their product is x.
3. Score (analyses 1b and 2). With x the written (rounded) response attributes:
       log s* = mu + sum_k beta_k x_k + sum_m delta_m mod_m
                + sum_m sum_k gamma_mk (mod_m - c_m) x_k
                + lambda * toxicity * opening_toxicity + r_user + r_conversation + r_model
                + turn_offset * [turn >= 1] + eps
   with moderators is_younger (age < 45), is_male, is_white (ethnicity simplified White),
   has_high_values (stated_prefs.values > 50), each 0 for "Prefer not to say", and centres c_m
   (`moderator_centers`). The paper preset centres at the published population shares, so beta
   is the average effect (what Table 2(b) "all" estimates without moderators); centres of 0 give
   the uncentred form, where beta is the effect at moderators = 0;
   r_user ~ N(0, sd_user), r_conversation ~ N(0, sd_conversation), r_model ~ N(0, sd_model),
   eps ~ N(0, sigma). score = clip(round(exp(log s*)), 1, 100). Realism knobs then replace some
   ratings, independently of the attributes: a share drawn uniformly from 2..48 (the flat low
   plateau of the real histogram), a share left at the default slider position 50, a share
   dragged to 1 ("Terrible"), and "EMPTY STRING" answers drawn from a low-score distribution.
   These knobs attenuate recovered slopes; the recovery preset turns them off.
4. Choice. At turn 0 the highest score is chosen (ties at random); later turns show two answers
   of that model and the higher-rated one continues (both are chosen when identical). The
   analysis 1a (top-scored) coefficients follow from the score model; they are not planted.

A model without moderator terms or the toxicity interaction recovers roughly
beta_k + sum_m gamma_mk (mean(mod_m) - c_m) (+ lambda * mean(opening toxicity) for toxicity);
the generator writes these implied values to truth.json under `implied`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# The analyses' attributes and moderators, in their order: the truth plants effects on exactly
# what the models estimate.
from orchestration.modeling.specs import ATTRIBUTES, MODERATORS

PRESETS: tuple[str, ...] = ("paper", "recovery", "preferences", "choice")
NOISES: tuple[str, ...] = ("normal", "gumbel")
# Survey answers a group x model effect may be keyed by (Participants fields of the same name).
GROUP_ATTRIBUTES: tuple[str, ...] = ("gender", "age", "ethnicity_simplified")

# Table 2(b), "all" column.
PAPER_BETA: dict[str, float] = {
    "toxicity": -0.659,
    "affinity": -0.023,
    "compassion": 0.176,
    "curiosity": -0.159,
    "reasoning_nuance": 1.217,
    "personal_story": -0.650,
    "respect": -0.057,
}
PAPER_LAMBDA = 0.244
# Survey shares: age under 45 (988/1500), Male (757), White (969), values > 50 (about half).
PUBLISHED_MODERATOR_SHARES: dict[str, float] = {
    "is_younger": 0.659,
    "is_male": 0.505,
    "is_white": 0.646,
    "has_high_values": 0.52,
}

# Table 3: attribute -> (younger, male, white, high_values).
_TABLE3: dict[str, tuple[float, float, float, float]] = {
    "toxicity": (-0.864, 0.037, -0.625, 0.202),
    "affinity": (-0.030, 0.105, 0.001, 0.235),
    "compassion": (0.136, -0.074, -0.029, 0.026),
    "curiosity": (0.162, 0.015, -0.086, 0.220),
    "reasoning_nuance": (0.088, 0.134, 0.305, -0.294),
    "personal_story": (-0.318, -0.104, -0.143, -0.091),
    "respect": (0.034, -0.094, 0.072, -0.096),
}
PAPER_GAMMA: dict[str, dict[str, float]] = {
    mod: {attr: _TABLE3[attr][i] for attr in ATTRIBUTES} for i, mod in enumerate(MODERATORS)
}

# Table 4: prompt predictor (row) -> response attribute (column), in ATTRIBUTES order.
_TABLE4: dict[str, tuple[float, ...]] = {
    "toxicity": (0.197, 0.115, 0.288, -0.005, 0.103, 0.037, 0.131),
    "affinity": (0.009, 0.626, 0.056, 0.164, -0.101, -0.071, 0.197),
    "compassion": (-0.012, 0.235, 1.084, 0.067, 0.133, 0.079, 0.202),
    "curiosity": (0.007, -0.036, 0.034, -0.078, 0.120, -0.030, -0.053),
    "reasoning_nuance": (0.028, -0.082, -0.362, -0.094, 0.543, -0.426, -0.122),
    "personal_story": (-0.018, -0.223, 0.045, 0.057, 0.043, 0.242, -0.121),
    "respect": (-0.007, -0.112, -0.458, 0.126, -0.195, 0.329, 0.397),
}
PAPER_B: dict[str, dict[str, float]] = {
    pred: dict(zip(ATTRIBUTES, row, strict=True)) for pred, row in _TABLE4.items()
}


@dataclass
class Mirroring:
    """Response attribute k = intercept[k] + sum_j B[j][k] * opening_j + random effects + noise."""

    intercept: dict[str, float]
    B: dict[str, dict[str, float]]
    sd_model: dict[str, float]
    sd_conversation: dict[str, float]
    noise_shape: dict[str, float]
    noise_scale: dict[str, float]


@dataclass
class ScoreModel:
    """log(score*) coefficients; see the module docstring for the equation."""

    mu: float
    beta: dict[str, float]
    delta: dict[str, float]
    gamma: dict[str, dict[str, float]]
    moderator_centers: dict[str, float]
    lambda_: float
    sd_user: float
    sd_conversation: float
    sd_model: float
    sigma: float
    # Opening-turn preference effects: survey attribute -> answer -> model name -> effect on
    # log score, added at turn 0 only (the battles and welfare tables read the opening turn).
    group_model: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    # The noise eps: "normal" (sd sigma) or "gumbel" (the max-type Gumbel of scale sigma,
    # centred), under which the top pick of an interaction is a multinomial logit (the `choice`
    # preset).
    noise: str = "normal"
    # Participant-level random slopes on log score: attribute -> sd. Each participant weighs
    # attribute k by beta_k + slope_sd_k * z, z ~ N(0, 1).
    slope_sd: dict[str, float] = field(default_factory=dict)
    # The LLMs' effects on log score pinned by name (every model), in place of the draw from
    # sd_model: twins of other seeds then share one truth for the models (bench_case_studies).
    model_effects: dict[str, float] = field(default_factory=dict)


@dataclass
class TopicModel:
    """Planted topics of opening prompts (orchestration/synthetic/topics.py).

    ``vocabulary`` maps a topic to its words (space-separated); ``effects`` maps a survey
    attribute (a `GROUP_ATTRIBUTES` field) to an answer to a topic to an effect on the log-odds
    of that topic among topical openings.
    """

    p_topical: float
    vocabulary: dict[str, str]
    effects: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@dataclass
class Realism:
    """Departures from the log-linear model that make marginals look like the release."""

    p_default_slider_50: float
    p_terrible_1: float
    p_low_uniform: float
    empty_string_rated_low: bool
    empty_string_log_mean: float
    empty_string_log_sd: float
    later_turn_offset: float


@dataclass
class Truth:
    preset: str
    mirroring: Mirroring
    score: ScoreModel
    realism: Realism
    attributes: tuple[str, ...] = ATTRIBUTES
    moderators: tuple[str, ...] = MODERATORS
    # None leaves opening prompts generic (and every earlier preset's output byte for byte).
    topics: TopicModel | None = None
    analysis_1a: dict[str, Any] = field(
        default_factory=lambda: {
            "planted": False,
            "note": "Top choice is the highest score at turn 0 (ties at random); the 1a "
            "logistic coefficients are implied by the score model, not planted.",
        }
    )

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["attributes"] = list(self.attributes)
        data["moderators"] = list(self.moderators)
        data["score"]["lambda"] = data["score"].pop("lambda_")
        # Written only when set, so the other presets' truth files stay as they were.
        if self.score.noise == "normal":
            del data["score"]["noise"]
        if not self.score.slope_sd:
            del data["score"]["slope_sd"]
        if not self.score.model_effects:
            del data["score"]["model_effects"]
        if self.topics is None:
            del data["topics"]
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Truth:
        score = dict(data["score"])
        score["lambda_"] = score.pop("lambda")
        known = {f for f in ScoreModel.__dataclass_fields__}
        truth = cls(
            preset=str(data.get("preset", "custom")),
            mirroring=Mirroring(**data["mirroring"]),
            score=ScoreModel(**{k: v for k, v in score.items() if k in known}),
            realism=Realism(**data["realism"]),
            topics=TopicModel(**data["topics"]) if data.get("topics") else None,
        )
        truth.validate()
        return truth

    def validate(self) -> None:
        """Fail early, naming the missing key, rather than deep inside the generator."""
        checks = {
            "mirroring.intercept": self.mirroring.intercept,
            "mirroring.sd_model": self.mirroring.sd_model,
            "mirroring.sd_conversation": self.mirroring.sd_conversation,
            "mirroring.noise_shape": self.mirroring.noise_shape,
            "mirroring.noise_scale": self.mirroring.noise_scale,
            "score.beta": self.score.beta,
        }
        for name in ("delta", "moderator_centers"):
            mapping = getattr(self.score, name)
            missing_mods = [m for m in MODERATORS if m not in mapping]
            if missing_mods:
                raise ValueError(f"truth file: score.{name} lacks {', '.join(missing_mods)}")
        checks.update({f"mirroring.B.{p}": self.mirroring.B.get(p, {}) for p in ATTRIBUTES})
        checks.update({f"score.gamma.{m}": self.score.gamma.get(m, {}) for m in MODERATORS})
        unknown = [a for a in self.score.group_model if a not in GROUP_ATTRIBUTES]
        if unknown:
            raise ValueError(
                f"truth file: score.group_model keys {unknown} are not among {GROUP_ATTRIBUTES}"
            )
        if self.score.noise not in NOISES:
            raise ValueError(f"truth file: score.noise {self.score.noise!r} is not one of {NOISES}")
        unknown_slopes = [a for a in self.score.slope_sd if a not in ATTRIBUTES]
        if unknown_slopes:
            raise ValueError(
                f"truth file: score.slope_sd names unknown attributes {unknown_slopes}"
            )
        if self.topics is not None:
            self._validate_topics(self.topics)
        for where, mapping in checks.items():
            missing = [a for a in ATTRIBUTES if a not in mapping]
            if missing:
                raise ValueError(f"truth file: {where} lacks {', '.join(missing)}")

    @staticmethod
    def _validate_topics(topics: TopicModel) -> None:
        for attribute, levels in topics.effects.items():
            if attribute not in GROUP_ATTRIBUTES:
                raise ValueError(
                    f"truth file: topics.effects key {attribute!r} is not among {GROUP_ATTRIBUTES}"
                )
            for level, by_topic in levels.items():
                unknown = [t for t in by_topic if t not in topics.vocabulary]
                if unknown:
                    raise ValueError(
                        f"truth file: topics.effects.{attribute}.{level} names unknown "
                        f"topics {unknown}"
                    )


def _by_attr(*values: float) -> dict[str, float]:
    return dict(zip(ATTRIBUTES, values, strict=True))


def _mirroring() -> Mirroring:
    # Intercepts put response means near typical Perspective values for chatbot answers; the
    # shifted-Gamma noise has sd = sqrt(shape) * scale and a floor at -shape * scale.
    return Mirroring(
        intercept=_by_attr(0.028, 0.11, 0.27, 0.11, 0.22, 0.15, 0.25),
        B={p: dict(row) for p, row in PAPER_B.items()},
        sd_model=_by_attr(0.004, 0.012, 0.02, 0.012, 0.03, 0.01, 0.02),
        sd_conversation=_by_attr(0.003, 0.01, 0.02, 0.01, 0.025, 0.008, 0.02),
        noise_shape=_by_attr(3.0, 4.0, 4.0, 4.0, 6.0, 3.0, 5.0),
        noise_scale=_by_attr(0.006, 0.012, 0.025, 0.018, 0.035, 0.012, 0.03),
    )


def paper_truth() -> Truth:
    """Published coefficients with realistic score marginals (trimodal at 1, 50, 100)."""
    return Truth(
        preset="paper",
        mirroring=_mirroring(),
        score=ScoreModel(
            mu=3.94,
            beta=dict(PAPER_BETA),
            delta={"is_younger": 0.02, "is_male": -0.03, "is_white": 0.03, "has_high_values": 0.04},
            gamma={m: dict(v) for m, v in PAPER_GAMMA.items()},
            moderator_centers=dict(PUBLISHED_MODERATOR_SHARES),
            lambda_=PAPER_LAMBDA,
            sd_user=0.15,
            sd_conversation=0.08,
            sd_model=0.08,
            sigma=0.17,
        ),
        realism=Realism(
            p_default_slider_50=0.05,
            p_terrible_1=0.045,
            p_low_uniform=0.09,
            empty_string_rated_low=True,
            empty_string_log_mean=0.6,
            empty_string_log_sd=1.4,
            later_turn_offset=0.2,
        ),
    )


def recovery_truth() -> Truth:
    """Same coefficients, realism off and a lower intercept so clipping at 1 and 100 is rare."""
    truth = paper_truth()
    truth.preset = "recovery"
    truth.score.mu = 3.1
    truth.score.sd_user = 0.2
    truth.score.sd_conversation = 0.1
    truth.score.sd_model = 0.1
    truth.score.sigma = 0.25
    truth.realism = Realism(
        p_default_slider_50=0.0,
        p_terrible_1=0.0,
        p_low_uniform=0.0,
        empty_string_rated_low=False,
        empty_string_log_mean=0.6,
        empty_string_log_sd=1.4,
        later_turn_offset=0.0,
    )
    return truth


# The planted preference differences: women and men rank two models in opposite orders. The
# effects are on log score at the opening turn; sigma (0.25) sets how often they flip a battle.
PLANTED_GROUP_MODEL: dict[str, dict[str, dict[str, float]]] = {
    "gender": {
        "Female": {"gpt-4": 0.2, "command": -0.2},
        "Male": {"gpt-4": -0.2, "command": 0.2},
    },
}


# Topics of opening prompts, each with words no other topic or generic prompt uses, and who
# opens them: women open relationship conversations more and fitness ones less than men; the
# over-65s open elections more. Effects are on the log-odds among topical openings, large
# enough that the small scale (60 participants) shows them against participant clustering.
PLANTED_TOPICS = TopicModel(
    p_topical=0.7,
    vocabulary={
        "gardening": "garden tomatoes compost seedlings pruning roses greenhouse weeds mulch",
        "cooking": "recipe oven baking flour pasta sauce spices roast dough",
        "elections": "ballot candidate voting campaign polls senator referendum turnout manifesto",
        "job search": "resume interview salary hiring employer recruiter internship linkedin",
        "relationships": "boyfriend girlfriend breakup dating jealousy romance crush anniversary",
        "fitness": "workout gym cardio muscles stretching marathon dumbbells squats",
    },
    effects={
        "gender": {"Female": {"relationships": 2.0, "fitness": -2.0}},
        "age": {"65+ years old": {"elections": 2.0}},
    },
)


def preferences_truth() -> Truth:
    """The recovery preset plus planted gender x model effects on opening-turn scores and
    planted topics of opening prompts with demographic effects on who opens them."""
    truth = recovery_truth()
    truth.preset = "preferences"
    truth.score.group_model = {
        attr: {level: dict(fx) for level, fx in levels.items()}
        for attr, levels in PLANTED_GROUP_MODEL.items()
    }
    truth.topics = TopicModel(
        p_topical=PLANTED_TOPICS.p_topical,
        vocabulary=dict(PLANTED_TOPICS.vocabulary),
        effects={
            attr: {level: dict(fx) for level, fx in levels.items()}
            for attr, levels in PLANTED_TOPICS.effects.items()
        },
    )
    return truth


# Participant-level slope sds on log score for the `choice` preset, in the Gumbel's units: with
# sigma = 0.25 the choice-scale sd is 4 times these, 0.4 to 1.2.
PLANTED_SLOPE_SD: dict[str, float] = _by_attr(0.3, 0.1, 0.2, 0.1, 0.3, 0.2, 0.1)


def choice_truth() -> Truth:
    """The top pick of each interaction planted as a mixed logit.

    The recovery preset with Gumbel noise and participant-level random slopes, and without the
    moderator and toxicity-interaction terms (whose participant- and conversation-level shifts
    would be further slope variation): the highest log score of an interaction's options then
    follows a conditional logit on the attributes and LLM effects with coefficients beta /
    sigma and participant slope sds slope_sd / sigma (truth.json `implied.choice`). The
    integer scores still tie sometimes; the top set then holds the true pick.
    """
    truth = recovery_truth()
    truth.preset = "choice"
    truth.score.delta = {m: 0.0 for m in MODERATORS}
    truth.score.gamma = {m: {a: 0.0 for a in ATTRIBUTES} for m in MODERATORS}
    truth.score.lambda_ = 0.0
    truth.score.noise = "gumbel"
    truth.score.slope_sd = dict(PLANTED_SLOPE_SD)
    return truth


def load_truth(spec: str | Path | None) -> Truth:
    """A preset name (one of `PRESETS`), a truth JSON path, or None (`paper`)."""
    if spec is None or str(spec) == "paper":
        return paper_truth()
    if str(spec) == "recovery":
        return recovery_truth()
    if str(spec) == "preferences":
        return preferences_truth()
    if str(spec) == "choice":
        return choice_truth()
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"truth file not found: {path} (or use one of {PRESETS})")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"truth file {path} is not JSON: {exc}") from exc
    try:
        return Truth.from_json_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"truth file {path} does not match the truth schema: {exc}") from exc
