"""The jury simulation: known choices on constructed ratings, and reproducible to the row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.case_studies import jury


def participants(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": [f"user{k}" for k in range(n)],
            "gender": ["Male" if k % 2 else "Female" for k in range(n)],
            "age": ["25-34 years old" if k % 3 else "55-64 years old" for k in range(n)],
            "ethnicity_simplified": ["White" if k % 4 else "Black" for k in range(n)],
        }
    )


def ratings(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Men love model x and veto y; everyone else loves y and vetoes x; z is middling."""
    rows = []
    for k, person in people.iterrows():
        male = person["gender"] == "Male"
        for model, score in (("x", 90 if male else 5), ("y", 5 if male else 90), ("z", 60)):
            if rng.random() < 0.9:
                rows.append(
                    {
                        "user_id": person["user_id"],
                        "model_name": model,
                        "mean_score": float(score),
                        "veto_rate": float(score <= 10),
                        "choice_rate": float(score == 90),
                        "is_us_rep": k < 60,
                        "is_uk_rep": k >= 60,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    people = participants(100)
    return ratings(people, np.random.default_rng(0)), people


def test_male_juries_pick_the_model_men_like(data) -> None:
    table, people = data
    draws = jury.simulate(table, people, draws=200, seed=3)
    male = draws[draws["jury"] == "male_100"]
    assert set(male["chosen_model"]) == {"x"}
    non_male = male[male["population"] == "non_male"]
    assert (non_male["mean_score"] == 5).all()
    assert (non_male["veto_share"] == 1).all()
    assert (male.loc[male["population"] == "everyone", "veto_share"] > 0.3).all()


def test_welfare_is_the_populations_mean_of_the_chosen_model(data) -> None:
    table, people = data
    draws = jury.simulate(table, people, draws=50, seed=3)
    us = table[table["is_us_rep"]].merge(people, on="user_id")
    expected = us[us["gender"] != "Male"].groupby("model_name")["mean_score"].mean()
    rows = draws[(draws["country"] == "US") & (draws["population"] == "non_male")]
    got = rows.set_index("chosen_model")["mean_score"].groupby(level=0).first()
    for model, value in got.items():
        assert value == pytest.approx(expected[model])


def test_reproducible_to_the_row_and_seed_sensitive(data) -> None:
    table, people = data
    first = jury.simulate(table, people, draws=300, seed=11)
    again = jury.simulate(table, people, draws=300, seed=11)
    pd.testing.assert_frame_equal(first, again)
    other = jury.simulate(table, people, draws=300, seed=12)
    assert not first["chosen_model"].equals(other["chosen_model"])
    # 2 countries x 7 juries x 4 populations x draws
    assert len(first) == 2 * len(jury.JURIES) * len(jury.POPULATIONS) * 300


def test_unrated_models_score_the_floor_and_ties_break_at_random() -> None:
    score = np.array([[np.nan, 50.0, 50.0], [np.nan, 50.0, 50.0]])
    chosen = jury.jury_choices(score, np.array([0, 1]), 5, 2000, np.random.default_rng(0))
    assert set(chosen) == {1, 2}
    assert 0.45 < (chosen == 1).mean() < 0.55


def test_summary_has_one_row_per_cell(data) -> None:
    table, people = data
    summary = jury.summarise(jury.simulate(table, people, draws=20, seed=1))
    assert len(summary) == 2 * len(jury.JURIES) * len(jury.POPULATIONS)
    assert (summary["draws"] == 20).all()
    assert (summary["mean_score_q25"] <= summary["mean_score_q75"]).all()
