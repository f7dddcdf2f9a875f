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
from .scores import ScoreInputs, draw_score_effects, draw_scores, top_choice
from .structure import Scale, Structure, build_structure
from .survey import draw_participants, survey_rows
from .texts import FOREIGN_LANGUAGES, TextFactory
from .timeline import build_timeline, format_times
from .truth import ATTRIBUTES, MODERATORS, Truth, load_truth
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
STREAMS = ("structure", "survey", "plan", "time", "text", "models", "attributes", "scores", "meta")

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
    rngs = dict(
        zip(
            STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS))),
            strict=True,
        )
    )

    st = build_structure(scale, rngs["structure"])
    parts = draw_participants(st.n_users, rngs["survey"])
    plan = draw_plan(st, parts.locale, FOREIGN_LANGUAGES, rngs["plan"])
    timeline = build_timeline(st.conv_user, st.n_users, rngs["time"])
    factory = TextFactory(rngs["text"])
    ut_conv, ut_turn = st.ut_conv, st.ut_turn
    conv_first_int = np.r_[0, np.cumsum(st.conv_turns)[:-1]]

    # Texts and languages.
    text_rng = rngs["text"]
    conv_lang = plan.language[st.int_conv]
    local = (conv_lang != "en") & (text_rng.random(st.n_interactions) < P_PROMPT_IN_LOCAL_LANGUAGE)
    prompt_lang = np.where(local, conv_lang, "en").astype(object)
    p_short = np.where(st.int_turn == 0, P_SHORT_OPENING, P_SHORT_LATER)
    prompts = np.array(factory.prompts(prompt_lang, p_short), dtype=object)
    ut_prompt_lang = prompt_lang[st.ut_int]
    answer_local = (ut_prompt_lang != "en") & (
        text_rng.random(st.n_utterances) < P_ANSWER_IN_PROMPT_LANGUAGE
    )
    response_lang = np.where(answer_local, ut_prompt_lang, "en").astype(object)
    responses = np.array(factory.answers(response_lang), dtype=object)
    n_empty = max(MIN_QUIRK_COUNT, round(EMPTY_RATE * st.n_utterances))
    empty = np.zeros(st.n_utterances, dtype=bool)
    empty[text_rng.choice(st.n_utterances, n_empty, replace=False)] = True
    responses[empty] = EMPTY_TEXT
    response_lang[empty] = "en"

    # Prompt attributes; the opening prompt drives mirroring and the toxicity interaction.
    attr_rng = rngs["attributes"]
    prompt_vals = prompt_attributes(st.n_interactions, attr_rng)
    prompt_vals = _unify(prompts, prompt_vals, np.zeros(st.n_interactions, dtype=bool))
    opening = predictors(prompt_vals[conv_first_int])
    mirror_fx = draw_mirroring_effects(
        planted.mirroring, len(ref.MODELS), st.n_conversations, attr_rng
    )
    score_fx = draw_score_effects(
        planted.score, st.n_users, st.n_conversations, len(ref.MODELS), rngs["scores"]
    )

    model = np.zeros(st.n_utterances, dtype=np.int64)
    response_vals = np.zeros((st.n_utterances, len(PERSPECTIVE)))
    score = np.zeros(st.n_utterances, dtype=np.int64)
    chosen = np.zeros(st.n_utterances, dtype=bool)
    clip_low = np.zeros(len(ATTRIBUTES), dtype=np.int64)
    clip_high = np.zeros(len(ATTRIBUTES), dtype=np.int64)
    score_clip = [0, 0]
    all_texts = np.concatenate([prompts, responses])
    rated = np.zeros(st.n_utterances, dtype=bool)

    def rate(idx: np.ndarray) -> None:
        """Mirror, unify identical texts, then score the utterances `idx`."""
        draw = response_attributes(
            opening[ut_conv[idx]], model[idx], ut_conv[idx], planted.mirroring, mirror_fx, attr_rng
        )
        response_vals[idx] = draw.values
        clip_low[:] += draw.clipped_low
        clip_high[:] += draw.clipped_high
        # Earlier rows come first, so values that already fed scores never change.
        order = np.r_[
            np.arange(st.n_interactions),
            st.n_interactions + np.flatnonzero(rated),
            st.n_interactions + idx,
        ]
        values = np.concatenate([prompt_vals, response_vals])[order]
        keep = np.r_[np.zeros(st.n_interactions, dtype=bool), empty][order]
        response_vals[idx] = _unify(all_texts[order], values, keep)[-idx.size :]
        rated[idx] = True
        x = predictors(response_vals[idx])
        users = st.conv_user[ut_conv[idx]]
        drawn = draw_scores(
            ScoreInputs(
                x=x,
                opening_toxicity=opening[ut_conv[idx], ATTRIBUTES.index("toxicity")],
                moderators=parts.moderators[users],
                user=users,
                conversation=ut_conv[idx],
                model=model[idx],
                later_turn=ut_turn[idx] > 0,
                empty=empty[idx],
            ),
            planted.score,
            planted.realism,
            score_fx,
            rngs["scores"],
        )
        score[idx] = drawn.score
        score_clip[0] += drawn.clipped_low
        score_clip[1] += drawn.clipped_high

    turn0 = np.flatnonzero(ut_turn == 0)
    model[turn0] = _turn0_models(st, rngs["models"])
    rate(turn0)
    chosen[turn0] = top_choice(st.ut_int[turn0], score[turn0], rngs["scores"])
    winner = np.zeros(st.n_conversations, dtype=np.int64)
    winner[ut_conv[turn0[chosen[turn0]]]] = model[turn0[chosen[turn0]]]

    later = np.flatnonzero(ut_turn > 0)
    model[later] = winner[ut_conv[later]]
    identical = _identical_pairs(st, model, empty, rngs["models"])
    responses[st.int_first_ut[identical] + 1] = responses[st.int_first_ut[identical]]
    response_lang[st.int_first_ut[identical] + 1] = response_lang[st.int_first_ut[identical]]
    all_texts = np.concatenate([prompts, responses])
    rate(later)
    chosen[later] = top_choice(st.ut_int[later], score[later], rngs["scores"])
    chosen[st.int_first_ut[identical]] = True
    chosen[st.int_first_ut[identical] + 1] = True

    dialogue = Dialogue(prompts.tolist(), responses.tolist(), model, score, chosen)
    n_conv_user = np.bincount(st.conv_user, minlength=st.n_users)
    balanced_user = np.bincount(st.conv_user, weights=plan.balanced, minlength=st.n_users) > 0
    paths = {name: out_dir / name for name in FILES}
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
        st, prompt_lang, response_lang, prompt_vals[:, tox], response_vals[:, tox]
    )
    counts["metadata"] = write_jsonl(
        paths["metadata.jsonl"], metadata_rows(meta_sources, rngs["meta"], nan_token)
    )
    counts["perspective_scores"] = write_perspective_scores(
        paths["perspective_scores.csv"],
        np.concatenate([prompts, responses]).tolist(),
        np.concatenate([prompt_vals, response_vals]),
        np.concatenate([prompt_lang, response_lang]) == "en",
    )
    counts["interactions"] = st.n_interactions

    scored = ~empty
    users = st.conv_user[ut_conv]
    truth_doc = planted.to_json_dict()
    truth_doc.update(
        {
            "generator_version": GENERATOR_VERSION,
            "scale": scale,
            "seed": seed,
            "clipping": {
                "mirroring_rate": {
                    a: float((clip_low[k] + clip_high[k]) / st.n_utterances)
                    for k, a in enumerate(ATTRIBUTES)
                },
                "score_rate_below_1": score_clip[0] / st.n_utterances,
                "score_rate_above_100": score_clip[1] / st.n_utterances,
            },
            "implied": _implied(
                planted, parts.moderators[users[scored]], opening[ut_conv[scored], 0]
            ),
            "random_effects": {
                "model_score": {
                    m.name: float(v) for m, v in zip(ref.MODELS, score_fx.model, strict=True)
                },
            },
            "realised": {
                "score_mean": float(score.mean()),
                "share_score_1": float((score == 1).mean()),
                "share_score_50": float((score == 50).mean()),
                "share_score_100": float((score == 100).mean()),
                "turn0_score_mean": float(score[turn0].mean()),
                "later_score_mean": float(score[later].mean()) if later.size else None,
                "empty_responses": int(empty.sum()),
                "identical_pairs": int(identical.size),
            },
        }
    )
    write_json(paths["truth.json"], truth_doc)
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


def _implied(truth: Truth, moderators: np.ndarray, opening_toxicity: np.ndarray) -> dict[str, Any]:
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
    return {
        "analysis_1b_marginal_beta": {a: float(v) for a, v in beta.items()},
        "moderator_means": {m: float(mean_mod[j]) for j, m in enumerate(MODERATORS)},
        "opening_toxicity_mean": float(opening_toxicity.mean()),
        "note": "models without moderator terms recover about beta + gamma @ (mean(moderators) - "
        "moderator_centers) (+ lambda * mean opening toxicity for toxicity); the realism knobs "
        "of the paper preset attenuate them further.",
    }
