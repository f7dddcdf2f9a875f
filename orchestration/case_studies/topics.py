"""Topics of opening prompts, as PRISM's dialogue-diversity study finds them: embed, reduce with
UMAP, cluster with HDBSCAN (label -1 is an outlier), and name each topic by its c-TF-IDF terms
and the prompts nearest its centre. PRISM also asked GPT-4 for a title; that step is left out
(no network, and a generated title would not reproduce), so a topic's name is its top terms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import HDBSCAN
from sklearn.feature_extraction.text import CountVectorizer

from .embeddings import TfidfOptions, embed

OUTLIER = -1


@dataclass(frozen=True)
class TopicParameters:
    """Every setting of the topic model; the defaults are PRISM's (``clustering.py``)."""

    embedder: str = "wordllama"
    tfidf: TfidfOptions = field(default_factory=TfidfOptions)
    umap_dimensions: int = 20
    n_neighbors: int = 15
    min_dist: float = 0.0
    umap_metric: str = "cosine"
    random_state: int = 42
    min_cluster_size: int = 80
    cluster_selection_method: str = "eom"
    top_terms: int = 10
    examples: int = 5

    def as_row(self) -> dict[str, object]:
        row = asdict(self)
        row["tfidf"] = str(row["tfidf"])
        return row


@dataclass(frozen=True)
class Topics:
    assignments: pd.DataFrame  # conversation_id, topic_id, topic
    summary: pd.DataFrame  # topic_id, topic, size, share, top_terms, example_prompts


def reduce(vectors: np.ndarray, params: TopicParameters) -> np.ndarray:
    """UMAP to `umap_dimensions`, seeded (which makes UMAP single-threaded, and repeatable)."""
    # Imported here: umap-learn compiles with numba on import, seconds that only this step needs.
    import umap

    reducer = umap.UMAP(
        n_components=params.umap_dimensions,
        n_neighbors=min(params.n_neighbors, len(vectors) - 1),
        min_dist=params.min_dist,
        metric=params.umap_metric,
        random_state=params.random_state,
    )
    return reducer.fit_transform(vectors)


def cluster(reduced: np.ndarray, params: TopicParameters) -> np.ndarray:
    """HDBSCAN labels, renumbered 0, 1, ... from the largest topic down; -1 for outliers."""
    raw = HDBSCAN(
        min_cluster_size=params.min_cluster_size,
        metric="euclidean",
        cluster_selection_method=params.cluster_selection_method,
    ).fit_predict(reduced)
    found = pd.Series(raw[raw != OUTLIER]).value_counts()
    # Ties in size are broken by HDBSCAN's own label, so the numbering is deterministic.
    order = sorted(found.index, key=lambda label: (-found[label], label))
    relabel = {old: new for new, old in enumerate(order)} | {OUTLIER: OUTLIER}
    return np.array([relabel[label] for label in raw], dtype=int)


def class_tfidf(texts: pd.Series, labels: np.ndarray, top: int) -> dict[int, list[str]]:
    """Each topic's `top` terms by class-based TF-IDF (BERTopic's c-TF-IDF).

    A topic's documents are joined into one; a term's weight is its frequency in that topic,
    normalised by the topic's length, times log(1 + mean words per topic / the term's total
    frequency). English stop words are dropped, 1-2-grams kept, as in PRISM.
    """
    joined = texts.groupby(labels).apply(" ".join)
    counts = CountVectorizer(ngram_range=(1, 2), stop_words="english").fit(joined)
    matrix = counts.transform(joined).toarray().astype(float)
    terms = counts.get_feature_names_out()
    tf = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1.0)
    idf = np.log1p(matrix.sum(axis=1).mean() / np.maximum(matrix.sum(axis=0), 1.0))
    weights = tf * idf
    out: dict[int, list[str]] = {}
    for row, label in enumerate(joined.index):
        if label == OUTLIER:
            continue
        best = np.argsort(-weights[row], kind="stable")[:top]
        out[int(label)] = [str(terms[k]) for k in best if weights[row, k] > 0]
    return out


def nearest_examples(
    texts: pd.Series, vectors: np.ndarray, labels: np.ndarray, k: int
) -> dict[int, list[str]]:
    """The `k` prompts closest (cosine) to each topic's mean embedding."""
    out: dict[int, list[str]] = {}
    for label in sorted(set(labels) - {OUTLIER}):
        members = np.flatnonzero(labels == label)
        centre = vectors[members].mean(axis=0)
        similarity = vectors[members] @ centre
        best = members[np.argsort(-similarity, kind="stable")[:k]]
        out[int(label)] = texts.iloc[best].tolist()
    return out


def topic_name(label: int, terms: list[str]) -> str:
    return "outliers" if label == OUTLIER else f"{label}: {', '.join(terms[:3])}"


def find_topics(prompts: pd.DataFrame, params: TopicParameters, cache_dir: Path) -> Topics:
    """Topics of ``prompts`` (rows of ``marts.fct_opening_prompts``).

    Empty prompts are outliers without being embedded, as PRISM dropped them; so is a prompt
    with no term the offline embedder knows (its vector is zero and has no direction).
    """
    prompts = prompts.reset_index(drop=True)
    labels = np.full(len(prompts), OUTLIER, dtype=int)
    usable = ~prompts["is_opening_prompt_empty"].to_numpy(bool)
    texts = prompts.loc[usable, "opening_prompt"].astype(str)
    vectors = embed(texts.tolist(), params.embedder, cache_dir=cache_dir, tfidf=params.tfidf)
    has_direction = np.linalg.norm(vectors, axis=1) > 0
    rows = np.flatnonzero(usable)[has_direction]
    texts, vectors = texts[has_direction], vectors[has_direction]
    labels[rows] = cluster(reduce(vectors, params), params)

    terms = class_tfidf(texts, labels[rows], params.top_terms)
    examples = nearest_examples(texts, vectors, labels[rows], params.examples)
    names = {label: topic_name(label, terms.get(label, [])) for label in set(labels)}
    assignments = pd.DataFrame(
        {
            "conversation_id": prompts["conversation_id"],
            "topic_id": labels,
            "topic": [names[label] for label in labels],
        }
    )
    sizes = pd.Series(labels).value_counts()
    summary = pd.DataFrame(
        [
            {
                "topic_id": int(label),
                "topic": names[label],
                "size": int(sizes[label]),
                "share": float(sizes[label] / len(labels)),
                "top_terms": ", ".join(terms.get(label, [])),
                "example_prompts": " | ".join(examples.get(label, [])),
            }
            for label in sorted(sizes.index)
        ]
    )
    return Topics(assignments, summary)
