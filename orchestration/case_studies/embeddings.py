"""Sentence embeddings of opening prompts, for the topic study.

PRISM embedded prompts with sentence-transformers' all-mpnet-base-v2, a model downloaded from
Hugging Face on first use, which these machines cannot reach and which drags in torch. The
default here is WordLlama (``wordllama`` on PyPI): its wheel carries the weights of its default
model (``l2_supercat``, 256 dimensions, token embeddings distilled from LLaMA-2's and averaged
per text), so it embeds on a CPU with numpy and no download. Its package looks for the bundled
tokenizer under a directory name the wheel does not use, so it is pointed at the package's own
files as a cache and downloads are turned off: a missing file is an error, never a request.

Two alternatives: ``tfidf``, TF-IDF weights of word 1-2-grams (English stop words dropped)
reduced by truncated SVD (latent semantic analysis), which needs no package beyond scikit-learn
but sees shared words, not meaning; and ``sentence-transformers``, PRISM's model, where the
``embeddings`` extra is installed and the model is in the local Hugging Face cache. Every
embedding is L2-normalised, so cosine similarity is a dot product.

WordLlama's and the transformer's vectors depend only on the text, so they are cached by the
prompt's MD5 (the mart's ``opening_prompt_md5``) and a prompt is embedded once across runs. The
TF-IDF vectors depend on the whole corpus (document frequencies, the SVD basis), so they are
recomputed each run; on all 8,011 prompts that takes seconds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

EmbedderName = Literal["wordllama", "tfidf", "sentence-transformers"]
EMBEDDERS: tuple[str, ...] = ("wordllama", "tfidf", "sentence-transformers")
WORDLLAMA_MODEL = "l2_supercat"
PRISM_MODEL = "sentence-transformers/all-mpnet-base-v2"
PRISM_BATCH_SIZE = 16


@dataclass(frozen=True)
class TfidfOptions:
    """The offline embedding: TF-IDF on word n-grams, then SVD to `dimensions`."""

    ngram_range: tuple[int, int] = (1, 2)
    # A term in one prompt only says nothing about similarity between prompts.
    min_df: int = 2
    dimensions: int = 256
    random_state: int = 42


def md5(text: str) -> str:
    """The same digest as the mart's ``md5(opening_prompt)``."""
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def tfidf_embed(texts: Sequence[str], options: TfidfOptions = TfidfOptions()) -> np.ndarray:
    """(n, d) L2-normalised LSA vectors; a text with no known term is a row of zeros."""
    # English stop words go: shared openers ("how do I") would otherwise pull prompts on
    # different topics together. A prompt of stop words only ("why not?") gets no vector.
    vectorizer = TfidfVectorizer(
        ngram_range=options.ngram_range,
        stop_words="english",
        min_df=min(options.min_df, len(texts)),
        sublinear_tf=True,
    )
    weights = vectorizer.fit_transform(texts)
    # SVD needs fewer components than terms; a small corpus gets what it can support.
    dimensions = min(options.dimensions, weights.shape[1] - 1, weights.shape[0] - 1)
    if dimensions < 2:
        raise ValueError(f"{len(texts)} prompts with {weights.shape[1]} terms are too few to embed")
    svd = TruncatedSVD(n_components=dimensions, random_state=options.random_state)
    return normalize(svd.fit_transform(weights))


class EmbedderUnavailable(RuntimeError):
    """The chosen embedder cannot run here; the message says what to install or fetch."""


def cached_embed(
    texts: Sequence[str], cache_path: Path, encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """`encode`'s vectors of `texts`, read from `cache_path` where a text was embedded before."""
    keys = [md5(text) for text in texts]
    cached = pd.read_parquet(cache_path) if cache_path.exists() else pd.DataFrame()
    known = dict(zip(cached.get("md5", []), cached.get("vector", []), strict=True))
    missing = sorted(
        {key: text for key, text in zip(keys, texts, strict=True) if key not in known}.items()
    )
    if missing:
        fresh = encode([text for _, text in missing])
        known.update({key: vector for (key, _), vector in zip(missing, fresh, strict=True)})
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        table = pd.DataFrame(
            {"md5": list(known), "vector": [np.asarray(v) for v in known.values()]}
        )
        partial = cache_path.with_suffix(".partial")
        table.to_parquet(partial, index=False)
        partial.replace(cache_path)
    return normalize(np.vstack([np.asarray(known[key], dtype=float) for key in keys]))


def wordllama_encode(texts: list[str]) -> np.ndarray:
    """WordLlama's bundled model, loaded from the installed package only."""
    import wordllama
    from wordllama import WordLlama

    model = WordLlama.load(
        config=WORDLLAMA_MODEL,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
    )
    return model.embed(texts, norm=True)


def _encode(texts: list[str], model_name: str) -> np.ndarray:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderUnavailable(
            "PRISM_TOPIC_EMBEDDER=sentence-transformers needs the optional extra: "
            "pip install -e '.[embeddings]'"
        ) from exc
    try:
        # Never download here: a run must not reach the network behind the user's back.
        model = SentenceTransformer(model_name, local_files_only=True)
    except OSError as exc:
        raise EmbedderUnavailable(
            f"{model_name} is not in the local Hugging Face cache; fetch it once where the "
            f"network allows, or use PRISM_TOPIC_EMBEDDER=tfidf ({exc})"
        ) from exc
    return model.encode(texts, batch_size=PRISM_BATCH_SIZE, show_progress_bar=False)


def embed(
    texts: Sequence[str],
    embedder: str,
    *,
    cache_dir: Path,
    tfidf: TfidfOptions = TfidfOptions(),
) -> np.ndarray:
    """Embed `texts` with the named embedder (one of `EMBEDDERS`)."""
    if embedder == "wordllama":
        return cached_embed(
            texts, cache_dir / f"wordllama--{WORDLLAMA_MODEL}.parquet", wordllama_encode
        )
    if embedder == "tfidf":
        return tfidf_embed(texts, tfidf)
    if embedder == "sentence-transformers":
        cache = cache_dir / f"{PRISM_MODEL.replace('/', '--')}.parquet"
        return cached_embed(texts, cache, lambda missing: _encode(missing, PRISM_MODEL))
    raise ValueError(f"unknown topic embedder {embedder!r}: expected one of {', '.join(EMBEDDERS)}")
