"""The audit chain: an append-only, hash-chained record of every change.

``chain`` appends entries, unchained, inside the caller's transaction and
verifies the chain; ``sealer`` chains committed entries, one node at a time
across the fleet. Each action (``axis.vocabulary.AuditAction``) is written
by the room that makes the change, from one builder with one detail shape
(the delivery actions by ``axis.delivery.trail``). May use: ``axis.storage``.
"""
