"""A peer axis that speaks only VXP: this axis as the SDK would be, on the far platform.

The national platform in service today speaks the VXP protocol, not the
federation's relay. A peer added with ``--protocol vxp`` is reached the way
the Java SDK reaches it (``axis.vxp`` is the server side of the same wire):
documents and statuses out by ``sendEdoc`` (:mod:`.transport`), in by polling
``getReceivedEdocList``/``getEdoc`` and confirming with ``updateStatus`` once
they are committed here (:mod:`.poller`), and its directory from
``getAgenciesList`` (:mod:`.directory`). :mod:`.client` speaks the wire.
"""
