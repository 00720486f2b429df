"""A small per-process cache whose entries expire, with loads coalesced.

The hot paths (bearer authentication, VXP HMAC checks, push signing,
certificate look-ups) would each cost a database round trip per request
without it. Entries live ``ttl`` seconds, so a change in the registry takes
effect everywhere within that time; concurrent misses for one key share a
single load.

A load that finds nothing (``None``) is a *miss*. Misses are kept apart, in a
small set of the most recent ones (``max_misses``, oldest dropped first):
keys are often chosen by callers (a bearer token, a system id), so a flood
of made-up keys must not grow the cache or push the real entries out. Hits
are bounded by what exists (agencies, certificates); past ``max_entries``
the hits empty themselves as a last resort.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")

DEFAULT_MAX_MISSES = 1024


class ExpiringCache(Generic[Key, Value]):
    def __init__(
        self,
        load: Callable[[Key], Awaitable[Value]],
        *,
        ttl: float,
        max_entries: int = 100_000,
        max_misses: int = DEFAULT_MAX_MISSES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._max_entries = max_entries
        self._max_misses = max_misses
        self._clock = clock
        self._entries: dict[Key, tuple[float, Value]] = {}
        self._misses: OrderedDict[Key, tuple[float, Value]] = OrderedDict()
        self._loading: dict[Key, asyncio.Future[Value]] = {}

    def __len__(self) -> int:
        return len(self._entries) + len(self._misses)

    @property
    def misses_kept(self) -> int:
        return len(self._misses)

    async def get(self, key: Key) -> Value:
        entry = self._entries.get(key) or self._misses.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._load(key))
            self._loading[key] = pending
            pending.add_done_callback(lambda _: self._loading.pop(key, None))
        value = await asyncio.shield(pending)
        self._keep(key, value)
        return value

    def _keep(self, key: Key, value: Value) -> None:
        expires = self._clock() + self._ttl
        if value is None:
            self._entries.pop(key, None)
            if self._max_misses <= 0:
                return
            self._misses[key] = (expires, value)
            self._misses.move_to_end(key)
            while len(self._misses) > self._max_misses:
                self._misses.popitem(last=False)
            return
        self._misses.pop(key, None)
        if len(self._entries) >= self._max_entries and key not in self._entries:
            self._entries.clear()
        self._entries[key] = (expires, value)

    def forget(self, key: Key | None = None) -> None:
        """Drops one entry, or all of them."""
        if key is None:
            self._entries.clear()
            self._misses.clear()
        else:
            self._entries.pop(key, None)
            self._misses.pop(key, None)
