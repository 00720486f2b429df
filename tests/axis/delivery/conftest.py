from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.support.push_endpoint import PushEndpoint


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
