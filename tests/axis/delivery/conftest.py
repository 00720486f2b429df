from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from axis.storage import database
from axis.storage.database import Pool
from tests.support.push_endpoint import PushEndpoint
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


@pytest.fixture
async def push_endpoints() -> AsyncIterator[Callable[[], Any]]:
    started: list[PushEndpoint] = []

    async def start(**kwargs: Any) -> PushEndpoint:
        endpoint = await PushEndpoint(**kwargs).start()
        started.append(endpoint)
        return endpoint

    try:
        yield start
    finally:
        for endpoint in started:
            await endpoint.stop()
