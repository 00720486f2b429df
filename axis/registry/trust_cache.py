"""The trust the operator configured, kept in the database, cached per process.

Anchors, intermediates and CRLs live in the database (``axis trust add``,
``axis crl add``). Each process builds a :class:`signing.TrustStore` from
them and keeps it, with its cache of verified chains, until the trust
generation counter moves: every change to trust bumps it, and a process
looks at the counter at most once per ``recheck_interval`` seconds, so a
new CRL takes effect everywhere within that interval.
"""

from __future__ import annotations

import asyncio
import logging
import time

from axis.storage import sql
from axis.storage.database import Pool
from signing import TrustStore

logger = logging.getLogger(__name__)


class TrustCache:
    def __init__(self, pool: Pool, *, recheck_interval: float = 1.0) -> None:
        self._pool = pool
        self._recheck_interval = recheck_interval
        self._store: TrustStore | None = None
        self._generation: int | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def store(self) -> TrustStore:
        """The current trust store, rebuilt only when trust changed."""
        if self._store is not None and time.monotonic() - self._checked_at < self._recheck_interval:
            return self._store
        async with self._lock:
            if (
                self._store is not None
                and time.monotonic() - self._checked_at < self._recheck_interval
            ):
                return self._store
            generation = await self._pool.fetchval(sql.query("trust_generation"))
            if self._store is None or generation != self._generation:
                self._store = await self._load()
                self._generation = generation
                logger.info("trust store loaded", extra={"generation": generation})
            self._checked_at = time.monotonic()
            return self._store

    def invalidate(self) -> None:
        """Forces a reload on the next call (used right after this process changed trust)."""
        self._checked_at = 0.0
        self._generation = None

    async def _load(self) -> TrustStore:
        async with self._pool.acquire() as connection:
            anchors = await connection.fetch(sql.query("trust_certificates"), "anchor")
            intermediates = await connection.fetch(sql.query("trust_certificates"), "intermediate")
            crls = await connection.fetch(sql.query("revocation_lists"))
        return TrustStore.from_pem(
            [row["pem"].encode() for row in anchors],
            [row["pem"].encode() for row in intermediates],
            [bytes(row["der"]) for row in crls],
        )
