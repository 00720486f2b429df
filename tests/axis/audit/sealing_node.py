"""A process that only seals, in small batches, so a kill lands mid-transaction.

``python -m tests.axis.audit.sealing_node DATABASE_URL NAME``; runs until killed.
"""

from __future__ import annotations

import asyncio
import sys

from axis.audit.sealer import AuditSealer
from axis.storage.database import create_pool


async def _main(database_url: str, name: str) -> None:
    pool = await create_pool(database_url, 2)
    sealer = AuditSealer(pool, holder=name, batch=3)
    await sealer.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2]))
