"""Processes: serving, supervising and the composition root.

``composition`` is the one place where the broker meets its HTTP surfaces
and starts the background work of a process of a role (api, work, or both);
``server`` runs one process or a supervisor of several. May use everything
below it, ``endpoints`` included (through ``composition`` only).
"""
