"""The registry: agencies (who may send, who receives and how) and trust.

``agencies`` registers and looks up agencies and their certificates;
``agency_cache`` is the short-lived per-process view intake reads;
``trust`` is what agencies' certificates must chain to (anchors,
intermediates, revocation lists) and ``trust_cache`` the per-process store
built from it; ``secret_box`` keeps agency secrets encrypted at rest.
May use: ``axis.audit``, ``axis.storage``, ``signing``.
"""
