"""Retention and archiving (issue #18): the axis keeps proof for years, bodies only as needed.

``policy`` says how long bodies and metadata are kept, ``holds`` what must
not go, ``months`` and ``partitions`` how bodies are laid out by month,
``bundle`` writes, verifies and reads the monthly archive bundles,
``purge`` and ``restore`` drop and bring back a month's bodies, ``task`` is
the daily run (one node at a time), ``figures`` what operators watch.
"""
