"""Long polling of the pull inbox: a caller waits until something arrives for it.

Agencies' systems poll their inbox. Asked with ``wait``, an empty inbox
answers when a message for the caller commits (or when the wait ends)
instead of at once, so a document is fetched within milliseconds of its
acceptance while idle agencies cost one request per wait instead of one
per poll. Intake notifies ``axis_inbox`` with the recipient's OrganId in
the transaction that stores a pull delivery; each process listens once
(started on the first wait) and wakes its own waiters. If the listener's
connection drops, every waiter is woken to look again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from axis.storage import notifications
from axis.storage.channels import Channel
from axis.storage.database import Pool
from axis.tasks import cancel_and_wait

MAX_WAIT_SECONDS = 30.0


class InboxWaiters:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self._waiting: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def watch(self, organ_id: str) -> Iterator[asyncio.Event]:
        """An event set when a message for ``organ_id`` commits while inside the block.

        Enter before reading the inbox: a message committed between the read
        and the wait still sets the event.
        """
        if self._listener is None:
            self._listener = asyncio.create_task(
                notifications.listen(self._pool, Channel.INBOX, self._notice), name="inbox-listen"
            )
        arrived = asyncio.Event()
        self._waiting.setdefault(organ_id, set()).add(arrived)
        try:
            yield arrived
        finally:
            waiting = self._waiting.get(organ_id)
            if waiting is not None:
                waiting.discard(arrived)
                if not waiting:
                    del self._waiting[organ_id]

    def waiting(self, organ_id: str) -> int:
        """How many long polls of ``organ_id`` wait in this process now."""
        return len(self._waiting.get(organ_id, ()))

    def _notice(self, organ_id: str | None) -> None:
        if organ_id is None:
            events = [event for waiting in self._waiting.values() for event in waiting]
        else:
            events = list(self._waiting.get(organ_id, ()))
        for event in events:
            event.set()

    async def close(self) -> None:
        listener, self._listener = self._listener, None
        await cancel_and_wait(listener)
