"""A small per-process cache whose entries expire, with loads coalesced.

The hot paths (bearer authentication, VXP HMAC checks, push signing,
certificate look-ups) would each cost a database round trip per request
without it. Entries live ``ttl`` seconds, so a change in the registry takes
effect everywhere within that time; concurrent misses for one key share a
single load; the cache empties itself when it grows past ``max_entries``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class ExpiringCache(Generic[Key, Value]):
    def __init__(
        self,
        load: Callable[[Key], Awaitable[Value]],
        *,
        ttl: float,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[Key, tuple[float, Value]] = {}
        self._loading: dict[Key, asyncio.Future[Value]] = {}

    async def get(self, key: Key) -> Value:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
        value = await asyncio.shield(pending)
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key] = (self._clock() + self._ttl, value)
        return value

    def forget(self, key: Key | None = None) -> None:
        """Drops one entry, or all of them."""
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)
