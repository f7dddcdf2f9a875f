"""The four PRISM files: names, raw tables, keys, column types, null rules and value ranges.

Everything the loader checks is declared here, so the rules live in one place and read like the
published codebook (see ``docs/architecture.md`` for the raw table contract).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scalar:
    """A JSON scalar loaded as ``sql_type``; numbers may carry an inclusive range."""

    sql_type: str
    minimum: float | None = None
    maximum: float | None = None


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
NON_NEGATIVE_DOUBLE = Scalar("DOUBLE", minimum=0)
SCORE = Scalar("INTEGER", minimum=1, maximum=100)
WITHIN_TURN_ID = Scalar("INTEGER", minimum=0, maximum=3)


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

SURVEY = FileSpec(
    kind="survey",
    filename="survey.jsonl",
    table="raw.prism_survey",
    id_columns=("user_id",),
    fields=(
        _field("user_id", VARCHAR),
        _field("survey_only", BOOLEAN),
        _field("num_completed_conversations", NON_NEGATIVE_INTEGER),
        _field("consent", VARCHAR),
        _field("consent_age", VARCHAR),
        _field("lm_familiarity", VARCHAR),
        _field("lm_indirect_use", VARCHAR),
        _field("lm_direct_use", VARCHAR),
        _field("lm_frequency_use", VARCHAR, nullable=True),
        _field("self_description", VARCHAR),
        _field("system_string", VARCHAR),
        _field("age", VARCHAR),
        _field("gender", VARCHAR),
        _field("employment_status", VARCHAR),
        _field("education", VARCHAR),
        _field("marital_status", VARCHAR),
        _field("english_proficiency", VARCHAR),
        _field("study_id", VARCHAR),
        _field("study_locale", VARCHAR),
        _field("religion", _struct(IDENTITY_KEYS, VARCHAR)),
        _field("ethnicity", _struct(IDENTITY_KEYS, VARCHAR)),
        _field("location", _struct(LOCATION_KEYS, VARCHAR)),
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
        _field("generated_datetime", VARCHAR),
        # Whole seconds that may be written as 266 or 266.0, so DOUBLE accepts both spellings.
        _field("timing_duration_s", NON_NEGATIVE_DOUBLE),
        _field("timing_duration_mins", NON_NEGATIVE_DOUBLE),
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
        _field("turn", NON_NEGATIVE_INTEGER),
        _field("role", VARCHAR),
        _field("content", VARCHAR),
        Field("model_provider", VARCHAR, required=False, nullable=True),
        Field("model_name", VARCHAR, required=False, nullable=True),
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
        _field("conversation_type", VARCHAR),
        _field("opening_prompt", VARCHAR),
        _field("conversation_turns", Scalar("INTEGER", minimum=1)),
        _field("conversation_history", ListOf(HISTORY_ENTRY)),
        _field("performance_attributes", _struct(ATTRIBUTE_KEYS, SCORE, nullable=True)),
        _field("choice_attributes", _struct(ATTRIBUTE_KEYS, SCORE, nullable=True)),
        _field("open_feedback", VARCHAR),
        _field("generated_datetime", VARCHAR),
        _field("timing_duration_s", NON_NEGATIVE_DOUBLE),
        _field("timing_duration_mins", NON_NEGATIVE_DOUBLE),
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
        _field("turn", NON_NEGATIVE_INTEGER),
        _field("within_turn_id", WITHIN_TURN_ID),
        _field("conversation_type", VARCHAR),
        _field("user_prompt", VARCHAR),
        _field("model_response", VARCHAR),
        _field("model_name", VARCHAR),
        _field("model_provider", VARCHAR),
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
        _field("column_id", VARCHAR),
        _field("user_id", VARCHAR),
        _field("conversation_id", VARCHAR, nullable=True),
        _field("interaction_id", VARCHAR, nullable=True),
        _field("utterance_id", VARCHAR, nullable=True),
        _field("pii_flag", BOOLEAN),
        _field("pii_manual_flag", BOOLEAN, nullable=True),
        _field("language_flag", VARCHAR),
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
