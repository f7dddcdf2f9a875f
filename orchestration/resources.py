"""Dagster resources: the DuckDB file, the PRISM source, the Perspective endpoint and how the
Stan fits sample.

Each resource's fields are optional overrides for tests and the UI's launchpad; left empty they
fall back to ``orchestration.settings``, the one place that reads the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field

from orchestration import settings, warehouse
from orchestration.case_studies.embeddings import TfidfOptions
from orchestration.case_studies.topics import TopicParameters
from orchestration.modeling.engine import SamplingProfile, profile_for, with_overrides
from orchestration.modeling.specs import AnalysisOptions
from orchestration.prism.hub import Hub
from orchestration.prism.source import ResolvedSource, SourceOptions, resolve_source


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (``PRISM_WAREHOUSE_DB``)."""

    path: str = ""

    def resolved_path(self) -> Path:
        return Path(self.path).resolve() if self.path else settings.warehouse_path()

    @contextmanager
    def connect(
        self, read_only: bool = False, row_group_size: int | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(
            self.resolved_path(), read_only=read_only, row_group_size=row_group_size
        ) as con:
            yield con


def hub() -> Hub:
    """The Hugging Face dataset repository as the environment configures it."""
    return Hub(
        base_url=settings.hf_base_url(),
        revision=settings.hf_revision(),
        token=settings.hf_token(),
    )


def source_options() -> SourceOptions:
    """Everything besides ``PRISM_SOURCE`` that resolving a PRISM source depends on."""
    return SourceOptions(
        data_dir=settings.data_dir(),
        hub=hub(),
        lock_path=settings.lock_path(),
        probe_timeout=settings.hf_probe_timeout(),
        synthetic_scale=settings.synthetic_scale(),
        synthetic_truth=settings.synthetic_truth(),
    )


class PrismSourceResource(dg.ConfigurableResource):
    """Where the PRISM files come from (``PRISM_SOURCE``): huggingface, synthetic, dir or auto."""

    source: str = ""
    # None: PRISM_REJECT_THRESHOLD.
    max_rejected_share: float | None = None

    def setting(self) -> str:
        return self.source or settings.prism_source()

    def reject_threshold(self) -> float:
        """Refuse a file when more than this share of its lines is rejected."""
        if self.max_rejected_share is not None:
            return self.max_rejected_share
        return settings.prism_reject_threshold()

    def resolve(self) -> ResolvedSource:
        """The directory of the four files and their provenance (may download or generate)."""
        return _resolve_once(self.setting(), source_options())


@cache
def _resolve_once(setting: str, options: SourceOptions) -> ResolvedSource:
    # One resolution per process and configuration: every ingest step of a run, and the scores
    # that ship with synthetic data, see the same files and revision.
    return resolve_source(setting, options)


class PerspectiveResource(dg.ConfigurableResource):
    """The Perspective endpoint, key and request rate (``PERSPECTIVE_*`` environment variables)."""

    # repr=False: a resource is printed in errors and logs, and the key must never be.
    api_key: str | None = Field(default=None, repr=False)
    api_url: str = ""
    qps: float | None = None

    def key(self) -> str | None:
        return self.api_key or None

    def base_url(self) -> str:
        return self.api_url or settings.perspective_api_url()

    def rate(self) -> float:
        return self.qps if self.qps is not None else settings.perspective_qps()


def perspective_resource() -> PerspectiveResource:
    """The resource to wire as ``perspective``, with the key behind ``dg.EnvVar``.

    ``dg.EnvVar`` keeps the key out of the definitions the UI displays (Dagster reads it when a
    run starts), but fails a run if the variable is unset; so it is only used when a key exists,
    and without one the scoring asset can still import scores.
    """
    if settings.perspective_api_key():
        return PerspectiveResource(api_key=dg.EnvVar(settings.PERSPECTIVE_API_KEY.name))
    return PerspectiveResource()


class StanSettings(dg.ConfigurableResource):
    """How the fits sample and which rows they use; defaults are the paper's reading.

    ``engine`` is ``auto``, ``pystan`` or ``cmdstanpy`` (``PRISM_STAN_ENGINE``).
    ``profile`` is ``quick`` (tests), ``default`` (4 chains x 200 + 800; 600 draws for 1a) or
    ``paper`` (4 x 1,000 + 1,000 for 1a/1b, 3,000 draws for 2 and 3); ``PRISM_FIT_PROFILE``
    sets it.
    Each of ``chains``, ``warmup``, ``draws``, ``seed``, ``adapt_delta`` and ``max_treedepth``
    overrides the profile's value when set (in the launchpad's resource config, say).
    """

    profile: str = "default"
    engine: str = "auto"
    chains: int | None = None
    warmup: int | None = None
    draws: int | None = None
    seed: int | None = None
    adapt_delta: float | None = None
    max_treedepth: int | None = None
    prior: str = "weak"
    turns: str = "all"
    prompt: str = "opening"
    english_only: bool = True
    complete_attributes: bool = False

    def options(self) -> AnalysisOptions:
        return AnalysisOptions(
            english_only=self.english_only,
            turns=self.turns,  # type: ignore[arg-type]
            prompt=self.prompt,  # type: ignore[arg-type]
            prior=self.prior,  # type: ignore[arg-type]
            complete_attributes=self.complete_attributes,
        )

    def sampling_profile(self, paper_id: str) -> SamplingProfile:
        """The named profile for analysis `paper_id`, with every field set here replacing its."""
        overrides = {
            name: value
            for name in ("chains", "warmup", "draws", "seed", "adapt_delta", "max_treedepth")
            if (value := getattr(self, name)) is not None
        }
        return with_overrides(profile_for(self.profile, paper_id), **overrides)


class TopicSettings(dg.ConfigurableResource):
    """The topic study's settings (PRISM's dialogue diversity); defaults are PRISM's.

    ``embedder`` is ``wordllama`` (the default, weights in its wheel), ``tfidf`` (TF-IDF + SVD)
    or ``sentence-transformers`` (PRISM's model, if cached) (``PRISM_TOPIC_EMBEDDER``);
    the UMAP and HDBSCAN fields are ``clustering.py``'s; ``alpha`` is the significance threshold
    of the topic regressions, and a term held by fewer than ``min_participants`` participants is
    never called significant. Set any of them in the launchpad's resource config.
    """

    embedder: str = "wordllama"
    svd_dimensions: int = 256
    umap_dimensions: int = 20
    n_neighbors: int = 15
    min_dist: float = 0.0
    random_state: int = 42
    min_cluster_size: int = 80
    cluster_selection_method: str = "eom"
    alpha: float = 0.01
    min_participants: int = 20

    def parameters(self) -> TopicParameters:
        return TopicParameters(
            embedder=self.embedder,
            tfidf=TfidfOptions(dimensions=self.svd_dimensions, random_state=self.random_state),
            umap_dimensions=self.umap_dimensions,
            n_neighbors=self.n_neighbors,
            min_dist=self.min_dist,
            random_state=self.random_state,
            min_cluster_size=self.min_cluster_size,
            cluster_selection_method=self.cluster_selection_method,
        )
