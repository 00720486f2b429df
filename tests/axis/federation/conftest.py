"""Three real axes for the federation tests (tests/support/federation.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.federation import Federation, federation


@pytest.fixture
async def fed(server_url: str, template_database: str, tmp_path: Path) -> AsyncIterator[Federation]:
    async with federation(server_url, template_database, tmp_path) as running:
        yield running
