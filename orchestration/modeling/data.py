"""Stan data records built from a snapshot of ``marts.fct_responses`` + participant moderators.

`NestedData` is the data block shared by the nested programs in ``stan/`` (field for field;
``save_group`` is read by all but ``gaussian_nested``); `ScoreData` adds the slider's ends for
``rounded_loglogistic_nested``. `FitData` adds what the Python
side needs to read the draws back: term names, the level names behind each index, the rows
dropped and why, and a fingerprint of the rows used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .specs import ATTRIBUTES, AnalysisOptions, AnalysisSpec, Family

if TYPE_CHECKING:
    from .choice import ChoiceData

ID_COLUMNS: tuple[str, ...] = ("utterance_id", "conversation_id", "user_id", "model_name")
# The attributes a row needs under `complete_attributes`: the paper's sample is the responses
# whose text and whose conversation's opening prompt were both scored.
COMPLETE_COLUMNS: tuple[str, ...] = tuple(
    f"{side}_{a}" for side in ("response", "opening_prompt") for a in ATTRIBUTES
)
FIRST_TURN = 0  # PRISM numbers turns from 0
# PRISM's rating slider: scores 1..100, starting at 50 (the heap of ratings left untouched).
MAX_SCORE = 100
DEFAULT_SCORE = 50


@dataclass(frozen=True)
class NestedData:
    """The data block of ``bernoulli_nested``, ``gaussian_nested`` and
    ``gaussian_nested_marginal``. Indices are 1-based, as Stan wants them."""

    N: int
    K: int
    y: np.ndarray  # int 0/1 for the Bernoulli program, float otherwise
    X: np.ndarray  # N x K, uncentred (the programs centre it)
    N_model: int
    J_model: np.ndarray
    N_user: int
    N_conv: int
    J_conv: np.ndarray
    J_conv_user: np.ndarray  # nondecreasing: conversations are sorted by participant
    prior_b_sd: float
    prior_scale: float
    prior_only: int
    save_group: int

    def to_stan(self) -> dict[str, Any]:
        """The dict both engines accept (numpy arrays, Python scalars)."""
        return {
            "N": self.N,
            "K": self.K,
            "y": self.y,
            "X": self.X,
            "N_model": self.N_model,
            "J_model": self.J_model,
            "N_user": self.N_user,
            "N_conv": self.N_conv,
            "J_conv": self.J_conv,
            "J_conv_user": self.J_conv_user,
            "prior_b_sd": float(self.prior_b_sd),
            "prior_scale": float(self.prior_scale),
            "prior_only": self.prior_only,
            "save_group": self.save_group,
        }


@dataclass(frozen=True)
class ScoreData(NestedData):
    """``rounded_loglogistic_nested``'s data block: `NestedData` with `y` the recorded integer
    score, and where the slider ends and starts."""

    max_score: int = MAX_SCORE
    default_score: int = DEFAULT_SCORE

    def to_stan(self) -> dict[str, Any]:
        return {
            **super().to_stan(),
            "max_score": self.max_score,
            "default_score": self.default_score,
        }


def squeeze_unit_interval(y: np.ndarray) -> np.ndarray:
    """A probability moved strictly inside (0, 1) for the beta programs: y' = (y (n - 1) +
    1/2) / n (Smithson and Verkuilen 2006), n the number of rows.

    Exact 0s and 1s are rare in Perspective's output (scores are reported to several decimal
    places), but a single one would make the beta likelihood zero. The rule moves every value
    towards 1/2 by at most 1 / (2 n), far below Perspective's own precision at PRISM's size,
    so the fit is that of the data as recorded.
    """
    n = len(y)
    return (np.asarray(y, dtype=float) * (n - 1) + 0.5) / n


@dataclass(frozen=True)
class FitData:
    """A Stan data record plus the names needed to label its draws."""

    spec: AnalysisSpec
    stan: NestedData | ChoiceData
    user_ids: tuple[str, ...]  # r_user[g] belongs to user_ids[g - 1]
    conversation_ids: tuple[str, ...]
    model_names: tuple[str, ...]
    fingerprint: str  # sha256 of the rows used, in their canonical order
    n_rows_in: int
    rows_dropped: dict[str, int]  # reason -> rows, in the order the filters ran
    # Zero-based interaction of each row, in the record's order (for posterior predictive
    # checks per interaction); None when the snapshot has no interaction ids.
    interactions: np.ndarray | None = None

    @property
    def terms(self) -> tuple[str, ...]:
        """Coefficient names, in the order of ``b``."""
        return self.spec.terms


def term_column(term: str) -> str:
    """The snapshot column behind a main-effect term."""
    return f"response_{term}" if term in ATTRIBUTES else term


def term_columns(terms: tuple[str, ...]) -> tuple[str, ...]:
    """Every snapshot column the terms read, in first-use order."""
    columns: dict[str, None] = {}
    for term in terms:
        for part in term.split(":"):
            columns[term_column(part)] = None
    return tuple(columns)


def design_matrix(rows: pd.DataFrame, terms: tuple[str, ...]) -> np.ndarray:
    """N x K float matrix; an ``a:b`` term is the product of its columns (booleans as 0/1)."""
    out = np.empty((len(rows), len(terms)), dtype=float)
    for k, term in enumerate(terms):
        value = np.ones(len(rows))
        for part in term.split(":"):
            value = value * rows[term_column(part)].to_numpy(dtype=float)
        out[:, k] = value
    return out


def select_rows(
    snapshot: pd.DataFrame, spec: AnalysisSpec, options: AnalysisOptions
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows a fit uses, and how many each filter dropped."""
    rows = snapshot
    dropped: dict[str, int] = {}

    def keep(reason: str, mask: pd.Series) -> None:
        nonlocal rows
        mask = mask.fillna(False).astype(bool)
        dropped[reason] = int((~mask).sum())
        rows = rows[mask]

    if options.english_only:
        keep("not_english", rows["is_english_conversation"])
    if options.turns == "first":
        keep("not_first_turn", rows["turn"] == FIRST_TURN)
    if spec.conversation_type is not None:
        keep("other_conversation_type", rows["conversation_type"] == spec.conversation_type)
    if options.complete_attributes:
        keep("incomplete_attributes", rows[list(COMPLETE_COLUMNS)].notna().all(axis=1))
    used = [spec.outcome, *term_columns(spec.terms)]
    # Moderator nulls are "Prefer not to say", which the paper removed.
    keep("missing_value", rows[used].notna().all(axis=1))
    return rows, dropped


def build_fit_data(
    snapshot: pd.DataFrame, spec: AnalysisSpec, options: AnalysisOptions | None = None
) -> FitData:
    """Select the rows, index participants, conversations and LLMs, and build the record.

    Rows are put in a canonical order (participant, conversation, utterance id) so the record
    and the fingerprint do not depend on the snapshot's row order.
    """
    options = options or AnalysisOptions()
    needed = [*ID_COLUMNS, spec.outcome, *term_columns(spec.terms)]
    if options.complete_attributes:
        needed += COMPLETE_COLUMNS
    missing = [c for c in dict.fromkeys(needed) if c not in snapshot.columns]
    if missing:
        raise KeyError(f"snapshot lacks columns {missing} needed by {spec.name}")
    rows, dropped = select_rows(snapshot, spec, options)
    if rows.empty:
        raise ValueError(f"{spec.name}: no rows left after filtering ({dropped})")

    owners = rows.groupby("conversation_id")["user_id"].nunique()
    shared = owners[owners > 1]
    if not shared.empty:
        raise ValueError(
            f"{spec.name}: conversations with more than one participant: {list(shared.index[:5])}"
        )

    rows = rows.sort_values(["user_id", "conversation_id", "utterance_id"], kind="stable")
    user_ids = tuple(pd.unique(rows["user_id"]))
    conversation_ids = tuple(pd.unique(rows["conversation_id"]))
    model_names = tuple(sorted(pd.unique(rows["model_name"])))
    user_index = {u: i + 1 for i, u in enumerate(user_ids)}
    conv_index = {c: i + 1 for i, c in enumerate(conversation_ids)}
    model_index = {m: i + 1 for i, m in enumerate(model_names)}
    conv_user = (
        rows.drop_duplicates("conversation_id")["user_id"].map(user_index).to_numpy(dtype=int)
    )

    y = outcome_values(rows[spec.outcome], spec)
    X = design_matrix(rows, spec.terms)
    record_type = ScoreData if spec.family is Family.ROUNDED_LOGLOGISTIC else NestedData
    record = record_type(
        N=len(rows),
        K=len(spec.terms),
        y=y,
        X=X,
        N_model=len(model_names),
        J_model=rows["model_name"].map(model_index).to_numpy(dtype=int),
        N_user=len(user_ids),
        N_conv=len(conversation_ids),
        J_conv=rows["conversation_id"].map(conv_index).to_numpy(dtype=int),
        J_conv_user=conv_user,
        prior_b_sd=options.prior_b_sd,
        prior_scale=options.prior_scale,
        prior_only=int(options.prior_only),
        save_group=int(options.save_group_intercepts),
    )
    return FitData(
        spec=spec,
        stan=record,
        user_ids=user_ids,
        conversation_ids=conversation_ids,
        model_names=model_names,
        fingerprint=fingerprint(rows, [*ID_COLUMNS, spec.outcome, *term_columns(spec.terms)]),
        n_rows_in=len(snapshot),
        rows_dropped=dropped,
        interactions=(
            rows["interaction_id"].factorize()[0] if "interaction_id" in rows.columns else None
        ),
    )


def outcome_values(outcome: pd.Series, spec: AnalysisSpec) -> np.ndarray:
    """The outcome as the fit's program reads it, refused when outside the family's support."""
    if spec.family is Family.BERNOULLI:
        return outcome.to_numpy(dtype=int)
    values = outcome.to_numpy(dtype=float)
    if spec.family is Family.ROUNDED_LOGLOGISTIC:
        bad = (values < 1) | (values > MAX_SCORE) | (values != np.round(values))
        if bad.any():
            raise ValueError(
                f"{spec.name}: {int(bad.sum())} {spec.outcome} values are not integers in "
                f"1..{MAX_SCORE}, e.g. {values[bad][:3].tolist()}"
            )
        return values.astype(int)
    if spec.family is Family.BETA:
        bad = (values < 0) | (values > 1)
        if bad.any():
            raise ValueError(
                f"{spec.name}: {int(bad.sum())} {spec.outcome} values outside [0, 1], "
                f"e.g. {values[bad][:3].tolist()}"
            )
        return squeeze_unit_interval(values)
    return values


def fingerprint(rows: pd.DataFrame, columns: list[str]) -> str:
    """sha256 of the rows' used columns as CSV with round-trip float precision."""
    text = rows[columns].to_csv(index=False, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
