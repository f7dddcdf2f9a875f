"""Fixtures shared by every suite: one small synthetic PRISM per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_prism_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic PRISM (four files, score file, truth file), generated once per session."""
    from orchestration.synthetic import generate

    out = tmp_path_factory.mktemp("prism_small")
    generate(out, scale="small", seed=0)
    return out
