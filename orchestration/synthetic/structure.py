"""Who owns which conversation, how many turns and responses each has, and every ID.

Full scale reuses the release's ownership and per-conversation utterance counts
(`data/conversation_sizes.csv`, derived from PRISM's utterance table), so users, conversation
sizes and the lexicographic interaction ids have the real structure. Small scale takes a random
subset of users and renumbers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .reference import CONVERSATION_SIZES_CSV

Scale = Literal["full", "small"]

FULL_USERS = 1500
FULL_INTERACTIONS = 27_172
SMALL_CONVERSING_USERS = 60
SMALL_SURVEY_ONLY_USERS = 6
# Share of even-sized conversations whose opener has 4 answers rather than 2 (small scale only;
# full scale solves for the count that reproduces the published interaction total).
P_FOUR_OPTIONS = 0.97


@dataclass(frozen=True)
class Structure:
    """Conversations in file order; interactions and utterances as flat arrays."""

    n_users: int
    conv_user: np.ndarray  # user index of each conversation
    conv_turns: np.ndarray  # conversation_turns
    conv_k0: np.ndarray  # number of responses at turn 0 (2-4)
    int_conv: np.ndarray  # conversation index of each interaction, in (conversation, turn) order
    int_turn: np.ndarray
    int_first_ut: np.ndarray  # index of the interaction's first utterance
    int_n_options: np.ndarray
    int_label: np.ndarray  # k of `int<k>` (lexicographic rule)
    ut_int: np.ndarray  # interaction index of each utterance, in file order
    ut_within: np.ndarray  # within_turn_id

    @property
    def n_conversations(self) -> int:
        return len(self.conv_user)

    @property
    def n_interactions(self) -> int:
        return len(self.int_conv)

    @property
    def n_utterances(self) -> int:
        return len(self.ut_int)

    @property
    def ut_conv(self) -> np.ndarray:
        return self.int_conv[self.ut_int]

    @property
    def ut_turn(self) -> np.ndarray:
        return self.int_turn[self.ut_int]


def _load_sizes() -> pd.DataFrame:
    sizes = pd.read_csv(CONVERSATION_SIZES_CSV)
    sizes["conv"] = sizes["conversation_id"].str[1:].astype(np.int64)
    sizes["user"] = sizes["user_id"].str[4:].astype(np.int64)
    return sizes.sort_values("conv", kind="stable").reset_index(drop=True)


def _subset_small(sizes: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    conversing = np.sort(sizes["user"].unique())
    survey_only = np.setdiff1d(np.arange(FULL_USERS), conversing)
    keep = rng.choice(conversing, SMALL_CONVERSING_USERS, replace=False)
    extra = rng.choice(survey_only, SMALL_SURVEY_ONLY_USERS, replace=False)
    # Renumber users and conversations in their original order, so chronology is kept.
    users = np.sort(np.concatenate([keep, extra]))
    new_user = {int(u): i for i, u in enumerate(users)}
    small = sizes[sizes["user"].isin(keep)].copy()
    small["user"] = small["user"].map(new_user)
    return small.reset_index(drop=True), len(users)


def _fix_unsplittable(n: np.ndarray, user: np.ndarray) -> np.ndarray:
    """Move one utterance into each 3-utterance conversation from an odd-sized one.

    A conversation needs >= 2 turns, 2-4 answers at turn 0 and 2 at each later turn, so it has
    >= 4 utterances; the release lists a few with 3. Taking the utterance from another odd-sized
    conversation (same user if possible) keeps every total and makes both sizes splittable.
    """
    n = n.copy()
    for i in np.flatnonzero(n == 3):
        donors = np.flatnonzero((n >= 5) & (n % 2 == 1) & (user == user[i]))
        if donors.size == 0:
            donors = np.flatnonzero((n >= 5) & (n % 2 == 1))
        n[donors[0]] -= 1
        n[i] += 1
    return n


def _turn0_sizes(n: np.ndarray, rng: np.random.Generator, target_k0: int | None) -> np.ndarray:
    """Choose k0 so that n = k0 + 2 * (turns - 1): odd n -> 3, n == 4 -> 2, other even n -> 2|4."""
    k0 = np.where(n % 2 == 1, 3, 4)
    k0[n == 4] = 2
    free = np.flatnonzero((n % 2 == 0) & (n >= 6))
    if target_k0 is None:
        n_two = int((rng.random(free.size) > P_FOUR_OPTIONS).sum())
    else:
        # Each 4 -> 2 switch lowers the turn-0 total by 2.
        n_two = (int(k0.sum()) - target_k0) // 2
        if n_two < 0 or n_two > free.size:
            raise ValueError(f"cannot reach {target_k0} turn-0 answers with these sizes")
    k0[rng.choice(free, n_two, replace=False)] = 2
    return k0


def lexicographic_labels(conv: np.ndarray, turn: np.ndarray) -> np.ndarray:
    """`int<k>` numbers: groups sorted by the conversation id *string* `c<k>`, then by turn."""
    keys = np.char.add("c", conv.astype(str))
    order = np.lexsort((turn, keys))
    labels = np.empty(len(conv), dtype=np.int64)
    labels[order] = np.arange(len(conv))
    return labels


def build_structure(scale: Scale, rng: np.random.Generator) -> Structure:
    sizes = _load_sizes()
    if scale == "full":
        n_users = FULL_USERS
        target_interactions: int | None = FULL_INTERACTIONS
    elif scale == "small":
        sizes, n_users = _subset_small(sizes, rng)
        target_interactions = None
    else:
        raise ValueError(f"scale must be 'full' or 'small', got {scale!r}")

    user = sizes["user"].to_numpy()
    n = _fix_unsplittable(sizes["n_utterances"].to_numpy(), user)
    target_k0 = None
    if target_interactions is not None:
        target_k0 = int(n.sum()) - 2 * (target_interactions - len(n))
    k0 = _turn0_sizes(n, rng, target_k0)
    turns = 1 + (n - k0) // 2

    int_conv = np.repeat(np.arange(len(n)), turns)
    conv_start = np.concatenate([[0], np.cumsum(turns)[:-1]])
    int_turn = np.arange(len(int_conv)) - conv_start[int_conv]
    int_n = np.where(int_turn == 0, k0[int_conv], 2)
    int_first = np.concatenate([[0], np.cumsum(int_n)[:-1]])
    ut_int = np.repeat(np.arange(len(int_conv)), int_n)
    ut_within = np.arange(len(ut_int)) - int_first[ut_int]
    return Structure(
        n_users=n_users,
        conv_user=user,
        conv_turns=turns,
        conv_k0=k0,
        int_conv=int_conv,
        int_turn=int_turn,
        int_first_ut=int_first,
        int_n_options=int_n,
        int_label=lexicographic_labels(int_conv, int_turn),
        ut_int=ut_int,
        ut_within=ut_within,
    )
