"""Fixtures shared by the HTTP surface tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage import database

OPERATOR_TOKEN = "operator-token"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}


@pytest.fixture
async def runtime(database_url: str) -> AsyncIterator[Runtime]:
    """A runtime on the test database whose operator token is :data:`OPERATOR_TOKEN`."""
    pool = await database.create_pool(database_url, 4)
    settings = Settings(
        database_url=database_url, secret_key="test-key", operator_token=OPERATOR_TOKEN
    )
    opened = open_runtime(settings, pool)
    try:
        yield opened
    finally:
        await opened.close()
        await pool.close()
