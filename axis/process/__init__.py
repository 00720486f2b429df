"""Processes: serving, supervising and the composition root.

``composition`` is the one place where the broker meets its HTTP surfaces;
``server`` runs one process or a supervisor of several. May use everything
below it, ``endpoints`` included (through ``composition`` only).
"""
