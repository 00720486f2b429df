"""Routing on the last path segment, and the sendEdoc body trailer."""

from __future__ import annotations

from axis.vxp.service import operation_of, strip_crlf


def test_last_segment_names_the_operation_with_slashes_merged() -> None:
    assert operation_of("//sendEdoc") == "sendEdoc"
    assert operation_of("/a/b//getAgenciesListQD20") == "getAgenciesListQD20"
    assert operation_of("/getedoc") == "getEdoc"
    assert operation_of("/nothing") is None
    assert operation_of("/") is None


def test_exactly_one_trailing_crlf_is_removed() -> None:
    assert strip_crlf(b"hello\n\r\n") == b"hello\n"
    assert strip_crlf(b"x\r\n\r\n") == b"x\r\n"
    assert strip_crlf(b"x") == b"x"
