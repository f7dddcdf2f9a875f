"""A tiny, hand-shaped PRISM: the four JSONL files and a long-form score CSV.

The synthetic generator draws its quirks at random; this dataset plants, at known places, the
cases the dbt marts must get right: score ties at the maximum (every third conversation),
identical A/B responses both chosen, "EMPTY STRING" responses, an opening prompt repeated across
conversations, Spanish conversations (every conversation k with k % 11 == 4), stray non-English
flags on short English texts, "Prefer not to say" answers (user1), values ratings of exactly 50
and survey-only participants. Keys and types follow the PRISM specification, so the project's own
loader and score importer read it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from orchestration.prism.files import LM_USECASE_KEYS, STATED_PREF_KEYS
from orchestration.synthetic.attributes import PERSPECTIVE

MODELS: list[tuple[str, str]] = [
    ("command", "cohere"),
    ("claude-instant-1", "anthropic"),
    ("models/chat-bison-001", "google"),
    ("HuggingFaceH4/zephyr-7b-beta", "huggingface_api"),
    ("gpt-4", "openai"),
    ("luminous-supreme-control", "aleph"),
    ("meta-llama/Llama-2-7b-chat-hf", "huggingface_api"),
]
ATTRIBUTES = list(PERSPECTIVE)
# The codebook's keys, from the loader's own file specs.
USECASES = list(LM_USECASE_KEYS)
PREFS = list(STATED_PREF_KEYS)
PERF = ["values", "fluency", "factuality", "safety", "diversity", "creativity", "helpfulness"]
AGES = [
    "18-24 years old",
    "25-34 years old",
    "35-44 years old",
    "45-54 years old",
    "55-64 years old",
    "65+ years old",
]
ETHNICITY = [
    ("White", "White"),
    ("Black / African", "Black"),
    ("Asian", "Asian"),
    ("Hispanic / Latino", "Hispanic"),
    ("Mixed", "Mixed"),
]
RELIGION = [
    ("Non-religious", "No Affiliation"),
    ("Christian", "Christian"),
    ("Jewish", "Jewish"),
    ("Muslim", "Muslim"),
    ("Hindu", "Other"),
]
TYPES = ["unguided", "values guided", "controversy guided"]
MOD_CATEGORIES = [
    "sexual",
    "hate",
    "harassment",
    "self-harm",
    "sexual/minors",
    "hate/threatening",
    "violence/graphic",
    "self-harm/intent",
    "self-harm/instructions",
    "harassment/threatening",
    "violence",
]


@dataclass(frozen=True)
class TinyPrism:
    """Where the files were written and the counts a test can check against."""

    directory: Path
    n_users: int
    n_conversations: int
    n_utterances: int


def _ts(day: int, second: int) -> str:
    minutes, sec = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2023-12-{day:02d} {hours % 24:02d}:{minutes:02d}:{sec:02d}"


def _survey_row(k: int, rng: random.Random, n_conv: int) -> dict:
    shown = k % 7 != 3
    usecases = {u: (rng.randint(0, 1) if shown else None) for u in USECASES}
    usecases["other_text"] = "chatting" if shown and usecases["other"] else None
    order_uc = list(range(1, 19))
    rng.shuffle(order_uc)
    order_usecases = {
        u: (o if shown else None) for u, o in zip(USECASES[:-1], order_uc, strict=True)
    }
    order_usecases["other"] = 19 if shown else None
    prefs = {p: rng.randint(0, 100) for p in PREFS}
    prefs["values"] = [50, 51, 49, 80, 10][k % 5]
    prefs["other_text"] = None
    order_p = list(range(1, 9))
    rng.shuffle(order_p)
    order_prefs = dict(zip(PREFS[:-1], order_p, strict=True))
    order_prefs["other"] = 9
    eth = ETHNICITY[k % len(ETHNICITY)]
    rel = RELIGION[k % len(RELIGION)]
    age = AGES[k % len(AGES)]
    gender = ["Male", "Female", "Non-binary / third gender"][k % 3]
    if k == 1:
        age, gender, eth, rel = (
            "Prefer not to say",
            "Prefer not to say",
            ("Prefer not to say", "Prefer not to say"),
            ("Prefer not to say", "Prefer not to say"),
        )
    born_us = k % 2 == 0
    seconds = 300 + rng.randint(0, 2000)
    return {
        "user_id": f"user{k}",
        "survey_only": n_conv == 0,
        "num_completed_conversations": n_conv,
        "consent": "Yes, I consent to take part",
        "consent_age": "I certify that I am 18 years of age or over",
        "lm_familiarity": ["Somewhat familiar", "Very familiar", "Not familiar at all"][k % 3],
        "lm_indirect_use": "Yes" if shown else "No",
        "lm_direct_use": "Yes" if shown else "No",
        "lm_frequency_use": "Every week" if shown else None,
        "self_description": f"I am participant number {k}, I like hiking.",
        "system_string": "Be concise and friendly.",
        "age": age,
        "gender": gender,
        "employment_status": "Working full-time",
        "education": "University Bachelors Degree",
        "marital_status": "Never been married",
        "english_proficiency": "Native speaker" if k % 4 else "Fluent",
        "study_id": f"{k % 3:024x}",
        "study_locale": "us" if born_us else "mexico",
        "religion": {"self_described": rel[0].lower(), "categorised": rel[0], "simplified": rel[1]},
        "ethnicity": {
            "self_described": eth[0].lower(),
            "categorised": eth[0],
            "simplified": eth[1],
        },
        "location": {
            "birth_country": "United States" if born_us else "Mexico",
            "birth_countryISO": "USA" if born_us else "MEX",
            "birth_region": "Americas",
            "birth_subregion": "Northern America" if born_us else "Latin America and the Caribbean",
            "reside_country": "United States" if born_us else "Mexico",
            "reside_region": "Americas",
            "reside_subregion": "Northern America"
            if born_us
            else "Latin America and the Caribbean",
            "reside_countryISO": "USA" if born_us else "MEX",
            "same_birth_reside_country": "Yes",
            "special_region": "US" if born_us else "Latin America and the Caribbean",
        },
        "lm_usecases": usecases,
        "stated_prefs": prefs,
        "order_lm_usecases": order_usecases,
        "order_stated_prefs": order_prefs,
        "generated_datetime": _ts(1 + k % 20, 3600 + k * 10),
        "timing_duration_s": seconds,
        "timing_duration_mins": round(seconds / 60, 2),
        "included_in_US_REP": False,
        "included_in_UK_REP": False,
        "included_in_balanced_subset": n_conv > 0,
    }


def write_tiny_prism(out_dir: Path, n_users: int = 24, seed: int = 0) -> TinyPrism:
    """Write survey/conversations/utterances/metadata JSONL and perspective_scores.csv."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    survey, conversations, flat = [], [], []
    shared_opening = "What do you think about climate change?"
    conv_k = 0
    for k in range(n_users):
        n_conv = 0 if k % 8 == 5 else 2 + k % 3
        survey.append(_survey_row(k, rng, n_conv))
        for j in range(n_conv):
            cid = f"c{conv_k}"
            spanish = conv_k % 11 == 4
            ctype = TYPES[(k + j) % 3]
            n_turns = 2 + (conv_k % 4)
            opening = (
                shared_opening
                if conv_k % 5 == 0
                else ("¿Qué opinas del fútbol?" if spanish else f"Tell me about topic {conv_k}.")
            )
            history = [{"turn": 0, "role": "user", "content": opening}]
            n_open = [4, 4, 3, 2][conv_k % 4]
            openers = rng.sample(MODELS, n_open)
            scores = [rng.randint(1, 100) for _ in openers]
            if conv_k % 3 == 0:
                scores[-1] = max(scores)  # a tie at the maximum
            chosen_idx = scores.index(max(scores))
            for i, (m, p) in enumerate(openers):
                text = (
                    "EMPTY STRING"
                    if conv_k % 9 == 7 and i == 0
                    else (
                        f"Respuesta {conv_k}-{i}."
                        if spanish
                        else f"Response {conv_k}-{i} from {m}: an answer with détails ✓."
                    )
                )
                history.append(
                    {
                        "turn": 0,
                        "role": "model",
                        "content": text,
                        "model_provider": p,
                        "model_name": m,
                        "score": scores[i],
                        "if_chosen": i == chosen_idx,
                        "within_turn_id": i,
                    }
                )
            chosen_model, chosen_provider = openers[chosen_idx]
            for t in range(1, n_turns):
                prompt = "Thanks!" if t == 1 and conv_k % 2 else f"Follow-up {conv_k}.{t}"
                history.append({"turn": t, "role": "user", "content": prompt})
                a = rng.randint(1, 100)
                b = rng.randint(1, 100)
                identical = (conv_k + t) % 6 == 0
                texts = [
                    f"Answer A {conv_k}.{t}",
                    f"Answer A {conv_k}.{t}" if identical else f"Answer B {conv_k}.{t}",
                ]
                if identical:
                    b = a
                for w in range(2):
                    chosen = identical or (w == 0) == (a >= b)
                    history.append(
                        {
                            "turn": t,
                            "role": "model",
                            "content": texts[w],
                            "model_provider": chosen_provider,
                            "model_name": chosen_model,
                            "score": [a, b][w],
                            "if_chosen": chosen,
                            "within_turn_id": w,
                        }
                    )
            dur = 200.0 + conv_k
            conversations.append(
                {
                    "conversation_id": cid,
                    "user_id": f"user{k}",
                    "conversation_type": ctype,
                    "opening_prompt": opening,
                    "conversation_turns": n_turns,
                    "conversation_history": history,
                    "performance_attributes": {
                        p: (None if (conv_k + i) % 9 == 0 else 50 + i) for i, p in enumerate(PERF)
                    },
                    "choice_attributes": {p: 40 + i for i, p in enumerate(PERF)},
                    "open_feedback": f"Feedback for {cid}.",
                    "generated_datetime": _ts(1 + k % 20, 7200 + conv_k * 60),
                    "timing_duration_s": dur,
                    "timing_duration_mins": round(dur / 60, 2),
                    "included_in_balanced_subset": True,
                }
            )
            flat.append((cid, f"user{k}", ctype, spanish, history))
            conv_k += 1

    # interaction ids follow PRISM's rule: groups sorted by the conversation_id *string*, then turn
    keys = sorted({(cid, e["turn"]) for cid, *_rest, h in flat for e in h})
    interaction_of = {key: f"int{i}" for i, key in enumerate(keys)}
    utterances, metadata = [], []
    ut = 0
    for cid, uid, ctype, spanish, history in flat:
        prompt_of = {e["turn"]: e["content"] for e in history if e["role"] == "user"}
        for e in history:
            if e["role"] != "model":
                continue
            iid = interaction_of[(cid, e["turn"])]
            utterances.append(
                {
                    "utterance_id": f"ut{ut}",
                    "interaction_id": iid,
                    "conversation_id": cid,
                    "user_id": uid,
                    "turn": e["turn"],
                    "within_turn_id": e["within_turn_id"],
                    "conversation_type": ctype,
                    "user_prompt": prompt_of[e["turn"]],
                    "model_response": e["content"],
                    "model_name": e["model_name"],
                    "model_provider": e["model_provider"],
                    "score": e["score"],
                    "if_chosen": e["if_chosen"],
                    "included_in_balanced_subset": True,
                }
            )
            lang = "es" if spanish else ("la" if ut % 37 == 5 else "en")
            metadata.append(_meta("model_response", uid, cid, iid, f"ut{ut}", lang))
            ut += 1
        for t in sorted(prompt_of):
            lang = "es" if spanish else ("fr" if prompt_of[t] == "Thanks!" and ut % 2 else "en")
            metadata.append(_meta("user_prompt", uid, cid, interaction_of[(cid, t)], None, lang))
        metadata.append(_meta("open_feedback", uid, cid, None, None, "en"))
    for row in survey:
        for col in ("self_description", "system_string"):
            metadata.append(_meta(col, row["user_id"], None, None, None, "en"))

    _write_jsonl(out_dir / "survey.jsonl", survey)
    _write_jsonl(out_dir / "conversations.jsonl", conversations)
    _write_jsonl(out_dir / "utterances.jsonl", utterances)
    _write_jsonl(out_dir / "metadata.jsonl", metadata)
    _write_scores(out_dir / "perspective_scores.csv", utterances, rng)
    return TinyPrism(out_dir, len(survey), len(conversations), len(utterances))


def _meta(
    column_id: str, uid: str, cid: str | None, iid: str | None, utid: str | None, lang: str
) -> dict:
    return {
        "column_id": column_id,
        "user_id": uid,
        "conversation_id": cid,
        "interaction_id": iid,
        "utterance_id": utid,
        "pii_flag": False,
        "pii_manual_flag": None,
        "language_flag": lang,
        "en_flag": lang == "en",
        "moderation_flag": {
            "flagged": False,
            "categories": {c: False for c in MOD_CATEGORIES},
            "category_scores": {c: 0.0 for c in MOD_CATEGORIES},
        },
    }


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row) + "\n")


def _write_scores(path: Path, utterances: list[dict], rng: random.Random) -> None:
    texts = sorted(
        {u["user_prompt"] for u in utterances} | {u["model_response"] for u in utterances}
    )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text_hash", "attribute", "value"])
        for text in texts:
            if text == "EMPTY STRING":
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()
            for attr in ATTRIBUTES:
                writer.writerow([digest, attr, round(rng.random(), 6)])
