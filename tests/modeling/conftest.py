"""Small PRISM-shaped snapshots shared by the modelling tests (built once per session)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.modeling.simulate import simulate_snapshot


@pytest.fixture(scope="session")
def small_snapshot() -> pd.DataFrame:
    """About 3,400 responses: 80 participants, 400 conversations, 21 LLMs."""
    return simulate_snapshot(n_users=80, n_conversations=400, seed=11)


@pytest.fixture(scope="session")
def medium_snapshot() -> pd.DataFrame:
    """About 12,000 responses: 300 participants, 1,500 conversations, for the analyses whose
    participant-level or product terms need more participants to be pinned down. Cheap for the
    marginal Gaussian program, whose gradient does not grow with the number of responses."""
    return simulate_snapshot(n_users=300, n_conversations=1500, seed=11)


@pytest.fixture(scope="session")
def tiny_snapshot() -> pd.DataFrame:
    """About 500 responses, for the fits that only need to run, not to recover anything."""
    return simulate_snapshot(n_users=15, n_conversations=60, seed=5)
