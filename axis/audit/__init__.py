"""The audit chain: an append-only, hash-chained record of every change.

``chain`` appends entries inside the caller's transaction and verifies the
chain; ``actions`` builds each kind of entry (one builder per
``AuditAction``, one detail shape each). May use: ``axis.storage``.
"""
