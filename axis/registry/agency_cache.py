"""A short-lived per-process cache of agencies and their certificate fingerprints.

Intake looks up the sender's certificates and every recipient for each
message; at thousands of messages a second those lookups would be most of
the database work. Entries live ``ttl`` seconds, so a suspension or a new
certificate takes effect everywhere within that time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from axis.expiring_cache import ExpiringCache
from axis.registry.agencies import Agency, Registry

DEFAULT_TTL = 2.0


class AgencyCache:
    def __init__(self, registry: Registry, *, ttl: float = DEFAULT_TTL) -> None:
        self._registry = registry
        self._ttl = ttl
        self._agencies: dict[str, tuple[float, Agency | None]] = {}
        self._fingerprints = ExpiringCache(registry.certificate_fingerprints, ttl=ttl)

    async def agencies(self, organ_ids: Iterable[str]) -> dict[str, Agency]:
        """The registered agencies among ``organ_ids`` (unknown ones are left out)."""
        now = time.monotonic()
        found: dict[str, Agency] = {}
        missing: list[str] = []
        for organ_id in organ_ids:
            cached = self._agencies.get(organ_id)
            if cached is not None and now - cached[0] < self._ttl:
                if cached[1] is not None:
                    found[organ_id] = cached[1]
            else:
                missing.append(organ_id)
        if missing:
            loaded = await self._registry.get_many(missing)
            for organ_id in missing:
                agency = loaded.get(organ_id)
                self._agencies[organ_id] = (now, agency)
                if agency is not None:
                    found[organ_id] = agency
        return found

    async def fingerprints(self, organ_id: str) -> frozenset[str]:
        return await self._fingerprints.get(organ_id)

    def forget(self) -> None:
        self._agencies.clear()
        self._fingerprints.forget()
