"""Wakes the push worker on ``NOTIFY axis_deliveries``.

The intake notifies in the transaction that stores a message for a push
recipient, so a worker hears about new work the moment it commits; polling
is only the fallback (see :mod:`axis.storage.notifications`).
"""

from __future__ import annotations

from collections.abc import Callable

from axis.storage import notifications
from axis.storage.channels import Channel
from axis.storage.database import Pool


async def listen(pool: Pool, wake: Callable[[], None]) -> None:
    """Runs until cancelled; any notice, or a reconnection, wakes the worker."""
    await notifications.listen(pool, Channel.DELIVERIES, lambda _payload: wake())
