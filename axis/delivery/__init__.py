"""Delivery: getting each stored message to each recipient, and hearing back.

``push`` claims due deliveries and POSTs them to agencies' endpoints (retries,
backoff, circuit breaker per endpoint, dead letters); ``pull`` is the inbox
agencies fetch from (listing, long poll, fetch, ack), one service for the
native API and VXP alike; ``dead_letters`` is what operators do with deliveries
that could not be made. May use: ``axis.registry``, ``axis.audit``,
``axis.storage``. Never ``axis.intake``.
"""
