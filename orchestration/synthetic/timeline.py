"""Datetimes and durations: conversations in chronological file order, each user's survey first.

Times are seconds after the collection start; `format_times` renders the release's
"YYYY-MM-DD HH:MM:SS" strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from .reference import COLLECTION_END, COLLECTION_START

WINDOW_S = (COLLECTION_END - COLLECTION_START).total_seconds()
FIRST_CONVERSATION_END_S = 420.0  # c0 ends 7 minutes after user0's survey in the release


@dataclass(frozen=True)
class Timeline:
    conv_end_s: np.ndarray
    conv_duration_s: np.ndarray  # rounded to 2 decimals
    survey_end_s: np.ndarray  # per user, non-decreasing in user index
    survey_duration_s: np.ndarray  # whole seconds


def build_timeline(conv_user: np.ndarray, n_users: int, rng: np.random.Generator) -> Timeline:
    n_conv = len(conv_user)
    end = np.sort(rng.uniform(FIRST_CONVERSATION_END_S, WINDOW_S, n_conv))
    end[0] = FIRST_CONVERSATION_END_S
    end = np.floor(end)
    duration = np.round(np.maximum(rng.lognormal(6.15, 0.6, n_conv), 73.5), 2)

    first_start = np.full(n_users, WINDOW_S - 3600.0)
    np.minimum.at(first_start, conv_user, end - duration)
    gap = rng.uniform(20, 900, n_users)
    # Users are numbered by survey completion, so survey times must not decrease with the index;
    # a reverse running minimum keeps each survey before that user's first conversation.
    survey = np.minimum.accumulate((first_start - gap)[::-1])[::-1]
    survey = np.floor(np.maximum(survey, 0.0))
    survey[0] = 0.0

    survey_duration = np.maximum(np.round(rng.lognormal(6.6, 0.6, n_users)), 160)
    multi_session = rng.random(n_users) < 0.012
    survey_duration[multi_session] = np.round(rng.uniform(5_000, 530_000, multi_session.sum()))
    return Timeline(
        conv_end_s=end,
        conv_duration_s=duration,
        survey_end_s=survey,
        survey_duration_s=survey_duration.astype(np.int64),
    )


def format_times(seconds: np.ndarray) -> list[str]:
    return [
        (COLLECTION_START + timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S")
        for s in seconds
    ]
