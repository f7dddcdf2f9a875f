"""End to end on the small synthetic twin: planted gender x model preferences come out of the
marts and the Bradley-Terry rankings with the right sign (slow: dbt build and a Stan fit)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.case_studies.inputs import export_inputs, read_input
from orchestration.case_studies.rankings import fit_grouping
from orchestration.modeling.engine import QUICK, with_overrides
from orchestration.synthetic import generate
from orchestration.synthetic.truth import PLANTED_GROUP_MODEL
from tests.dbt.conftest import build_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prism = tmp_path_factory.mktemp("prism_preferences")
    generate(prism, scale="small", seed=0, truth="preferences")
    built = build_warehouse(prism, tmp_path_factory.mktemp("dbt_preferences"), "pref:seed=0")
    directory = tmp_path_factory.mktemp("inputs")
    with duckdb.connect(str(built.db_path), read_only=True) as con:
        export_inputs(con, directory)
    return directory


def test_battles_show_the_planted_preferences(inputs: Path) -> None:
    counts = read_input(inputs, "pair_counts")
    gender = counts[counts["grouping"] == "gender"]

    def win_share(level: str, model: str) -> float:
        a = gender[(gender["level"] == level) & (gender["model_a"] == model)]
        b = gender[(gender["level"] == level) & (gender["model_b"] == model)]
        wins = a["n_a_wins"].sum() + b["n_b_wins"].sum()
        return wins / (a["n_battles"].sum() + b["n_battles"].sum())

    assert win_share("Female", "gpt-4") > win_share("Male", "gpt-4")
    assert win_share("Female", "command") < win_share("Male", "command")


def test_group_rankings_recover_the_planted_signs(inputs: Path) -> None:
    counts = read_input(inputs, "pair_counts")
    groups = read_input(inputs, "ranking_groups")
    models = read_input(inputs, "models")["model_name"].tolist()
    profile = with_overrides(QUICK, adapt_delta=0.95)
    fit = fit_grouping(counts, groups, "gender", models, profile)
    assert fit is not None
    table = fit.rankings.set_index(["level", "model_name"])
    for level, effects in PLANTED_GROUP_MODEL["gender"].items():
        for model, effect in effects.items():
            prob = table.loc[(level, model), "prob_deviation_positive"]
            assert (prob > 0.9) if effect > 0 else (prob < 0.1), (level, model, prob)
