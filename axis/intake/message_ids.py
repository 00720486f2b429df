"""Message ids: opaque to agencies, time-ordered for us.

48 bits of milliseconds since the epoch then 80 random bits, as 32 lowercase
hex digits: ids sort by acceptance time (so index pages stay warm) and two
processes never need to agree on a counter.
"""

from __future__ import annotations

import os
import time


def new_message_id() -> str:
    millis = time.time_ns() // 1_000_000
    return millis.to_bytes(6, "big").hex() + os.urandom(10).hex()
