"""The native API as an agency's system uses it: an HTTP client and receipts.

Used by ``axis client``, ``axis bench`` and the demo; it speaks HTTP to an axis
and shares nothing with the server's rooms. May use: aiohttp's client,
``envelope``, ``axis.errors``.
"""
