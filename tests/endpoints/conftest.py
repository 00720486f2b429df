"""Fixtures shared by the HTTP surface tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage import database
from tests.support import openapi_check

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


@pytest.fixture(autouse=True)
def served_json_matches_openapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JSON answer of /api/v1 these tests receive is checked against the served schema."""
    openapi_check.install(monkeypatch)
