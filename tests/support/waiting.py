"""Waiting in tests for a thing to happen, not for a fixed time.

A fixed sleep is either too short on a loaded machine (a flaky test) or too
long everywhere (a slow suite). :func:`eventually` checks the condition
itself, often, and gives up only at a deadline, saying what it waited for.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

from axis.delivery.pull.waiters import InboxWaiters

# Often enough to add little to a test, rarely enough not to load the machine.
POLL_INTERVAL = 0.02

Condition = Callable[[], bool | Awaitable[bool]]


async def eventually(
    condition: Condition, *, timeout: float = 15.0, what: str = "condition"
) -> None:
    """Returns once ``condition()`` (sync or async) is true; fails after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        await asyncio.sleep(POLL_INTERVAL)


def inbox_waiting(waiters: InboxWaiters, organ_id: str, count: int = 1) -> Condition:
    """True once ``count`` long polls of ``organ_id`` wait in ``waiters``.

    Reads the waiters' private table: InboxWaiters offers no public count yet.
    """
    return lambda: waiters.waiting(organ_id) >= count
