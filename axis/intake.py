"""Intake: a submitted envelope is checked, then stored with its deliveries.

(Being written: the intake owner replaces this placeholder.)
"""

from __future__ import annotations

from axis.database import Pool
from axis.registry import Registry
from axis.settings import Settings
from axis.trust import TrustCache


class Intake:
    def __init__(
        self, settings: Settings, pool: Pool, registry: Registry, trust: TrustCache
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._registry = registry
        self._trust = trust

    async def close(self) -> None:
        """Nothing to stop yet."""
