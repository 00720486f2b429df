"""Accounts: the people who sign in to the pages (clerks and operators).

``users`` (passwords, roles, lock-out) and ``sessions`` (server-side, with a
CSRF token each). May use: ``axis.audit``, ``axis.storage``.
"""
