from __future__ import annotations

import asyncio

from axis.expiring_cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_entries_expire_after_their_ttl() -> None:
    loads: list[str] = []

    async def load(key: str) -> str:
        loads.append(key)
        return key.upper() + str(len(loads))

    clock = Clock()
    cache = ExpiringCache(load, ttl=2.0, clock=clock)
    assert await cache.get("a") == "A1"
    clock.now = 1.9
    assert await cache.get("a") == "A1"
    clock.now = 2.1
    assert await cache.get("a") == "A2"
    assert loads == ["a", "a"]


async def test_concurrent_misses_share_one_load() -> None:
    loads = 0
    release = asyncio.Event()

    async def load(key: int) -> int:
        nonlocal loads
        loads += 1
        await release.wait()
        return key * 10

    cache = ExpiringCache(load, ttl=60.0)
    waiting = [asyncio.create_task(cache.get(7)) for _ in range(20)]
    # Not a wait for time: one turn of the loop lets every task reach its miss.
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [70] * 20
    assert loads == 1


async def test_forget_drops_entries_and_size_is_bounded() -> None:
    loads: list[int] = []

    async def load(key: int) -> int:
        loads.append(key)
        return key

    cache = ExpiringCache(load, ttl=60.0, max_entries=3)
    for key in range(5):
        await cache.get(key)
    await cache.get(4)
    assert loads == [0, 1, 2, 3, 4]
    cache.forget(4)
    await cache.get(4)
    assert loads[-1] == 4 and len(loads) == 6
    cache.forget()
    await cache.get(0)
    assert len(loads) == 7


async def test_misses_are_kept_apart_and_only_the_most_recent_few() -> None:
    """A flood of made-up keys neither grows the cache nor pushes the hits out."""
    loads: list[str] = []

    async def load(key: str) -> str | None:
        loads.append(key)
        return "agency" if key == "real" else None

    cache: ExpiringCache[str, str | None] = ExpiringCache(load, ttl=60.0, max_misses=3)
    assert await cache.get("real") == "agency"
    for number in range(1000):
        assert await cache.get(f"made-up-{number}") is None
    assert len(cache) == 4
    assert cache.misses_kept == 3
    assert await cache.get("real") == "agency"
    assert await cache.get("made-up-999") is None
    assert loads.count("real") == 1
    assert loads.count("made-up-999") == 1
    # The oldest misses were dropped: asking again loads again.
    assert await cache.get("made-up-0") is None
    assert loads.count("made-up-0") == 2
