"""The mart rows the case studies read, exported once to Parquet so no fit holds the DuckDB file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

# grouping -> marts.dim_participants column, for the variance decomposition. The same groupings
# (with conversation_type and overall) are spelled out in SQL in int_battles_grouped, where the
# battles get their levels.
PARTICIPANT_GROUPINGS: dict[str, str] = {
    "gender": "gender",
    "age": "age",
    "region": "special_region",
    "ethnicity": "ethnicity_simplified",
    "religion": "religion_simplified",
    "lm_familiarity": "lm_familiarity",
}

QUERIES: dict[str, str] = {
    "pair_counts": "select * from marts.fct_model_pair_counts order by all",
    "ranking_groups": "select * from marts.dim_ranking_groups order by grouping, level",
    "models": "select model_name from marts.dim_models order by model_name",
    "ratings": "select * from marts.fct_participant_model_ratings order by user_id, model_name",
    "participants": (
        "select user_id, gender, age, ethnicity_simplified, dataset_source "
        "from marts.dim_participants order by user_id"
    ),
    "opening_prompts": "select * from marts.fct_opening_prompts order by conversation_id",
    "opening_responses": (
        "select r.utterance_id, r.interaction_id, r.user_id, r.model_name, r.conversation_type, "
        "r.score, r.dataset_source, "
        + ", ".join(f"p.{c}" for c in sorted(set(PARTICIPANT_GROUPINGS.values())))
        + " from marts.fct_responses as r"
        " left join marts.dim_participants as p using (user_id)"
        " where r.turn = 0 order by r.utterance_id"
    ),
}


def export_inputs(con: duckdb.DuckDBPyConnection, directory: Path) -> dict[str, int]:
    """Write each query's rows to `directory/<name>.parquet`; returns the row counts."""
    directory.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    for name, query in QUERIES.items():
        frame = con.execute(query).df()
        partial = directory / f"{name}.parquet.partial"
        frame.to_parquet(partial, index=False)
        partial.replace(directory / f"{name}.parquet")
        rows[name] = len(frame)
    return rows


def read_input(directory: Path, name: str) -> pd.DataFrame:
    path = directory / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: materialise analysis/case_study_inputs first")
    return pd.read_parquet(path)
