"""Element paths shared by the reader (which records their lines) and the validator.

Repeated elements always carry a 1-based index (``To[1]``), so a path can be computed from
the values alone and looked up in the lines the reader recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

ROOT = "/edXML"
ENVELOPE = ROOT + "/edXMLEnvelope"
HEADER = ENVELOPE + "/edXMLHeader"
MESSAGE_HEADER = HEADER + "/MessageHeader"
TRACE_LIST = HEADER + "/TraceHeaderList"
BUSINESS = TRACE_LIST + "/Bussiness"
REPLACEMENTS = BUSINESS + "/ReplacementInfoList"
MANIFEST = ENVELOPE + "/edXMLBody/edXMLManifest"
ATTACHMENTS = ROOT + "/AttachmentEncoded"


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest recorded ancestor when it is missing."""
    current = path
    while current:
        line = lines.get(current)
        if line is not None:
            return line
        current = current.rpartition("/")[0]
    return None
