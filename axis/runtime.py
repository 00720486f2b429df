"""What a running axis process holds: its settings and its database pool.

The HTTP surfaces receive this object and call into the broker through it;
they keep no state of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from axis.database import Pool
from axis.settings import Settings


@dataclass(frozen=True, slots=True)
class Runtime:
    settings: Settings
    pool: Pool
    worker_index: int = 0
