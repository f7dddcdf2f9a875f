"""survey.jsonl: one participant per row, 32 keys in HF main order, with the release's marginals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import reference as ref
from .texts import TextFactory

CONSENT = "Yes, I consent to take part"
CONSENT_AGE = "I certify that I am 18 years of age or over"
N_STUDIES = 51
PREFER_NOT = "Prefer not to say"


def _pick(
    rng: np.random.Generator, weights: dict[str, float] | dict[str, int], n: int
) -> list[str]:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), n, p=p / p.sum())]


def _slider(rng: np.random.Generator, mean: float, sd: float, n: int, low: int) -> np.ndarray:
    """Integer slider values with the given mean/sd, from a Beta on [0, 100]."""
    m, v = mean / 100, (sd / 100) ** 2
    common = m * (1 - m) / v - 1
    draws = rng.beta(m * common, (1 - m) * common, n) * 100
    return np.clip(np.round(draws), low, 100).astype(int)


@dataclass(frozen=True)
class Participants:
    """Per-user draws the other files need, plus the moderators of the score model."""

    locale: list[str]
    age: list[str]
    gender: list[str]
    ethnicity_simplified: list[str]
    values_pref: np.ndarray
    moderators: np.ndarray  # (n_users, 4): is_younger, is_male, is_white, has_high_values


def draw_participants(n_users: int, rng: np.random.Generator) -> Participants:
    locale = _pick(rng, {k: w for k, (w, _) in ref.STUDY_LOCALES.items()}, n_users)
    age = _pick(rng, ref.AGE, n_users)
    gender = _pick(rng, ref.GENDER, n_users)
    ethnic_cat = _pick(rng, {k: v[1] for k, v in ref.ETHNICITY.items()}, n_users)
    ethnicity = [ref.ETHNICITY[c][0] for c in ethnic_cat]
    mean, sd = ref.STATED_PREFS["values"]
    values_pref = _slider(rng, mean, sd, n_users, low=0)
    # "Prefer not to say" counts as 0 here; the warehouse turns it into null.
    moderators = np.column_stack(
        [
            [a in ref.YOUNGER_AGES for a in age],
            [g == "Male" for g in gender],
            [e == "White" for e in ethnicity],
            values_pref > 50,
        ]
    ).astype(np.float64)
    return Participants(locale, age, gender, ethnicity, values_pref, moderators)


def _location(rng: np.random.Generator, locale: str, us_uk_native: bool) -> dict[str, str]:
    reside_iso = str(rng.choice(ref.STUDY_LOCALES[locale][1]))
    birth_iso = reside_iso
    if not us_uk_native and rng.random() < 0.12:
        keys = list(ref.MIGRANT_BIRTH_WEIGHTS)
        p = np.array([ref.MIGRANT_BIRTH_WEIGHTS[k] for k in keys])
        birth_iso = keys[int(rng.choice(len(keys), p=p / p.sum()))]
    if rng.random() < 0.002:
        birth = {"country": PREFER_NOT, "iso": PREFER_NOT, "region": PREFER_NOT, "sub": PREFER_NOT}
    else:
        c = ref.COUNTRIES[birth_iso]
        birth = {"country": c.name, "iso": c.iso3, "region": c.region, "sub": c.subregion}
    r = ref.COUNTRIES[reside_iso]
    if birth["iso"] == PREFER_NOT:
        same, special = PREFER_NOT, PREFER_NOT
    else:
        same = "Yes" if birth["iso"] == reside_iso else "No"
        special = _special_region(birth["iso"], birth["region"], birth["sub"])
    return {
        "birth_country": birth["country"],
        "birth_countryISO": birth["iso"],
        "birth_region": birth["region"],
        "birth_subregion": birth["sub"],
        "reside_country": r.name,
        "reside_region": r.region,
        "reside_subregion": r.subregion,
        "reside_countryISO": r.iso3,
        "same_birth_reside_country": same,
        "special_region": special,
    }


def _special_region(iso: str, region: str, subregion: str) -> str:
    if iso == "USA":
        return "US"
    if iso == "GBR":
        return "UK"
    by_subregion = {
        ref.LATAM: ref.LATAM,
        "Northern America": "Northern America",
        "Western Asia": "Middle East",
        "Australia and New Zealand": "Australia and New Zealand",
    }
    return by_subregion.get(subregion, region)


def _usecases(rng: np.random.Generator, shown: bool, text: str) -> tuple[dict, dict]:
    keys = ref.USECASE_KEYS
    if not shown:
        return dict.fromkeys((*keys, "other_text")), dict.fromkeys(keys)
    p = np.array(ref.USECASE_SELECTED) / 1253
    chosen = (rng.random(len(keys)) < p).astype(int).tolist()
    usecases: dict[str, Any] = dict(zip(keys, chosen, strict=True))
    usecases["other_text"] = text if usecases["other"] else None
    order = (rng.permutation(len(keys) - 1) + 1).tolist() + [len(keys)]
    return usecases, dict(zip(keys, order, strict=True))


def survey_rows(
    parts: Participants,
    n_conversations: np.ndarray,
    balanced: np.ndarray,
    survey_times: list[str],
    survey_duration_s: np.ndarray,
    texts: TextFactory,
    rng: np.random.Generator,
) -> list[dict[str, Any]]:
    n = len(parts.locale)
    studies = {loc: [] for loc in ref.STUDY_LOCALES}
    extra = rng.choice(["us", "uk"], N_STUDIES - len(studies))
    for loc in list(studies) + extra.tolist():
        studies[loc].append(rng.bytes(12).hex())

    direct = _pick(rng, {"Yes": 1162, "No": 259, "Unsure": 79}, n)
    # Indirect use depends on direct use so that about 247 of 1,500 answer neither with Yes.
    p_indirect_yes = np.where(np.array(direct) == "Yes", 0.872, 0.269)
    indirect_yes = rng.random(n) < p_indirect_yes
    indirect_other = _pick(rng, {"No": 215, "Unsure": 181}, n)
    indirect = ["Yes" if y else o for y, o in zip(indirect_yes, indirect_other, strict=True)]
    frequency = _pick(rng, ref.LM_FREQUENCY_USE, n)
    familiarity = _pick(rng, ref.LM_FAMILIARITY, n)
    employment = _pick(rng, ref.EMPLOYMENT, n)
    education = _pick(rng, ref.EDUCATION, n)
    marital = _pick(rng, ref.MARITAL, n)
    english = _pick(rng, ref.ENGLISH, n)
    religion_cat = _pick(rng, {k: v[1] for k, v in ref.RELIGION.items()}, n)
    ethnic_cat_by_simple: dict[str, list[str]] = {}
    for cat, (simple, _, _) in ref.ETHNICITY.items():
        ethnic_cat_by_simple.setdefault(simple, []).append(cat)
    self_desc = texts.free_texts(n, 3.65, 0.55, 278)
    system = texts.free_texts(n, 3.6, 0.75, 1655)
    usecase_other = texts.free_texts(n, 1.7, 0.6, 60)
    prefs_other = texts.free_texts(n, 1.5, 0.5, 25)
    prefs = {k: _slider(rng, m, s, n, low=0) for k, (m, s) in ref.STATED_PREFS.items()}
    prefs["values"] = parts.values_pref
    has_prefs_other = rng.random(n) < 332 / 1500
    pref_keys = list(ref.STATED_PREFS)

    rows: list[dict[str, Any]] = []
    for u in range(n):
        shown = direct[u] == "Yes" or indirect[u] == "Yes"
        usecases, order_usecases = _usecases(rng, shown, usecase_other[u])
        ethnic_cat = str(rng.choice(ethnic_cat_by_simple[parts.ethnicity_simplified[u]]))
        rel_simple, _, rel_words = ref.RELIGION[religion_cat[u]]
        eth_words = ref.ETHNICITY[ethnic_cat][2]
        stated: dict[str, Any] = {k: int(prefs[k][u]) for k in pref_keys}
        stated["other_text"] = prefs_other[u] if has_prefs_other[u] else None
        order_prefs = (rng.permutation(len(pref_keys) - 1) + 1).tolist() + [len(pref_keys)]
        locale = parts.locale[u]
        native = locale in ("us", "uk") and balanced[u] and rng.random() < 0.7
        duration = int(survey_duration_s[u])
        rows.append(
            {
                "user_id": f"user{u}",
                "survey_only": bool(n_conversations[u] == 0),
                "num_completed_conversations": int(n_conversations[u]),
                "consent": CONSENT,
                "consent_age": CONSENT_AGE,
                "lm_familiarity": familiarity[u],
                "lm_indirect_use": indirect[u],
                "lm_direct_use": direct[u],
                "lm_frequency_use": frequency[u] if shown else None,
                "self_description": self_desc[u],
                "system_string": system[u],
                "age": parts.age[u],
                "gender": parts.gender[u],
                "employment_status": employment[u],
                "education": education[u],
                "marital_status": marital[u],
                "english_proficiency": english[u],
                "study_id": str(rng.choice(studies[locale])),
                "study_locale": locale,
                "religion": {
                    "self_described": str(rng.choice(rel_words)),
                    "categorised": religion_cat[u],
                    "simplified": rel_simple,
                },
                "ethnicity": {
                    "self_described": str(rng.choice(eth_words)),
                    "categorised": ethnic_cat,
                    "simplified": parts.ethnicity_simplified[u],
                },
                "location": _location(rng, locale, native),
                "lm_usecases": usecases,
                "stated_prefs": stated,
                "order_lm_usecases": order_usecases,
                "order_stated_prefs": dict(zip(pref_keys, order_prefs, strict=True)),
                "generated_datetime": survey_times[u],
                "timing_duration_s": duration,
                "timing_duration_mins": round(duration / 60, 2),
                "included_in_US_REP": False,
                "included_in_UK_REP": False,
                "included_in_balanced_subset": bool(balanced[u]),
            }
        )
    _mark_representative(rows, rng)
    return rows


def _mark_representative(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """US/UK census samples: balanced users from us/uk born and living in the same country."""
    for locale, iso, key, share in (("us", "USA", "included_in_US_REP", 230 / 386),
                                    ("uk", "GBR", "included_in_UK_REP", 243 / 341)):  # fmt: skip
        for row in rows:
            loc = row["location"]
            eligible = (
                row["study_locale"] == locale
                and row["included_in_balanced_subset"]
                and loc["birth_countryISO"] == iso
                and loc["reside_countryISO"] == iso
            )
            if eligible and rng.random() < share / 0.75:
                row[key] = True
