"""Choice sets for ``stan/conditional_logit.stan``: the options of each interaction, whole.

A choice set is one interaction (one user prompt and the two to four rated responses to it).
Rows are first selected as for every fit (`data.select_rows`), then sets are kept whole or not
at all, because dropping one option of a set changes the choice the participant faced:

- ``incomplete_set``: an option of the set was dropped by a row filter (most often a missing
  attribute, such as an empty response that Perspective did not score), so the set goes;
- ``single_option``: the set has one option, so there is no choice;
- ``all_options_top``: every option tied for the top score, which says nothing about what wins.

Each reason counts rows (options), like the row filters before it, so the rows read equal the
rows used plus the rows dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .data import ID_COLUMNS, FitData, design_matrix, fingerprint, select_rows, term_columns
from .specs import AnalysisOptions, AnalysisSpec, Family

SET_COLUMNS: tuple[str, ...] = ("interaction_id", "n_options")


@dataclass(frozen=True)
class ChoiceData:
    """The data block of ``conditional_logit``. Indices are 1-based, as Stan wants them."""

    N: int
    K: int
    S: int
    X: np.ndarray  # N x K, uncentred (the program centres within each set)
    y: np.ndarray  # 1 = (one of) the top-scored option(s) of its set
    set_start: np.ndarray  # S + 1 row offsets
    N_model: int
    J_model: np.ndarray
    N_user: int
    J_set_user: np.ndarray
    prior_b_sd: float
    prior_scale: float
    prior_only: int
    random_slopes: int
    save_log_lik: int
    N_conv: int  # conversations behind the sets (reported, not read by the program)

    def to_stan(self) -> dict[str, Any]:
        return {
            "N": self.N,
            "K": self.K,
            "S": self.S,
            "X": self.X,
            "y": self.y,
            "set_start": self.set_start,
            "N_model": self.N_model,
            "J_model": self.J_model,
            "N_user": self.N_user,
            "J_set_user": self.J_set_user,
            "prior_b_sd": float(self.prior_b_sd),
            "prior_scale": float(self.prior_scale),
            "prior_only": self.prior_only,
            "random_slopes": self.random_slopes,
            "save_log_lik": self.save_log_lik,
        }


def select_sets(
    snapshot: pd.DataFrame, spec: AnalysisSpec, options: AnalysisOptions
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The options of the sets a choice fit uses, and how many rows each filter dropped."""
    rows, dropped = select_rows(snapshot, spec, options)

    def keep(reason: str, mask: pd.Series) -> None:
        nonlocal rows
        dropped[reason] = int((~mask).sum())
        rows = rows[mask]

    by_set = rows.groupby("interaction_id", sort=False)
    keep("incomplete_set", by_set["utterance_id"].transform("size") == rows["n_options"])
    keep("single_option", rows["n_options"] >= 2)
    tops = rows.groupby("interaction_id", sort=False)[spec.outcome].transform("sum")
    keep("all_options_top", tops < rows["n_options"])
    return rows, dropped


def build_choice_data(
    snapshot: pd.DataFrame, spec: AnalysisSpec, options: AnalysisOptions | None = None
) -> FitData:
    """Select whole sets, index participants and LLMs, and build the record.

    Rows are ordered by participant, conversation, interaction and utterance id, so each set's
    options are contiguous and neither the record nor the fingerprint depends on the
    snapshot's row order.
    """
    if spec.family is not Family.CHOICE:
        raise ValueError(f"{spec.name} is a {spec.family.value} fit, not a choice model")
    options = options or AnalysisOptions()
    needed = [*ID_COLUMNS, *SET_COLUMNS, spec.outcome, *term_columns(spec.terms)]
    missing = [c for c in dict.fromkeys(needed) if c not in snapshot.columns]
    if missing:
        raise KeyError(f"snapshot lacks columns {missing} needed by {spec.name}")
    rows, dropped = select_sets(snapshot, spec, options)
    if rows.empty:
        raise ValueError(f"{spec.name}: no choice set left after filtering ({dropped})")

    rows = rows.sort_values(
        ["user_id", "conversation_id", "interaction_id", "utterance_id"], kind="stable"
    )
    user_ids = tuple(pd.unique(rows["user_id"]))
    conversation_ids = tuple(pd.unique(rows["conversation_id"]))
    model_names = tuple(sorted(pd.unique(rows["model_name"])))
    user_index = {u: i + 1 for i, u in enumerate(user_ids)}
    model_index = {m: i + 1 for i, m in enumerate(model_names)}

    interaction = rows["interaction_id"].to_numpy()
    first_of_set = np.r_[True, interaction[1:] != interaction[:-1]]
    starts = np.flatnonzero(first_of_set)
    if len(starts) != rows["interaction_id"].nunique():
        raise ValueError(f"{spec.name}: an interaction's options are not contiguous")
    record = ChoiceData(
        N=len(rows),
        K=len(spec.terms),
        S=len(starts),
        X=design_matrix(rows, spec.terms),
        y=rows[spec.outcome].to_numpy(dtype=int),
        set_start=np.r_[starts, len(rows)] + 1,
        N_model=len(model_names),
        J_model=rows["model_name"].map(model_index).to_numpy(dtype=int),
        N_user=len(user_ids),
        J_set_user=rows["user_id"].iloc[starts].map(user_index).to_numpy(dtype=int),
        prior_b_sd=options.prior_b_sd,
        prior_scale=options.prior_scale,
        prior_only=int(options.prior_only),
        random_slopes=int(spec.random_slopes),
        # Each interaction's log likelihood, for PSIS-LOO (loo.py).
        save_log_lik=1,
        N_conv=len(conversation_ids),
    )
    columns = [*ID_COLUMNS, "interaction_id", spec.outcome, *term_columns(spec.terms)]
    return FitData(
        spec=spec,
        stan=record,
        user_ids=user_ids,
        conversation_ids=conversation_ids,
        model_names=model_names,
        fingerprint=fingerprint(rows, columns),
        n_rows_in=len(snapshot),
        rows_dropped=dropped,
    )
