"""Intake: a submitted envelope is checked, then stored with its deliveries.

``service`` (``Intake``) checks bytes, signature, sender and recipients;
``records`` are what it hands to the database; ``planning`` decides what
each item of a batch will be and ``writer`` stores the batch in one
group-commit transaction; ``status_rules`` decide which receipt
may be sent now and where it goes; ``refusals`` name why a submission was
refused. May use: ``axis.registry``, ``axis.audit``, ``axis.storage``,
``envelope``, ``signing``. Never ``axis.delivery``: intake stores deliveries
as rows and announces them on the channels of ``axis.storage.channels``.
"""
