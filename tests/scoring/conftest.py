"""Fixtures for the scoring suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.scoring.fake_perspective import FakePerspectiveServer
from tests.scoring.support import fake_server


@pytest.fixture
def server() -> Iterator[FakePerspectiveServer]:
    with fake_server() as srv:
        yield srv
