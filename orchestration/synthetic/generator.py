"""Runs the generation steps in order and writes the output directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import reference as ref
from .attributes import (
    PERSPECTIVE,
    draw_mirroring_effects,
    predictors,
    prompt_attributes,
    response_attributes,
)
from .conversations import Dialogue, conversation_rows, draw_plan, utterance_rows
from .metadata import metadata_rows, sources
from .scores import (
    ScoreInputs,
    draw_score_effects,
    draw_scores,
    group_model_effects,
    top_choice,
)
from .structure import Scale, Structure, build_structure
from .survey import Participants, draw_participants, survey_rows
from .texts import FOREIGN_LANGUAGES, TextFactory
from .timeline import build_timeline, format_times
from .topics import NO_TOPIC, plant_topics
from .truth import ATTRIBUTES, GROUP_ATTRIBUTES, MODERATORS, Truth, load_truth
from .writer import EMPTY_TEXT, write_json, write_jsonl, write_perspective_scores

GENERATOR_VERSION = "1.0.0"
FILES = (
    "survey.jsonl",
    "conversations.jsonl",
    "utterances.jsonl",
    "metadata.jsonl",
    "perspective_scores.csv",
    "truth.json",
    "MANIFEST.json",
)
# Independent random streams, so changing one part of the truth (say B) changes nothing else.
# A new stream goes at the end: SeedSequence children are numbered, so the others stay the same.
STREAMS = (
    "structure",
    "survey",
    "plan",
    "time",
    "text",
    "models",
    "attributes",
    "scores",
    "meta",
    "topics",
)

P_PROMPT_IN_LOCAL_LANGUAGE = 0.9
P_ANSWER_IN_PROMPT_LANGUAGE = 0.45
P_SHORT_OPENING = 0.03
P_SHORT_LATER = 0.08
EMPTY_RATE = 147 / 68_371
P_IDENTICAL_PAIR = 0.01
P_IDENTICAL_PAIR_NEAR_DETERMINISTIC = 0.08
MIN_QUIRK_COUNT = 3


@dataclass(frozen=True)
class GenerationReport:
    out_dir: Path
    scale: str
    seed: int
    truth_preset: str
    paths: dict[str, Path]
    counts: dict[str, int]
    dataset_revision: str


def _unify(texts: np.ndarray, values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Identical texts get identical scores: every row takes its text's first occurrence."""
    codes, _ = pd.factorize(texts)
    _, first = np.unique(codes, return_index=True)
    out = values[first[codes]]
    out[keep] = values[keep]
    return out


def _turn0_models(structure: Structure, rng: np.random.Generator) -> np.ndarray:
    """Distinct models per opener, weighted (Gumbel top-k), in random within-turn order."""
    weights = np.log([m.opener_weight for m in ref.MODELS])
    keys = weights + rng.gumbel(size=(structure.n_conversations, len(ref.MODELS)))
    ranked = np.argsort(-keys, axis=1)
    turn0 = np.flatnonzero(structure.ut_turn == 0)
    conv = structure.ut_conv[turn0]
    return ranked[conv, structure.ut_within[turn0]]


@dataclass
class Texts:
    """Every prompt and answer text with its language; `empty` marks "EMPTY STRING" answers."""

    prompts: np.ndarray
    prompt_lang: np.ndarray
    responses: np.ndarray
    response_lang: np.ndarray
    empty: np.ndarray


@dataclass
class Dialogues:
    """The rated dialogue: who answered, the answers' attributes, scores and choices."""

    model: np.ndarray
    response_vals: np.ndarray
    score: np.ndarray
    chosen: np.ndarray
    identical: np.ndarray
    clip_low: np.ndarray
    clip_high: np.ndarray
    score_clip: list[int]


def _streams(seed: int) -> dict[str, np.random.Generator]:
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return dict(zip(STREAMS, (np.random.default_rng(s) for s in children), strict=True))


def _draw_texts(
    st: Structure, language: np.ndarray, factory: TextFactory, rng: np.random.Generator
) -> Texts:
    """Prompts and answers with their languages, and the answers left as "EMPTY STRING"."""
    conv_lang = language[st.int_conv]
    local = (conv_lang != "en") & (rng.random(st.n_interactions) < P_PROMPT_IN_LOCAL_LANGUAGE)
    prompt_lang = np.where(local, conv_lang, "en").astype(object)
    p_short = np.where(st.int_turn == 0, P_SHORT_OPENING, P_SHORT_LATER)
    prompts = np.array(factory.prompts(prompt_lang, p_short), dtype=object)
    ut_prompt_lang = prompt_lang[st.ut_int]
    answer_local = (ut_prompt_lang != "en") & (
        rng.random(st.n_utterances) < P_ANSWER_IN_PROMPT_LANGUAGE
    )
    response_lang = np.where(answer_local, ut_prompt_lang, "en").astype(object)
    responses = np.array(factory.answers(response_lang), dtype=object)
    n_empty = max(MIN_QUIRK_COUNT, round(EMPTY_RATE * st.n_utterances))
    empty = np.zeros(st.n_utterances, dtype=bool)
    empty[rng.choice(st.n_utterances, n_empty, replace=False)] = True
    responses[empty] = EMPTY_TEXT
    response_lang[empty] = "en"
    return Texts(prompts, prompt_lang, responses, response_lang, empty)


class _Rater:
    """Mirrors, unifies and scores batches of utterances, turn 0 first, then the later turns.

    A class rather than one pass because later turns are answered by the turn-0 winner, so
    they can only be drawn once turn 0 is scored.
    """

    def __init__(
        self,
        st: Structure,
        parts: Participants,
        texts: Texts,
        prompt_vals: np.ndarray,
        planted: Truth,
        rngs: dict[str, np.random.Generator],
    ) -> None:
        self.st, self.parts, self.texts, self.planted = st, parts, texts, planted
        self.prompt_vals = prompt_vals
        self.attr_rng, self.score_rng = rngs["attributes"], rngs["scores"]
        conv_first_int = np.r_[0, np.cumsum(st.conv_turns)[:-1]]
        self.opening = predictors(prompt_vals[conv_first_int])
        self.mirror_fx = draw_mirroring_effects(
            planted.mirroring, len(ref.MODELS), st.n_conversations, self.attr_rng
        )
        self.score_fx = draw_score_effects(
            planted.score,
            st.n_users,
            st.n_conversations,
            [m.name for m in ref.MODELS],
            self.score_rng,
        )
        self.preference = group_model_effects(
            planted.score.group_model,
            {a: getattr(parts, a) for a in GROUP_ATTRIBUTES},
            [m.name for m in ref.MODELS],
        )
        n = st.n_utterances
        self.out = Dialogues(
            model=np.zeros(n, dtype=np.int64),
            response_vals=np.zeros((n, len(PERSPECTIVE))),
            score=np.zeros(n, dtype=np.int64),
            chosen=np.zeros(n, dtype=bool),
            identical=np.zeros(0, dtype=np.int64),
            clip_low=np.zeros(len(ATTRIBUTES), dtype=np.int64),
            clip_high=np.zeros(len(ATTRIBUTES), dtype=np.int64),
            score_clip=[0, 0],
        )
        self.rated = np.zeros(n, dtype=bool)

    def _all_texts(self) -> np.ndarray:
        return np.concatenate([self.texts.prompts, self.texts.responses])

    def rate(self, idx: np.ndarray) -> None:
        """Mirror, unify identical texts, then score the utterances `idx`."""
        st, out = self.st, self.out
        conv = st.ut_conv[idx]
        draw = response_attributes(
            self.opening[conv],
            out.model[idx],
            conv,
            self.planted.mirroring,
            self.mirror_fx,
            self.attr_rng,
        )
        out.response_vals[idx] = draw.values
        out.clip_low[:] += draw.clipped_low
        out.clip_high[:] += draw.clipped_high
        # Earlier rows come first, so values that already fed scores never change.
        order = np.r_[
            np.arange(st.n_interactions),
            st.n_interactions + np.flatnonzero(self.rated),
            st.n_interactions + idx,
        ]
        values = np.concatenate([self.prompt_vals, out.response_vals])[order]
        keep = np.r_[np.zeros(st.n_interactions, dtype=bool), self.texts.empty][order]
        out.response_vals[idx] = _unify(self._all_texts()[order], values, keep)[-idx.size :]
        self.rated[idx] = True
        users = st.conv_user[conv]
        opening_turn = st.ut_turn[idx] == 0
        drawn = draw_scores(
            ScoreInputs(
                x=predictors(out.response_vals[idx]),
                opening_toxicity=self.opening[conv, ATTRIBUTES.index("toxicity")],
                moderators=self.parts.moderators[users],
                user=users,
                conversation=conv,
                model=out.model[idx],
                later_turn=~opening_turn,
                empty=self.texts.empty[idx],
                preference=self.preference[users, out.model[idx]] * opening_turn,
            ),
            self.planted.score,
            self.planted.realism,
            self.score_fx,
            self.score_rng,
        )
        out.score[idx] = drawn.score
        out.score_clip[0] += drawn.clipped_low
        out.score_clip[1] += drawn.clipped_high

    def choose(self, idx: np.ndarray) -> None:
        self.out.chosen[idx] = top_choice(self.st.ut_int[idx], self.out.score[idx], self.score_rng)


def _rate_dialogues(rater: _Rater, models_rng: np.random.Generator) -> Dialogues:
    """Turn 0 shows distinct models; later turns continue with the turn-0 winner."""
    st, out, texts = rater.st, rater.out, rater.texts
    turn0 = np.flatnonzero(st.ut_turn == 0)
    out.model[turn0] = _turn0_models(st, models_rng)
    rater.rate(turn0)
    rater.choose(turn0)
    winner = np.zeros(st.n_conversations, dtype=np.int64)
    winner[st.ut_conv[turn0[out.chosen[turn0]]]] = out.model[turn0[out.chosen[turn0]]]

    later = np.flatnonzero(st.ut_turn > 0)
    out.model[later] = winner[st.ut_conv[later]]
    identical = _identical_pairs(st, out.model, texts.empty, models_rng)
    first, second = st.int_first_ut[identical], st.int_first_ut[identical] + 1
    texts.responses[second] = texts.responses[first]
    texts.response_lang[second] = texts.response_lang[first]
    rater.rate(later)
    rater.choose(later)
    out.chosen[first] = True
    out.chosen[second] = True
    out.identical = identical
    return out


def _write_release(
    paths: dict[str, Path],
    st: Structure,
    parts: Participants,
    plan: Any,
    timeline: Any,
    factory: TextFactory,
    texts: Texts,
    prompt_vals: np.ndarray,
    dialogues: Dialogues,
    rngs: dict[str, np.random.Generator],
    nan_token: bool,
) -> dict[str, int]:
    """The four release files and the score file; returns their row counts."""
    dialogue = Dialogue(
        texts.prompts.tolist(),
        texts.responses.tolist(),
        dialogues.model,
        dialogues.score,
        dialogues.chosen,
    )
    n_conv_user = np.bincount(st.conv_user, minlength=st.n_users)
    balanced_user = np.bincount(st.conv_user, weights=plan.balanced, minlength=st.n_users) > 0
    # The survey rows draw free texts before the conversations do (one text stream).
    counts = {
        "survey": write_jsonl(
            paths["survey.jsonl"],
            survey_rows(
                parts,
                n_conv_user,
                balanced_user,
                format_times(timeline.survey_end_s),
                timeline.survey_duration_s,
                factory,
                rngs["survey"],
            ),
        ),
        "conversations": write_jsonl(
            paths["conversations.jsonl"],
            conversation_rows(
                st,
                plan,
                dialogue,
                factory.free_texts(st.n_conversations, 3.25, 0.6, 283),
                format_times(timeline.conv_end_s),
                timeline.conv_duration_s,
                rngs["plan"],
            ),
        ),
        "utterances": write_jsonl(paths["utterances.jsonl"], utterance_rows(st, plan, dialogue)),
    }
    tox = PERSPECTIVE.index("TOXICITY")
    meta_sources = sources(
        st,
        texts.prompt_lang,
        texts.response_lang,
        prompt_vals[:, tox],
        dialogues.response_vals[:, tox],
    )
    counts["metadata"] = write_jsonl(
        paths["metadata.jsonl"], metadata_rows(meta_sources, rngs["meta"], nan_token)
    )
    counts["perspective_scores"] = write_perspective_scores(
        paths["perspective_scores.csv"],
        np.concatenate([texts.prompts, texts.responses]).tolist(),
        np.concatenate([prompt_vals, dialogues.response_vals]),
        np.concatenate([texts.prompt_lang, texts.response_lang]) == "en",
    )
    counts["interactions"] = st.n_interactions
    return counts


def _truth_document(
    planted: Truth,
    scale: str,
    seed: int,
    st: Structure,
    parts: Participants,
    rater: _Rater,
    empty: np.ndarray,
) -> dict[str, Any]:
    """The planted truth with what this run realised (clipping, implied values, effects)."""
    out = rater.out
    scored = ~empty
    users = st.conv_user[st.ut_conv]
    turn0, later = st.ut_turn == 0, st.ut_turn > 0
    doc = planted.to_json_dict()
    doc.update(
        {
            "generator_version": GENERATOR_VERSION,
            "scale": scale,
            "seed": seed,
            "clipping": {
                "mirroring_rate": {
                    a: float((out.clip_low[k] + out.clip_high[k]) / st.n_utterances)
                    for k, a in enumerate(ATTRIBUTES)
                },
                "score_rate_below_1": out.score_clip[0] / st.n_utterances,
                "score_rate_above_100": out.score_clip[1] / st.n_utterances,
            },
            "implied": _implied(
                planted,
                parts.moderators[users[scored]],
                rater.opening[st.ut_conv[scored], 0],
                rater.score_fx.model,
            ),
            "random_effects": {
                "model_score": {
                    m.name: float(v) for m, v in zip(ref.MODELS, rater.score_fx.model, strict=True)
                },
            },
            "realised": {
                "score_mean": float(out.score.mean()),
                "share_score_1": float((out.score == 1).mean()),
                "share_score_50": float((out.score == 50).mean()),
                "share_score_100": float((out.score == 100).mean()),
                "turn0_score_mean": float(out.score[turn0].mean()),
                "later_score_mean": float(out.score[later].mean()) if later.any() else None,
                "empty_responses": int(empty.sum()),
                "identical_pairs": int(out.identical.size),
            },
        }
    )
    return doc


def generate(
    out_dir: Path,
    scale: Scale = "full",
    seed: int = 0,
    truth: Path | str | None = None,
    nan_token: bool = True,
) -> GenerationReport:
    """Write a synthetic PRISM (four files, score file, truth file, manifest) into `out_dir`."""
    planted: Truth = load_truth(truth)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rngs = _streams(seed)

    st = build_structure(scale, rngs["structure"])
    parts = draw_participants(st.n_users, rngs["survey"])
    plan = draw_plan(st, parts.locale, FOREIGN_LANGUAGES, rngs["plan"])
    timeline = build_timeline(st.conv_user, st.n_users, rngs["time"])
    factory = TextFactory(rngs["text"])
    texts = _draw_texts(st, plan.language, factory, rngs["text"])
    planted_topics = _plant_topics(planted, st, parts, texts, rngs["topics"])

    # Prompt attributes; the opening prompt drives mirroring and the toxicity interaction.
    prompt_vals = prompt_attributes(st.n_interactions, rngs["attributes"])
    prompt_vals = _unify(texts.prompts, prompt_vals, np.zeros(st.n_interactions, dtype=bool))
    rater = _Rater(st, parts, texts, prompt_vals, planted, rngs)
    dialogues = _rate_dialogues(rater, rngs["models"])

    paths = {name: out_dir / name for name in FILES}
    counts = _write_release(
        paths, st, parts, plan, timeline, factory, texts, prompt_vals, dialogues, rngs, nan_token
    )
    document = _truth_document(planted, scale, seed, st, parts, rater, texts.empty)
    if planted_topics is not None:
        document["topics"]["conversation_topics"] = {
            f"c{c}": str(topic) for c, topic in enumerate(planted_topics.tolist())
        }
    write_json(paths["truth.json"], document)
    revision = f"synthetic:{scale}:seed={seed}"
    write_json(
        paths["MANIFEST.json"],
        {
            "dataset_source": "synthetic",
            "dataset_revision": revision,
            "generator_version": GENERATOR_VERSION,
            "scale": scale,
            "seed": seed,
            "truth_preset": planted.preset,
            "nan_token": nan_token,
            "counts": counts,
            "files": list(FILES[:-1]),
        },
    )
    return GenerationReport(out_dir, scale, seed, planted.preset, paths, counts, revision)


def _plant_topics(
    planted: Truth, st: Structure, parts: Participants, texts: Texts, rng: np.random.Generator
) -> np.ndarray | None:
    """Rewrite topical opening prompts in place; each conversation's planted topic, or None."""
    if planted.topics is None:
        return None
    topics, prompts = plant_topics(planted.topics, parts, st.conv_user, rng)
    opening = np.r_[0, np.cumsum(st.conv_turns)[:-1]]
    topical = topics != NO_TOPIC
    texts.prompts[opening[topical]] = np.array(prompts, dtype=object)[topical]
    texts.prompt_lang[opening[topical]] = "en"
    return topics


def _identical_pairs(
    st: Structure, model: np.ndarray, empty: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Later interactions whose A and B answers are the same text (both then chosen)."""
    later = np.flatnonzero(st.int_turn > 0)
    first = st.int_first_ut[later]
    names = np.array([m.name for m in ref.MODELS])[model[first]]
    p = np.where(
        np.isin(names, list(ref.NEAR_DETERMINISTIC_MODELS)),
        P_IDENTICAL_PAIR_NEAR_DETERMINISTIC,
        P_IDENTICAL_PAIR,
    )
    eligible = ~(empty[first] | empty[first + 1])
    pick = (rng.random(later.size) < p) & eligible
    if pick.sum() < MIN_QUIRK_COUNT:
        extra = rng.choice(
            np.flatnonzero(eligible & ~pick), MIN_QUIRK_COUNT - pick.sum(), replace=False
        )
        pick[extra] = True
    return later[pick]


def _implied_choice(truth: Truth, model_effects: np.ndarray) -> dict[str, Any]:
    """What a conditional logit of the top pick recovers under Gumbel noise: every log-score
    effect divided by the Gumbel's scale, the LLM effects centred to sum to zero."""
    sigma = truth.score.sigma
    centred = (model_effects - model_effects.mean()) / sigma
    return {
        "beta": {a: truth.score.beta[a] / sigma for a in ATTRIBUTES},
        "slope_sd": {a: truth.score.slope_sd.get(a, 0.0) / sigma for a in ATTRIBUTES},
        "model": {m.name: float(v) for m, v in zip(ref.MODELS, centred, strict=True)},
        "note": "the top pick follows a mixed logit with these coefficients when the moderator "
        "and toxicity-interaction terms are zero (the choice preset); ties in the integer "
        "scores coarsen it slightly. LLM effects sum to zero over all models in the release.",
    }


def _implied(
    truth: Truth,
    moderators: np.ndarray,
    opening_toxicity: np.ndarray,
    model_effects: np.ndarray,
) -> dict[str, Any]:
    """Coefficients a model without moderators or the toxicity interaction should recover."""
    mean_mod = moderators.mean(axis=0)
    beta = {
        a: truth.score.beta[a]
        + sum(
            truth.score.gamma[m][a] * (mean_mod[j] - truth.score.moderator_centers[m])
            for j, m in enumerate(MODERATORS)
        )
        for a in ATTRIBUTES
    }
    beta["toxicity"] += truth.score.lambda_ * float(opening_toxicity.mean())
    implied: dict[str, Any] = {}
    if truth.score.noise == "gumbel":
        implied["choice"] = _implied_choice(truth, model_effects)
    return implied | {
        "analysis_1b_marginal_beta": {a: float(v) for a, v in beta.items()},
        "moderator_means": {m: float(mean_mod[j]) for j, m in enumerate(MODERATORS)},
        "opening_toxicity_mean": float(opening_toxicity.mean()),
        "note": "models without moderator terms recover about beta + gamma @ (mean(moderators) - "
        "moderator_centers) (+ lambda * mean opening toxicity for toxicity); the realism knobs "
        "of the paper preset attenuate them further.",
    }
