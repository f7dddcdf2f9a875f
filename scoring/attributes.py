"""The Perspective attributes this project knows, the languages each accepts, and API limits.

The language table follows the reference notes (``perspective_api.md`` section 2): the six
production attributes accept the 18-language set of the 2024 attributes page; every experimental,
bridging and New York Times attribute is English only. Perspective publishes no model versions,
so these facts are the only metadata a score can carry besides the date it was taken.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

API_VERSION = "v1alpha1"
DEFAULT_API_URL = "https://commentanalyzer.googleapis.com"

# The documented request limit is 20 KB counted in UTF-8 bytes, not characters.
MAX_COMMENT_BYTES = 20_480

# Google's sunset email: the API "will no longer be in service after 2026".
SHUTDOWN_DATE = dt.date(2026, 12, 31)

PRODUCTION_LANGUAGES: frozenset[str] = frozenset(
    {"ar", "zh", "cs", "nl", "en", "fr", "de", "hi", "hi-Latn", "id", "it", "ja", "ko", "pl", "pt"}
    | {"ru", "es", "sv"}
)
ENGLISH_ONLY: frozenset[str] = frozenset({"en"})

PRODUCTION_ATTRIBUTES = (
    "TOXICITY",
    "SEVERE_TOXICITY",
    "IDENTITY_ATTACK",
    "INSULT",
    "PROFANITY",
    "THREAT",
)
EXPERIMENTAL_ATTRIBUTES = (
    "TOXICITY_EXPERIMENTAL",
    "SEVERE_TOXICITY_EXPERIMENTAL",
    "IDENTITY_ATTACK_EXPERIMENTAL",
    "INSULT_EXPERIMENTAL",
    "PROFANITY_EXPERIMENTAL",
    "THREAT_EXPERIMENTAL",
    "SEXUALLY_EXPLICIT",
    "FLIRTATION",
)
BRIDGING_ATTRIBUTES = (
    "AFFINITY_EXPERIMENTAL",
    "COMPASSION_EXPERIMENTAL",
    "CURIOSITY_EXPERIMENTAL",
    "NUANCE_EXPERIMENTAL",
    "PERSONAL_STORY_EXPERIMENTAL",
    "REASONING_EXPERIMENTAL",
    "RESPECT_EXPERIMENTAL",
)
NYT_ATTRIBUTES = (
    "ATTACK_ON_AUTHOR",
    "ATTACK_ON_COMMENTER",
    "INCOHERENT",
    "INFLAMMATORY",
    "LIKELY_TO_REJECT",
    "OBSCENE",
    "SPAM",
    "UNSUBSTANTIAL",
)

ATTRIBUTE_LANGUAGES: dict[str, frozenset[str]] = {
    **{a: PRODUCTION_LANGUAGES for a in PRODUCTION_ATTRIBUTES},
    **{a: ENGLISH_ONLY for a in EXPERIMENTAL_ATTRIBUTES + BRIDGING_ATTRIBUTES + NYT_ATTRIBUTES},
}
KNOWN_ATTRIBUTES: frozenset[str] = frozenset(ATTRIBUTE_LANGUAGES)

# Kyrychenko et al. 2025: the seven bridging attributes plus toxicity.
PAPER_ATTRIBUTES: tuple[str, ...] = (
    "AFFINITY_EXPERIMENTAL",
    "COMPASSION_EXPERIMENTAL",
    "CURIOSITY_EXPERIMENTAL",
    "NUANCE_EXPERIMENTAL",
    "PERSONAL_STORY_EXPERIMENTAL",
    "REASONING_EXPERIMENTAL",
    "RESPECT_EXPERIMENTAL",
    "TOXICITY",
)


def validate_attributes(attributes: Iterable[str]) -> tuple[str, ...]:
    """Return the attributes sorted and de-duplicated, or raise naming every unknown one."""
    chosen = tuple(sorted(set(attributes)))
    unknown = [a for a in chosen if a not in KNOWN_ATTRIBUTES]
    if unknown:
        raise ValueError(
            f"unknown Perspective attribute(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(KNOWN_ATTRIBUTES))}"
        )
    if not chosen:
        raise ValueError("at least one Perspective attribute must be requested")
    return chosen


def supports(attribute: str, language: str) -> bool:
    """Whether Perspective documents ``attribute`` for ``language``."""
    return language in ATTRIBUTE_LANGUAGES[attribute]
