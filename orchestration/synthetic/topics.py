"""Planted topics of opening prompts: each topic has its own words, and who opens which topic
depends on the participant's answers (the truth's ``topics``), so the topic study has a known
answer to find.

A conversation's opening prompt is on a planted topic with probability ``p_topical``; which
topic follows a multinomial logit, equal base weights plus the planted effects of the
participant's answers. Other openings keep the generic prompt drawn before, so they play
PRISM's outliers. A topical prompt is English: an opener and a handful of the topic's words.
"""

from __future__ import annotations

import numpy as np

from .survey import Participants
from .truth import TopicModel

NO_TOPIC = ""
# Openers of function words only: they vary the text without being a topic of their own, as
# "how do I" does not make a topic in real prompts.
_OPENERS = (
    "What about",
    "How do I deal with",
    "Is there anything about",
    "Could you give me something on",
    "Why do we have",
    "Where can I find",
    "Who is behind",
)


def topic_probabilities(model: TopicModel, parts: Participants) -> np.ndarray:
    """(n_users, n_topics) probability of each topic given an opening is topical."""
    names = list(model.vocabulary)
    logits = np.zeros((len(parts.gender), len(names)))
    for attribute, levels in model.effects.items():
        answers = np.array(getattr(parts, attribute), dtype=object)
        for level, by_topic in levels.items():
            for topic, effect in by_topic.items():
                logits[answers == level, names.index(topic)] += effect
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def plant_topics(
    model: TopicModel,
    parts: Participants,
    conv_user: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, list[str]]:
    """Each conversation's planted topic (NO_TOPIC for none) and its opening prompt, or None."""
    names = list(model.vocabulary)
    vocab = {name: model.vocabulary[name].split() for name in names}
    probs = topic_probabilities(model, parts)[conv_user]
    topical = rng.random(len(conv_user)) < model.p_topical
    # Inverse-CDF draw per conversation: its user's row of probabilities.
    picks = (rng.random(len(conv_user))[:, None] > probs.cumsum(axis=1)).sum(axis=1)
    picks = np.minimum(picks, len(names) - 1)
    topics = np.where(topical, np.array(names, dtype=object)[picks], NO_TOPIC)
    prompts: list[str] = []
    for topic in topics.tolist():
        if topic == NO_TOPIC:
            prompts.append("")
            continue
        words = rng.choice(vocab[topic], size=int(rng.integers(3, 7)), replace=False)
        opener = _OPENERS[int(rng.integers(0, len(_OPENERS)))]
        prompts.append(f"{opener} {' '.join(words)}?")
    return topics, prompts
