"""The audit chain: an append-only, hash-chained record of every change.

``chain`` appends entries inside the caller's transaction and verifies the
chain. Each action (``axis.vocabulary.AuditAction``) is written by the room
that makes the change, from one builder with one detail shape (the delivery
actions by ``axis.delivery.trail``). May use: ``axis.storage``.
"""
