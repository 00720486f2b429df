"""The fleet: the nodes (running axis processes) on one database, and their heartbeats.

A room of its own, below the audit chain and above storage in the layers
contract (``pyproject.toml``): it needs only the database, and any room
above may ask who is alive (the audit sealer, the push worker whose lease
owner is its node's id, the operators' views). Each node beats every
second; a node silent for three beats is dead, and the next beat of any live
node gives its push leases back at once (:mod:`axis.fleet.nodes`). A task
that must run on one node at a time holds a fleet lease
(:mod:`axis.fleet.leases`).
"""
