"""The four PRISM files: names, raw tables, keys, column types, null rules and value ranges.

Everything the loader checks is declared here, so the rules live in one place and read like the
published codebook (see ``docs/architecture.md`` for the raw table contract).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    """A JSON scalar loaded as ``sql_type``.

    Numbers may carry an inclusive range; strings may carry the codebook's closed list of
    ``allowed`` values, or a ``pattern`` (a regular expression the whole value must match) that
    ``pattern_text`` states for people, with ``strptime`` a format the value must also parse as.
    """

    sql_type: str
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_text: str | None = None
    strptime: str | None = None


@dataclass(frozen=True)
class Struct:
    """A JSON object loaded as a DuckDB ``STRUCT`` with the file's keys in file order."""

    fields: tuple[Field, ...]


@dataclass(frozen=True)
class ListOf:
    """A JSON array loaded as a DuckDB list."""

    element: Scalar | Struct


FieldType = Scalar | Struct | ListOf


@dataclass(frozen=True)
class Field:
    """One JSON key: ``required`` means the key must be present, ``nullable`` that it may be null.

    A bare ``NaN`` counts as null, which is how pandas wrote missing values.
    """

    name: str
    type: FieldType
    required: bool = True
    nullable: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """``column`` must exist in ``parent_column`` of the ``parent`` file (nulls are not checked)."""

    column: str
    parent: str
    parent_column: str
    label: str


@dataclass(frozen=True)
class FileSpec:
    """One PRISM file and the raw table it loads into."""

    kind: str
    filename: str
    table: str
    id_columns: tuple[str, ...]
    fields: tuple[Field, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fk.parent for fk in self.foreign_keys))


def duckdb_type(field_type: FieldType) -> str:
    """The DuckDB type a field loads as, e.g. ``STRUCT("turn" INTEGER, ...)[]``."""
    if isinstance(field_type, Scalar):
        return field_type.sql_type
    if isinstance(field_type, ListOf):
        return f"{duckdb_type(field_type.element)}[]"
    members = ", ".join(f'"{f.name}" {duckdb_type(f.type)}' for f in field_type.fields)
    return f"STRUCT({members})"


VARCHAR = Scalar("VARCHAR")
BOOLEAN = Scalar("BOOLEAN")
INTEGER = Scalar("INTEGER")
NON_NEGATIVE_INTEGER = Scalar("INTEGER", minimum=0)
SCORE = Scalar("INTEGER", minimum=1, maximum=100)
WITHIN_TURN_ID = Scalar("INTEGER", minimum=0, maximum=3)


def _one_of(*values: str) -> Scalar:
    return Scalar("VARCHAR", allowed=values)


# The release writes datetimes with strftime("%Y-%m-%d %H:%M:%S"): no zone, no fraction.
DATETIME = Scalar(
    "VARCHAR",
    pattern="[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}",
    pattern_text="YYYY-MM-DD HH:MM:SS",
    strptime="%Y-%m-%d %H:%M:%S",
)
# Durations cannot exceed the collection window (2023-11-22 to 2023-12-22, 30 days): a survey or
# conversation is timed inside it. The longest in the release is 529,927 s (6.1 days), so a
# 31-day bound leaves room without letting 1e308 through.
MAX_DURATION_S = 31 * 24 * 3600
DURATION_S = Scalar("DOUBLE", minimum=0, maximum=MAX_DURATION_S)
DURATION_MINS = Scalar("DOUBLE", minimum=0, maximum=MAX_DURATION_S / 60)
# Participants were asked for 2 to 10 turns and the longest conversation has 22; 50 is a
# plausible ceiling that still catches a corrupted count.
MAX_TURNS = 50
TURN = Scalar("INTEGER", minimum=0, maximum=MAX_TURNS - 1)
CONVERSATION_TURNS = Scalar("INTEGER", minimum=2, maximum=MAX_TURNS)
# langid's ISO 639-1 codes: two lower-case letters (59 distinct values in the release).
LANGUAGE_CODE = Scalar("VARCHAR", pattern="[a-z]{2}", pattern_text="a two-letter ISO 639-1 code")

PREFER_NOT = "Prefer not to say"
CONVERSATION_TYPE = _one_of("unguided", "values guided", "controversy guided")
# model_name -> model_provider as the data spell them (codebook §6.1: the backend's long name and
# lower-case key, not models.jsonl's display names).
MODEL_PROVIDERS: dict[str, str] = {
    "command": "cohere",
    "claude-instant-1": "anthropic",
    "models/chat-bison-001": "google",
    "HuggingFaceH4/zephyr-7b-beta": "huggingface_api",
    "meta-llama/Llama-2-7b-chat-hf": "huggingface_api",
    "command-light": "cohere",
    "command-nightly": "cohere",
    "gpt-4-1106-preview": "openai",
    "gpt-4": "openai",
    "meta-llama/Llama-2-70b-chat-hf": "huggingface_api",
    "gpt-3.5-turbo": "openai",
    "timdettmers/guanaco-33b-merged": "huggingface_api",
    "claude-2.1": "anthropic",
    "mistralai/Mistral-7B-Instruct-v0.1": "huggingface_api",
    "claude-2": "anthropic",
    "tiiuae/falcon-7b-instruct": "huggingface_api",
    "OpenAssistant/oasst-sft-4-pythia-12b-epoch-3.5": "huggingface_api",
    "meta-llama/Llama-2-13b-chat-hf": "huggingface_api",
    "luminous-supreme-control": "aleph",
    "google/flan-t5-xxl": "huggingface_api",
    "luminous-extended-control": "aleph",
}
MODEL_NAME = _one_of(*MODEL_PROVIDERS)
MODEL_PROVIDER = _one_of(*dict.fromkeys(MODEL_PROVIDERS.values()))
ROLE = _one_of("user", "model")
YES_NO_UNSURE = _one_of("Yes", "No", "Unsure")
REGION = _one_of("Europe", "Americas", "Africa", "Asia", "Oceania", PREFER_NOT)
COLUMN_IDS = ("model_response", "user_prompt", "open_feedback", "self_description", "system_string")


def _field(name: str, field_type: FieldType, *, nullable: bool = False) -> Field:
    return Field(name, field_type, required=True, nullable=nullable)


def _struct(names: list[str], field_type: FieldType, *, nullable: bool = False) -> Struct:
    return Struct(tuple(_field(n, field_type, nullable=nullable) for n in names))


# Survey: the lm_usecases object is present for everyone but all-null for the 247 participants who
# were not shown the question; stated_prefs sliders run 0..100; order_* are presentation ranks.
LM_USECASE_KEYS = [
    "homework_assistance",
    "research",
    "source_suggestions",
    "professional_work",
    "creative_writing",
    "casual_conversation",
    "personal_recommendations",
    "daily_productivity",
    "technical_or_programming_help",
    "travel_guidance",
    "lifestyle_and_hobbies",
    "well-being_guidance",
    "medical_guidance",
    "financial_guidance",
    "games",
    "historical_or_news_insight",
    "relationship_advice",
    "language_learning",
    "other",
]
STATED_PREF_KEYS = [
    "values",
    "creativity",
    "fluency",
    "factuality",
    "diversity",
    "safety",
    "personalisation",
    "helpfulness",
    "other",
]
LOCATION_KEYS = [
    "birth_country",
    "birth_countryISO",
    "birth_region",
    "birth_subregion",
    "reside_country",
    "reside_region",
    "reside_subregion",
    "reside_countryISO",
    "same_birth_reside_country",
    "special_region",
]
IDENTITY_KEYS = ["self_described", "categorised", "simplified"]


def _identity(categorised: Scalar, simplified: Scalar) -> Struct:
    """religion or ethnicity: free self-description, then the codebook's two codings of it."""
    types = (VARCHAR, categorised, simplified)
    return Struct(tuple(_field(k, t) for k, t in zip(IDENTITY_KEYS, types, strict=True)))


RELIGION = _identity(
    _one_of(
        "Non-religious", "Christian", "Agnostic", PREFER_NOT, "Jewish", "Muslim", "Spiritual",
        "Buddhist", "Folk religion", "Hindu", "Other", "Sikh",
    ),
    _one_of("No Affiliation", "Christian", PREFER_NOT, "Jewish", "Muslim", "Other"),
)  # fmt: skip
ETHNICITY = _identity(
    _one_of(
        "White", "Black / African", "Hispanic / Latino", "Asian", PREFER_NOT, "Mixed", "Other",
        "Middle Eastern / Arab", "Indigenous / First Peoples",
    ),
    _one_of("White", "Black", "Hispanic", "Asian", PREFER_NOT, "Mixed", "Other"),
)  # fmt: skip
COUNTRY_ISO = Scalar(
    "VARCHAR", pattern=f"[A-Z]{{3}}|{PREFER_NOT}", pattern_text=f"ISO alpha-3 or '{PREFER_NOT}'"
)
# Country and sub-region names are open lists in the codebook (pycountry, UN M49), so only their
# type is checked.
LOCATION_TYPES: dict[str, Scalar] = {
    "birth_countryISO": COUNTRY_ISO,
    "reside_countryISO": COUNTRY_ISO,
    "birth_region": REGION,
    "reside_region": REGION,
    "same_birth_reside_country": _one_of("Yes", "No", PREFER_NOT),
    "special_region": _one_of(
        "US", "UK", "Latin America and the Caribbean", "Northern America", "Middle East",
        "Australia and New Zealand", "Europe", "Africa", "Asia", "Oceania", PREFER_NOT,
    ),
}  # fmt: skip
LOCATION = Struct(tuple(_field(k, LOCATION_TYPES.get(k, VARCHAR)) for k in LOCATION_KEYS))

SURVEY = FileSpec(
    kind="survey",
    filename="survey.jsonl",
    table="raw.prism_survey",
    id_columns=("user_id",),
    fields=(
        _field("user_id", VARCHAR),
        _field("survey_only", BOOLEAN),
        _field("num_completed_conversations", NON_NEGATIVE_INTEGER),
        _field("consent", _one_of("Yes, I consent to take part")),
        _field("consent_age", _one_of("I certify that I am 18 years of age or over")),
        _field(
            "lm_familiarity", _one_of("Somewhat familiar", "Very familiar", "Not familiar at all")
        ),
        _field("lm_indirect_use", YES_NO_UNSURE),
        _field("lm_direct_use", YES_NO_UNSURE),
        _field(
            "lm_frequency_use",
            # "Less than one a year" is the release's own spelling.
            _one_of(
                "Once per month",
                "Every week",
                "More than once a month",
                "Less than one a year",
                "Every day",
            ),
            nullable=True,
        ),
        _field("self_description", VARCHAR),
        _field("system_string", VARCHAR),
        _field(
            "age",
            _one_of(
                "18-24 years old",
                "25-34 years old",
                "35-44 years old",
                "45-54 years old",
                "55-64 years old",
                "65+ years old",
                PREFER_NOT,
            ),
        ),
        _field("gender", _one_of("Male", "Female", "Non-binary / third gender", PREFER_NOT)),
        _field(
            "employment_status",
            _one_of(
                "Working full-time",
                "Working part-time",
                "Student",
                "Unemployed, seeking work",
                "Retired",
                "Homemaker / Stay-at-home parent",
                "Unemployed, not seeking work",
                PREFER_NOT,
            ),
        ),
        _field(
            "education",
            _one_of(
                "University Bachelors Degree",
                "Graduate / Professional degree",
                "Some University but no degree",
                "Completed Secondary School",
                "Vocational",
                "Some Secondary",
                "Completed Primary School",
                PREFER_NOT,
                "Some Primary",
            ),
        ),
        _field(
            "marital_status",
            _one_of("Never been married", "Married", "Divorced / Separated", PREFER_NOT, "Widowed"),
        ),
        _field(
            "english_proficiency",
            _one_of("Native speaker", "Fluent", "Advanced", "Intermediate", "Basic"),
        ),
        _field("study_id", VARCHAR),
        _field("study_locale", VARCHAR),
        _field("religion", RELIGION),
        _field("ethnicity", ETHNICITY),
        _field("location", LOCATION),
        _field(
            "lm_usecases",
            Struct(
                tuple(_field(n, Scalar("INTEGER", 0, 1), nullable=True) for n in LM_USECASE_KEYS)
                + (_field("other_text", VARCHAR, nullable=True),)
            ),
        ),
        _field(
            "stated_prefs",
            Struct(
                tuple(_field(n, Scalar("INTEGER", 0, 100)) for n in STATED_PREF_KEYS)
                + (_field("other_text", VARCHAR, nullable=True),)
            ),
        ),
        _field(
            "order_lm_usecases",
            _struct(LM_USECASE_KEYS, Scalar("INTEGER", 1, len(LM_USECASE_KEYS)), nullable=True),
        ),
        _field(
            "order_stated_prefs",
            _struct(STATED_PREF_KEYS, Scalar("INTEGER", 1, len(STATED_PREF_KEYS))),
        ),
        _field("generated_datetime", DATETIME),
        # Whole seconds that may be written as 266 or 266.0, so DOUBLE accepts both spellings.
        _field("timing_duration_s", DURATION_S),
        _field("timing_duration_mins", DURATION_MINS),
        _field("included_in_US_REP", BOOLEAN),
        _field("included_in_UK_REP", BOOLEAN),
        _field("included_in_balanced_subset", BOOLEAN),
    ),
)

ATTRIBUTE_KEYS = [
    "values",
    "fluency",
    "factuality",
    "safety",
    "diversity",
    "creativity",
    "helpfulness",
]

# User entries carry only turn, role and content, so the model keys are optional.
HISTORY_ENTRY = Struct(
    (
        _field("turn", TURN),
        _field("role", ROLE),
        _field("content", VARCHAR),
        Field("model_provider", MODEL_PROVIDER, required=False, nullable=True),
        Field("model_name", MODEL_NAME, required=False, nullable=True),
        Field("score", SCORE, required=False, nullable=True),
        Field("if_chosen", BOOLEAN, required=False, nullable=True),
        Field("within_turn_id", WITHIN_TURN_ID, required=False, nullable=True),
    )
)

CONVERSATIONS = FileSpec(
    kind="conversations",
    filename="conversations.jsonl",
    table="raw.prism_conversations",
    id_columns=("conversation_id",),
    fields=(
        _field("conversation_id", VARCHAR),
        _field("user_id", VARCHAR),
        _field("conversation_type", CONVERSATION_TYPE),
        _field("opening_prompt", VARCHAR),
        _field("conversation_turns", CONVERSATION_TURNS),
        _field("conversation_history", ListOf(HISTORY_ENTRY)),
        _field("performance_attributes", _struct(ATTRIBUTE_KEYS, SCORE, nullable=True)),
        _field("choice_attributes", _struct(ATTRIBUTE_KEYS, SCORE, nullable=True)),
        _field("open_feedback", VARCHAR),
        _field("generated_datetime", DATETIME),
        _field("timing_duration_s", DURATION_S),
        _field("timing_duration_mins", DURATION_MINS),
        _field("included_in_balanced_subset", BOOLEAN),
    ),
    foreign_keys=(ForeignKey("user_id", "survey", "user_id", "user"),),
)

UTTERANCES = FileSpec(
    kind="utterances",
    filename="utterances.jsonl",
    table="raw.prism_utterances",
    id_columns=("utterance_id",),
    fields=(
        _field("utterance_id", VARCHAR),
        _field("interaction_id", VARCHAR),
        _field("conversation_id", VARCHAR),
        _field("user_id", VARCHAR),
        _field("turn", TURN),
        _field("within_turn_id", WITHIN_TURN_ID),
        _field("conversation_type", CONVERSATION_TYPE),
        _field("user_prompt", VARCHAR),
        _field("model_response", VARCHAR),
        _field("model_name", MODEL_NAME),
        _field("model_provider", MODEL_PROVIDER),
        _field("score", SCORE),
        _field("if_chosen", BOOLEAN),
        _field("included_in_balanced_subset", BOOLEAN),
    ),
    foreign_keys=(
        ForeignKey("conversation_id", "conversations", "conversation_id", "conversation"),
        ForeignKey("user_id", "survey", "user_id", "user"),
    ),
)

MODERATION_CATEGORIES = [
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

METADATA = FileSpec(
    kind="metadata",
    filename="metadata.jsonl",
    table="raw.prism_metadata",
    # One row per text instance; the ids that do not apply to a text source are null.
    id_columns=("column_id", "user_id", "conversation_id", "interaction_id", "utterance_id"),
    fields=(
        _field("column_id", _one_of(*COLUMN_IDS)),
        _field("user_id", VARCHAR),
        _field("conversation_id", VARCHAR, nullable=True),
        _field("interaction_id", VARCHAR, nullable=True),
        _field("utterance_id", VARCHAR, nullable=True),
        _field("pii_flag", BOOLEAN),
        _field("pii_manual_flag", BOOLEAN, nullable=True),
        _field("language_flag", LANGUAGE_CODE),
        _field("en_flag", BOOLEAN),
        _field(
            "moderation_flag",
            Struct(
                (
                    _field("flagged", BOOLEAN),
                    _field("categories", _struct(MODERATION_CATEGORIES, BOOLEAN)),
                    _field(
                        "category_scores",
                        _struct(MODERATION_CATEGORIES, Scalar("DOUBLE", 0, 1)),
                    ),
                )
            ),
        ),
    ),
    foreign_keys=(
        ForeignKey("user_id", "survey", "user_id", "user"),
        ForeignKey("conversation_id", "conversations", "conversation_id", "conversation"),
        ForeignKey("interaction_id", "utterances", "interaction_id", "interaction"),
        ForeignKey("utterance_id", "utterances", "utterance_id", "utterance"),
    ),
)

# Dependency order: a file's parents come before it, so orphans can be found while loading.
FILE_SPECS: dict[str, FileSpec] = {s.kind: s for s in (SURVEY, CONVERSATIONS, UTTERANCES, METADATA)}
KINDS: tuple[str, ...] = tuple(FILE_SPECS)
FILENAMES: tuple[str, ...] = tuple(s.filename for s in FILE_SPECS.values())

REJECTS_TABLE = "raw.prism_rejects"
LOAD_LOG_TABLE = "raw.prism_load_log"


def file_spec(kind: str) -> FileSpec:
    """The spec of ``kind`` (``survey``, ``conversations``, ``utterances`` or ``metadata``)."""
    try:
        return FILE_SPECS[kind]
    except KeyError:
        raise ValueError(f"unknown PRISM file kind {kind!r}; expected one of {KINDS}") from None
