"""Every environment variable the project reads, resolved here and nowhere else.

Dagster, the CLIs and (through ``profiles.yml``) dbt read the same variables, so a value set
once applies everywhere. No other module looks at the environment. The PRISM and scoring
libraries take these values as parameters (``orchestration/resources.py`` hands them over),
which keeps them testable without monkeypatching. The README's configuration table lists the
same variables and defaults, and ``tests/test_settings.py`` holds the two to each other.

This module imports nothing but the standard library and ``scoring.attributes`` (whose
Perspective endpoint is the default here), so the scoring CLI can use it without Dagster.

A blank value counts as unset, so ``PRISM_SOURCE= make run`` behaves like leaving it out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from scoring.attributes import DEFAULT_API_URL

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Variable:
    """One environment variable and its default, written as the README's table writes it.

    ``default`` is None for a variable whose absence means "not configured" (a secret, a token).
    """

    name: str
    default: str | None

    def value(self) -> str | None:
        """The value set in the environment, stripped; None when unset or blank."""
        return os.environ.get(self.name, "").strip() or None

    def get(self) -> str | None:
        return self.value() or self.default


DATA_DIR = Variable("PRISM_DATA_DIR", "data/")
# The default lives inside PRISM_DATA_DIR; the README's value is that directory's default.
WAREHOUSE_DB = Variable("PRISM_WAREHOUSE_DB", "data/warehouse.duckdb")
SOURCE = Variable("PRISM_SOURCE", "auto")
PERSPECTIVE_API_KEY = Variable("PERSPECTIVE_API_KEY", None)
PERSPECTIVE_QPS = Variable("PERSPECTIVE_QPS", "1")
PERSPECTIVE_API_URL = Variable("PERSPECTIVE_API_URL", DEFAULT_API_URL)
HF_TOKEN = Variable("HF_TOKEN", None)
STAN_ENGINE = Variable("PRISM_STAN_ENGINE", "auto")
FIT_PROFILE = Variable("PRISM_FIT_PROFILE", "default")
SYNTHETIC_SCALE = Variable("PRISM_SYNTHETIC_SCALE", "full")
SYNTHETIC_TRUTH = Variable("PRISM_SYNTHETIC_TRUTH", "paper")
HF_REVISION = Variable("PRISM_HF_REVISION", "main")
HF_BASE_URL = Variable("PRISM_HF_BASE_URL", "https://huggingface.co")
LOCK_FILE = Variable("PRISM_LOCK_FILE", "prism-lock.json")
# Long enough for DNS and TLS on a slow link, short enough that `auto` on a machine without
# network falls back to synthetic data without a noticeable pause.
HF_PROBE_TIMEOUT = Variable("PRISM_HF_PROBE_TIMEOUT", "5")
# Refuse a PRISM file when more than this share of its lines is rejected (see prism/refusal.py).
REJECT_THRESHOLD = Variable("PRISM_REJECT_THRESHOLD", "0.9")
# How the topic study embeds opening prompts (orchestration/case_studies/embeddings.py).
TOPIC_EMBEDDER = Variable("PRISM_TOPIC_EMBEDDER", "wordllama")

VARIABLES: tuple[Variable, ...] = (
    WAREHOUSE_DB,
    SOURCE,
    REJECT_THRESHOLD,
    DATA_DIR,
    PERSPECTIVE_API_KEY,
    PERSPECTIVE_QPS,
    PERSPECTIVE_API_URL,
    HF_TOKEN,
    STAN_ENGINE,
    FIT_PROFILE,
    SYNTHETIC_SCALE,
    SYNTHETIC_TRUTH,
    HF_REVISION,
    HF_BASE_URL,
    LOCK_FILE,
    TOPIC_EMBEDDER,
    HF_PROBE_TIMEOUT,
)


def _repo_path(variable: Variable) -> Path:
    # A value set by the user is relative to where they run; the default to the repository.
    configured = variable.value()
    if configured:
        return Path(configured).expanduser().resolve()
    return (REPO_ROOT / str(variable.default)).resolve()


def data_dir() -> Path:
    """Where downloads, synthetic data, the DuckDB file and fit outputs live (git-ignored)."""
    return _repo_path(DATA_DIR)


def warehouse_path() -> Path:
    """The DuckDB file; by default ``warehouse.duckdb`` inside :func:`data_dir`."""
    configured = WAREHOUSE_DB.value()
    if configured:
        return Path(configured).expanduser().resolve()
    return data_dir() / "warehouse.duckdb"


def prism_source() -> str:
    """``huggingface``, ``synthetic``, a directory, or ``auto`` (Hugging Face when reachable)."""
    return str(SOURCE.get())


def lock_path() -> Path:
    """``prism-lock.json``: the commit and checksums of downloaded PRISM files, to be committed."""
    return _repo_path(LOCK_FILE)


def hf_base_url() -> str:
    """The Hugging Face endpoint (tests point it at a loopback server)."""
    return str(HF_BASE_URL.get()).rstrip("/")


def hf_revision() -> str:
    """The dataset revision to fetch: a branch, tag or commit."""
    return str(HF_REVISION.get())


def hf_token() -> str | None:
    """A Hugging Face token, sent as a bearer token when set; never logged."""
    return HF_TOKEN.get()


def hf_probe_timeout() -> float:
    """Seconds ``PRISM_SOURCE=auto`` waits for Hugging Face before using synthetic data."""
    return _number(HF_PROBE_TIMEOUT)


def prism_reject_threshold() -> float:
    """Refuse a PRISM file when more than this share of its lines is rejected; in (0, 1]."""
    threshold = _number(REJECT_THRESHOLD)
    if not 0 < threshold <= 1:
        raise ValueError(f"{REJECT_THRESHOLD.name}={REJECT_THRESHOLD.get()!r} must be in (0, 1]")
    return threshold


def synthetic_scale() -> str:
    """``full`` (the published sizes) or ``small``; checked where the data is generated."""
    return str(SYNTHETIC_SCALE.get())


def synthetic_truth() -> str:
    """A planted-truth preset name or the path of a truth JSON; checked where it is used."""
    return str(SYNTHETIC_TRUTH.get())


def perspective_api_key() -> str | None:
    """The Perspective key, or None. Pass it on, never print or store it."""
    return PERSPECTIVE_API_KEY.get()


def perspective_qps() -> float:
    """The request rate the project's Perspective quota allows."""
    return _number(PERSPECTIVE_QPS)


def perspective_api_url() -> str:
    """The Perspective endpoint base, Google's unless tests point it at the fake server."""
    return str(PERSPECTIVE_API_URL.get())


def stan_engine() -> str:
    """``cmdstanpy``, ``pystan`` or ``auto`` (cmdstanpy when CmdStan is installed)."""
    return str(STAN_ENGINE.get()).lower()


def fit_profile() -> str:
    """The Stan sampling profile: ``quick``, ``default`` or ``paper``."""
    return str(FIT_PROFILE.get())


def topic_embedder() -> str:
    """``wordllama`` (weights in its wheel), ``tfidf`` (TF-IDF + SVD) or ``sentence-transformers``
    (PRISM's model, if cached)."""
    return str(TOPIC_EMBEDDER.get()).lower()


def _number(variable: Variable) -> float:
    raw = str(variable.get())
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{variable.name}={raw!r} is not a number") from None
