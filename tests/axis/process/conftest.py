from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage import database
from axis.storage.database import Pool

RuntimeFactory = Callable[..., Runtime]


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    created = await database.create_pool(database_url, 8)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def make_runtime(pool: Pool) -> RuntimeFactory:
    def build(**overrides: Any) -> Runtime:
        values: dict[str, Any] = {
            "secret_key": "process-test-key",
            "operator_token": "operator-token",
            "push_timeout": 5.0,
            "shutdown_timeout": 2.0,
            "retry_budget_seconds": 3600.0,
        }
        values.update(overrides)
        return open_runtime(Settings(**values), pool)

    return build
