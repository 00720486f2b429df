from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.storage import database
from axis.storage.database import Pool
from tests.support.runtimes import RuntimeFactory, runtime_factory


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    created = await database.create_pool(database_url, 8)
    try:
        yield created
    finally:
        await created.close()


@pytest.fixture
def make_runtime(pool: Pool) -> RuntimeFactory:
    return runtime_factory(pool)
