"""Recipients' secrets, cached briefly per process.

Every push is signed with the recipient's secret; decrypting it from the
database for each push would be a round trip per row on the hot path.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable


class SecretCache:
    def __init__(
        self,
        load: Callable[[str], Awaitable[str]],
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, str]] = {}

    async def secret_of(self, organ_id: str) -> str:
        now = self._clock()
        entry = self._entries.get(organ_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        secret = await self._load(organ_id)
        self._entries[organ_id] = (now + self._ttl, secret)
        return secret
