"""Published PRISM facts the generator draws from: models, survey categories and their counts.

Counts are the release's marginals (docs: /work/shared/reference/prism_schema.md); the generator
uses them as sampling weights, so a full-scale run lands near the published shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
CONVERSATION_SIZES_CSV = DATA_DIR / "conversation_sizes.csv"

COLLECTION_START = datetime(2023, 11, 22, 15, 48, 46)
COLLECTION_END = datetime(2023, 12, 22, 8, 4, 46)


@dataclass(frozen=True)
class Model:
    name: str
    provider: str
    opener_weight: float


# Ordered by the published opener win count (best first); the generator hands the largest model
# random effect to the first entry so the synthetic ranking resembles the real one.
MODELS: tuple[Model, ...] = (
    Model("command", "cohere", 1.0),
    Model("claude-instant-1", "anthropic", 1.0),
    Model("models/chat-bison-001", "google", 1.0),
    Model("HuggingFaceH4/zephyr-7b-beta", "huggingface_api", 1.0),
    Model("meta-llama/Llama-2-7b-chat-hf", "huggingface_api", 1.0),
    Model("gpt-4-1106-preview", "openai", 1.0),
    Model("command-nightly", "cohere", 1.0),
    Model("gpt-4", "openai", 1.0),
    Model("gpt-3.5-turbo", "openai", 1.0),
    Model("claude-2", "anthropic", 1.0),
    Model("meta-llama/Llama-2-70b-chat-hf", "huggingface_api", 1.0),
    Model("command-light", "cohere", 1.0),
    Model("claude-2.1", "anthropic", 1.0),
    Model("mistralai/Mistral-7B-Instruct-v0.1", "huggingface_api", 1.0),
    Model("timdettmers/guanaco-33b-merged", "huggingface_api", 1.0),
    Model("tiiuae/falcon-7b-instruct", "huggingface_api", 1.0),
    Model("OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5", "huggingface_api", 0.85),
    Model("meta-llama/Llama-2-13b-chat-hf", "huggingface_api", 0.6),
    Model("luminous-supreme-control", "aleph", 0.6),
    Model("luminous-extended-control", "aleph", 0.55),
    Model("google/flan-t5-xxl", "huggingface_api", 0.6),
)

# Luminous runs with top_p 0 / top_k 0, so its A and B answers often coincide.
NEAR_DETERMINISTIC_MODELS = frozenset({"luminous-supreme-control", "luminous-extended-control"})

CONVERSATION_TYPES: dict[str, float] = {
    "unguided": 3113,
    "values guided": 2460,
    "controversy guided": 2438,
}

LM_FAMILIARITY = {"Somewhat familiar": 920, "Very familiar": 424, "Not familiar at all": 156}
LM_FREQUENCY_USE = {
    "Once per month": 374,
    "Every week": 316,
    "More than once a month": 291,
    "Less than one a year": 162,
    "Every day": 110,
}
AGE = {
    "25-34 years old": 454,
    "18-24 years old": 297,
    "35-44 years old": 237,
    "45-54 years old": 208,
    "55-64 years old": 197,
    "65+ years old": 106,
    "Prefer not to say": 1,
}
YOUNGER_AGES = frozenset({"18-24 years old", "25-34 years old", "35-44 years old"})
GENDER = {"Male": 757, "Female": 718, "Non-binary / third gender": 21, "Prefer not to say": 4}
EMPLOYMENT = {
    "Working full-time": 712,
    "Working part-time": 265,
    "Student": 191,
    "Unemployed, seeking work": 113,
    "Retired": 104,
    "Homemaker / Stay-at-home parent": 46,
    "Unemployed, not seeking work": 46,
    "Prefer not to say": 23,
}
EDUCATION = {
    "University Bachelors Degree": 637,
    "Graduate / Professional degree": 241,
    "Some University but no degree": 236,
    "Completed Secondary School": 209,
    "Vocational": 125,
    "Some Secondary": 24,
    "Completed Primary School": 16,
    "Prefer not to say": 9,
    "Some Primary": 3,
}
MARITAL = {
    "Never been married": 870,
    "Married": 463,
    "Divorced / Separated": 123,
    "Prefer not to say": 23,
    "Widowed": 21,
}
ENGLISH = {"Native speaker": 886, "Fluent": 405, "Advanced": 160, "Intermediate": 42, "Basic": 7}

# categorised -> (simplified, weight, example self-descriptions)
RELIGION: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "Non-religious": ("No Affiliation", 762, ("none", "atheist", "no religion", "not religious")),
    "Christian": ("Christian", 487, ("christian", "catholic", "protestant", "orthodox")),
    "Agnostic": ("No Affiliation", 71, ("agnostic",)),
    "Prefer not to say": ("Prefer not to say", 59, ("prefer not to say",)),
    "Jewish": ("Jewish", 42, ("jewish", "judaism")),
    "Muslim": ("Muslim", 31, ("muslim", "islam")),
    "Spiritual": ("No Affiliation", 18, ("spiritual", "spiritual but not religious")),
    "Buddhist": ("Other", 12, ("buddhist",)),
    "Folk religion": ("Other", 6, ("traditional african religion",)),
    "Hindu": ("Other", 5, ("hindu",)),
    "Other": ("Other", 4, ("pagan",)),
    "Sikh": ("Other", 3, ("sikh",)),
}
ETHNICITY: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "White": ("White", 969, ("white", "caucasian", "white british", "european")),
    "Black / African": ("Black", 122, ("black", "african", "black african")),
    "Hispanic / Latino": ("Hispanic", 121, ("hispanic", "latino", "latina", "mestizo")),
    "Asian": ("Asian", 95, ("asian", "east asian", "chinese")),
    "Prefer not to say": ("Prefer not to say", 86, ("prefer not to say",)),
    "Mixed": ("Mixed", 68, ("mixed", "mixed race")),
    "Other": ("Other", 17, ("other",)),
    "Middle Eastern / Arab": ("Other", 14, ("arab", "middle eastern")),
    "Indigenous / First Peoples": ("Other", 8, ("maori", "indigenous")),
}


@dataclass(frozen=True)
class Country:
    name: str
    iso3: str
    region: str
    subregion: str


def _c(name: str, iso3: str, region: str, subregion: str) -> Country:
    return Country(name, iso3, region, subregion)


LATAM = "Latin America and the Caribbean"
COUNTRIES: dict[str, Country] = {
    c.iso3: c
    for c in (
        _c("United States", "USA", "Americas", "Northern America"),
        _c("United Kingdom", "GBR", "Europe", "Northern Europe"),
        _c("South Africa", "ZAF", "Africa", "Sub-Saharan Africa"),
        _c("Mexico", "MEX", "Americas", LATAM),
        _c("Australia", "AUS", "Oceania", "Australia and New Zealand"),
        _c("New Zealand", "NZL", "Oceania", "Australia and New Zealand"),
        _c("Chile", "CHL", "Americas", LATAM),
        _c("Canada", "CAN", "Americas", "Northern America"),
        _c("Israel", "ISR", "Asia", "Western Asia"),
        _c("Spain", "ESP", "Europe", "Southern Europe"),
        _c("Germany", "DEU", "Europe", "Western Europe"),
        _c("Belgium", "BEL", "Europe", "Western Europe"),
        _c("Hungary", "HUN", "Europe", "Eastern Europe"),
        _c("Poland", "POL", "Europe", "Eastern Europe"),
        _c("Ireland", "IRL", "Europe", "Northern Europe"),
        _c("Latvia", "LVA", "Europe", "Northern Europe"),
        _c("Denmark", "DNK", "Europe", "Northern Europe"),
        _c("Czechia", "CZE", "Europe", "Eastern Europe"),
        _c("Norway", "NOR", "Europe", "Northern Europe"),
        _c("France", "FRA", "Europe", "Western Europe"),
        _c("Italy", "ITA", "Europe", "Southern Europe"),
        _c("Greece", "GRC", "Europe", "Southern Europe"),
        _c("Switzerland", "CHE", "Europe", "Western Europe"),
        _c("Finland", "FIN", "Europe", "Northern Europe"),
        _c("Estonia", "EST", "Europe", "Northern Europe"),
        _c("Austria", "AUT", "Europe", "Western Europe"),
        _c("Slovenia", "SVN", "Europe", "Southern Europe"),
        _c("Netherlands", "NLD", "Europe", "Western Europe"),
        _c("Japan", "JPN", "Asia", "Eastern Asia"),
        _c("Korea, Republic of", "KOR", "Asia", "Eastern Asia"),
        _c("Portugal", "PRT", "Europe", "Southern Europe"),
        _c("Sweden", "SWE", "Europe", "Northern Europe"),
        _c("Luxembourg", "LUX", "Europe", "Western Europe"),
        _c("Iceland", "ISL", "Europe", "Northern Europe"),
        _c("Nigeria", "NGA", "Africa", "Sub-Saharan Africa"),
        _c("India", "IND", "Asia", "Southern Asia"),
        _c("Romania", "ROU", "Europe", "Eastern Europe"),
        _c("Philippines", "PHL", "Asia", "South-eastern Asia"),
        _c("Russian Federation", "RUS", "Europe", "Eastern Europe"),
        _c("China", "CHN", "Asia", "Eastern Asia"),
        _c("Viet Nam", "VNM", "Asia", "South-eastern Asia"),
        _c("T\u00fcrkiye", "TUR", "Asia", "Western Asia"),
        _c("C\u00f4te d'Ivoire", "CIV", "Africa", "Sub-Saharan Africa"),
        _c("Venezuela, Bolivarian Republic of", "VEN", "Americas", LATAM),
        _c("Hong Kong", "HKG", "Asia", "Eastern Asia"),
        _c("Kazakhstan", "KAZ", "Asia", "Central Asia"),
        _c("Tonga", "TON", "Oceania", "Polynesia"),
        _c("Tanzania, United Republic of", "TZA", "Africa", "Sub-Saharan Africa"),
        _c("Uruguay", "URY", "Americas", LATAM),
    )
}

# Born somewhere other than the country of residence: these are the weights for where.
MIGRANT_BIRTH_WEIGHTS: dict[str, float] = {
    "NGA": 19, "IND": 9, "ROU": 7, "PHL": 7, "RUS": 6, "CHN": 4, "VNM": 2, "TUR": 2, "CIV": 1,
    "VEN": 3, "HKG": 3, "KAZ": 2, "TON": 1, "GBR": 10, "USA": 6, "DEU": 4, "ZAF": 5, "ESP": 2,
}  # fmt: skip

# study_locale -> (weight, reside countries). The locale's count is its number of participants.
STUDY_LOCALES: dict[str, tuple[int, tuple[str, ...]]] = {
    "us": (386, ("USA",)), "uk": (341, ("GBR",)), "south africa": (88, ("ZAF",)),
    "new zealand": (77, ("NZL",)), "australia": (71, ("AUS",)), "mexico": (69, ("MEX",)),
    "chile": (65, ("CHL",)), "israel": (61, ("ISR",)), "canada": (54, ("CAN",)),
    "asia": (18, ("JPN", "KOR")), "spain": (18, ("ESP",)), "belgium": (17, ("BEL",)),
    "hungary": (16, ("HUN",)), "ireland": (15, ("IRL",)), "denmark": (15, ("DNK",)),
    "norway": (15, ("NOR",)), "switzerland": (14, ("CHE",)), "poland": (14, ("POL",)),
    "czech republic": (14, ("CZE",)), "latvia": (14, ("LVA",)), "greece": (14, ("GRC",)),
    "finland": (13, ("FIN",)), "germany": (13, ("DEU",)), "italy": (12, ("ITA",)),
    "france": (12, ("FRA",)), "slovenia": (10, ("SVN",)), "austria": (10, ("AUT",)),
    "estonia": (10, ("EST",)), "netherlands": (8, ("NLD",)), "portugal": (7, ("PRT",)),
    "sweden": (6, ("SWE",)), "luxembourg": (2, ("LUX",)), "iceland": (1, ("ISL",)),
}  # fmt: skip

# Locales whose participants sometimes write in their own language (language code, share of
# their conversations that are non-English). Spanish dominates in the release.
LOCAL_LANGUAGE: dict[str, tuple[str, float]] = {
    "mexico": ("es", 0.14), "chile": ("es", 0.14), "spain": ("es", 0.2),
    "france": ("fr", 0.15), "belgium": ("fr", 0.08), "switzerland": ("de", 0.08),
    "germany": ("de", 0.12), "austria": ("de", 0.12), "italy": ("it", 0.18),
    "portugal": ("pt", 0.18), "netherlands": ("nl", 0.15), "poland": ("pl", 0.12),
    "denmark": ("da", 0.1),
}  # fmt: skip

USECASE_KEYS: tuple[str, ...] = (
    "homework_assistance", "research", "source_suggestions", "professional_work",
    "creative_writing", "casual_conversation", "personal_recommendations", "daily_productivity",
    "technical_or_programming_help", "travel_guidance", "lifestyle_and_hobbies",
    "well-being_guidance", "medical_guidance", "financial_guidance", "games",
    "historical_or_news_insight", "relationship_advice", "language_learning", "other",
)  # fmt: skip
# Users choosing each use case, out of the 1,253 who were shown the question.
USECASE_SELECTED: tuple[int, ...] = (
    286,
    617,
    217,
    469,
    392,
    262,
    266,
    216,
    337,
    133,
    310,
    159,
    130,
    107,
    143,
    183,
    98,
    229,
    124,
)

# key -> (mean, sd) of the 0-100 slider
STATED_PREFS: dict[str, tuple[float, float]] = {
    "values": (54.3, 26.3), "creativity": (69.6, 22.1), "fluency": (86.7, 16.3),
    "factuality": (88.7, 16.2), "diversity": (75.7, 20.0), "safety": (80.2, 25.2),
    "personalisation": (67.9, 24.6), "helpfulness": (89.4, 14.4), "other": (57.5, 19.0),
}  # fmt: skip

# key -> (performance mean, sd, null share, choice mean, sd, null share)
FEEDBACK_ATTRIBUTES: dict[str, tuple[float, float, float, float, float, float]] = {
    "values": (74.1, 22.2, 0.11, 66.9, 27.2, 0.12),
    "fluency": (84.3, 18.3, 0.004, 82.5, 18.5, 0.01),
    "factuality": (79.2, 21.5, 0.02, 79.3, 21.0, 0.02),
    "safety": (85.1, 19.3, 0.06, 72.1, 27.8, 0.08),
    "diversity": (68.7, 25.3, 0.11, 66.0, 26.5, 0.11),
    "creativity": (63.7, 26.1, 0.10, 62.1, 27.1, 0.10),
    "helpfulness": (81.5, 21.9, 0.01, 82.5, 20.0, 0.01),
}

MODERATION_CATEGORIES: tuple[str, ...] = (
    "sexual", "hate", "harassment", "self-harm", "sexual/minors", "hate/threatening",
    "violence/graphic", "self-harm/intent", "self-harm/instructions", "harassment/threatening",
    "violence",
)  # fmt: skip
# Relative frequency of each category among flagged texts (human-written counts of the release).
MODERATION_CATEGORY_WEIGHTS: tuple[float, ...] = (21, 154, 387, 24, 4, 17, 3, 26, 13, 33, 52)
