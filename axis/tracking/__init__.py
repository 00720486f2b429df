"""Tracking: what became of a message, for its sender and its recipients.

``report`` is the per-recipient account of one message (deliveries,
statuses, documents acting on it); ``clerk_views`` the lists of the clerks'
pages (sent, received). Read-only. May use: ``axis.storage``.
"""
