"""The topic study's pieces on hand-made data: the offline embedding, c-TF-IDF names, the
regressions' design and their two kinds of standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.case_studies.embeddings import cached_embed, embed, md5, tfidf_embed
from orchestration.case_studies.topic_regressions import (
    design_matrix,
    fit_topic,
    topic_prevalence,
    topic_regressions,
)
from orchestration.case_studies.topics import OUTLIER, class_tfidf


def test_tfidf_vectors_are_unit_length_and_stop_words_alone_have_none() -> None:
    texts = [f"garden roses compost {k}" for k in range(10)] + ["why not?"]
    texts += [f"ballot voting senator {k}" for k in range(10)]
    vectors = tfidf_embed(texts)
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[10] == 0
    assert np.allclose(np.delete(norms, 10), 1)
    # Same-topic prompts are closer to each other than to the other topic's.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[11]


def test_unknown_embedder_is_refused_by_name(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown topic embedder 'word2vec'"):
        embed(["a b"], "word2vec", cache_dir=tmp_path)


def test_wordllama_embeds_offline_by_meaning_and_caches_by_text(tmp_path, monkeypatch) -> None:
    # No request may leave: the weights and the tokenizer come from the installed wheel.
    def refuse(*args, **kwargs):
        raise AssertionError("the embedder reached for the network")

    monkeypatch.setattr("requests.get", refuse)
    texts = ["How do I grow roses in my garden?", "Tips for planting tulips", "Who won the vote?"]
    vectors = embed(texts, "wordllama", cache_dir=tmp_path)
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    cache = tmp_path / "wordllama--l2_supercat.parquet"
    assert len(pd.read_parquet(cache)) == 3
    # A second call embeds only the text it has not seen; the rest come from the cache.
    seen: list[list[str]] = []

    def encode(missing: list[str]) -> np.ndarray:
        seen.append(missing)
        return np.ones((len(missing), 256))

    again = cached_embed([*texts, "A new prompt"], cache, encode)
    assert seen == [["A new prompt"]]
    assert np.allclose(again[:3], vectors, atol=1e-6)


def test_md5_matches_duckdb() -> None:
    import duckdb

    text = "Où est la bibliothèque?"
    with duckdb.connect() as con:
        assert md5(text) == con.execute("select md5(?)", [text]).fetchall()[0][0]


def test_class_tfidf_names_a_topic_by_its_own_words() -> None:
    texts = pd.Series(["tomatoes garden soil", "garden compost", "ballot voting", "voting polls"])
    labels = np.array([0, 0, 1, OUTLIER])
    terms = class_tfidf(texts, labels, top=2)
    assert set(terms) == {0, 1}
    assert terms[0][0] == "garden"
    # "voting" is shared with the outliers, so the word only topic 1 has comes first.
    assert terms[1][0] == "ballot"


def _frame(n_users: int, per_user: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users), per_user)
    gender = np.where(np.arange(n_users) % 2 == 0, "Female", "Male")[users]
    return pd.DataFrame(
        {
            "user_id": [f"user{u}" for u in users],
            "gender": gender,
            "age": rng.choice(["18-24 years old", "65+ years old"], n_users)[users],
            "special_region": "US",
            "ethnicity_simplified": "White",
            "religion_simplified": "No Affiliation",
            "conversation_type": rng.choice(["unguided", "values guided"], len(users)),
        }
    )


def test_design_drops_prism_reference_levels() -> None:
    design = design_matrix(_frame(10, 2, seed=0))
    assert list(design.columns) == [
        "intercept",
        "gender[Female]",
        "age[65+ years old]",
        "conversation_type[values guided]",
    ]


def test_clustered_errors_see_what_hc1_misses() -> None:
    # Each participant always or never opens the topic: 20 independent answers, not 200, so
    # the clustered error must be about sqrt(10) times the HC1 one.
    frame = _frame(20, 10, seed=1)
    rng = np.random.default_rng(2)
    opens = rng.random(20) < np.where(np.arange(20) % 2 == 0, 0.6, 0.3)
    outcome = opens[np.repeat(np.arange(20), 10)].astype(float)
    clusters = pd.factorize(frame["user_id"])[0]
    table = fit_topic(outcome, design_matrix(frame), clusters).set_index("term")
    ratio = table.loc["gender[Female]", "se_clustered"] / table.loc["gender[Female]", "se_hc1"]
    assert 2.0 < ratio < 4.5
    assert table.loc["gender[Female]", "p_clustered"] > table.loc["gender[Female]", "p_hc1"]


def test_a_term_held_by_few_participants_is_never_significant() -> None:
    # Two participants from Oceania always open topic 0; nobody else ever does.
    frame = _frame(40, 5, seed=3)
    rare = frame["user_id"].isin(["user0", "user1"])
    frame["special_region"] = np.where(rare, "Oceania", "US")
    frame["conversation_id"] = [f"c{k}" for k in range(len(frame))]
    assignments = pd.DataFrame(
        {
            "conversation_id": frame["conversation_id"],
            "topic_id": np.where(rare, 0, OUTLIER),
            "topic": np.where(rare, "0: t", "outliers"),
        }
    )
    table = topic_regressions(assignments, frame).set_index("term")
    row = table.loc["region[Oceania]"]
    assert row["n_participants_term"] == 2
    assert row["estimate"] == pytest.approx(1.0)
    assert row["p_hc1"] < 0.01
    assert not row["is_significant"]
    assert row["is_significant_hc1"]


def test_prevalence_counts_each_group_and_sets_the_regression_beside_it() -> None:
    # Women open topic 0 in 8 of their 10 conversations, men in 2 of 10; the rest are outliers.
    frame = _frame(4, 5, seed=4)
    frame["conversation_id"] = [f"c{k}" for k in range(len(frame))]
    female = frame["gender"] == "Female"
    first = frame.groupby("user_id").cumcount() < 4
    frame["topic_id"] = np.where(female == first, 0, OUTLIER)
    frame["topic"] = np.where(frame["topic_id"] == 0, "0: t", "outliers")
    topics = frame[["conversation_id", "topic_id", "topic"]]
    regressions = topic_regressions(topics, frame.drop(columns=["topic_id", "topic"]))
    table = topic_prevalence(frame, regressions).set_index(["grouping", "level", "topic_id"])
    women, men = table.loc[("gender", "Female", 0)], table.loc[("gender", "Male", 0)]
    assert (women["n_level"], women["n_topic"], women["share"]) == (10, 8, 0.8)
    assert men["share"] == pytest.approx(0.2)
    # 0.6 apart in shares; the regression also holds age and conversation type fixed
    assert 0.4 < women["estimate"] < 0.8
    assert not women["is_reference"] and men["is_reference"] and pd.isna(men["estimate"])
    assert table.loc[("overall", "all", 0), "share"] == pytest.approx(0.5)
    # The outliers have a share but no regression, and are no factor's reference.
    assert table.loc[("gender", "Male", OUTLIER), "share"] == pytest.approx(0.8)
    assert not table.loc[("gender", "Male", OUTLIER), "is_reference"]
    assert table.groupby(level=["grouping", "level"])["share"].sum().eq(1).all()
