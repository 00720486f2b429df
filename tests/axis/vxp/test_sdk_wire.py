"""The test client reproduces the SDK's observed bytes (vxp-protocol.md §3 worked examples)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from tests.support.vxp_client import (
    VxpService,
    gson_string,
    java_hashmap_order,
    java_string_hash,
    lossy_hash_file,
    sdk_timestamp,
)

EXAMPLE_1_SIGN = (
    '{"XroadVnpt-systemid":"demo.sys.01","XroadVnpt-servicetype":"eDoc",'
    '"XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"21112026T100235+0411",'
    '"XroadVnpt-Content-Type":"application/json"}'
)
EXAMPLE_2_SIGN = (
    '{"XroadVnpt-systemid":"demo.sys.01","XroadVnpt-servicetype":"eDoc",'
    '"XroadVnpt-messagetype":"edoc","XroadVnpt-hash-file":'
    '"5891b5b522d5df86dff0b110fbd9d21bb4fc7163af34d08286a2e846f6be3",'
    '"XroadVnpt-from":"demo.sys.01","XroadVnpt-to":"[\\"000.00.15.H51\\"]",'
    '"XroadVnpt-timestamp":"21112026T100236+0171","XroadVnpt-Content-Type":"application/octet-stream"}'
)


def test_java_string_hash_matches_java() -> None:
    assert java_string_hash("") == 0
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("polygenelubricants") == -(2**31)
    assert java_string_hash("Aa") == java_string_hash("BB") == 2112


def test_worked_example_1_sign_header_and_hmac() -> None:
    service = VxpService(
        "http://h/vxp", "demo.sys.01", "demo-secret-123",
        created_at=datetime(2026, 11, 21, 10, 2, 35, 411000),
    )  # fmt: skip
    request = service.build_request(
        "getReceivedEdocList", {"servicetype": "eDoc", "messagetype": "edoc"}
    )
    assert service.sign_header() == EXAMPLE_1_SIGN
    assert len(EXAMPLE_1_SIGN.encode()) == 187
    assert service.hash_header() == (
        "df40e3fa545b5a3dc2587f74c165352aa36381a0d39da1d2c1cbb2e28bf695ec"
    )
    assert f"XroadVnpt-sign-header: {EXAMPLE_1_SIGN}\r\n".encode() in request
    assert (
        b"XroadVnpt-sign-header-key: systemid;servicetype;messagetype;timestamp;Content-Type"
        in (request)
    )
    assert request.startswith(b"POST /vxp/getReceivedEdocList HTTP/1.1\r\n")
    assert request.endswith(b"Content-Length: 0\r\nHost: h\r\nConnection: Keep-Alive\r\n"
                            b"Accept-Encoding: gzip,deflate\r\n\r\n")  # fmt: skip


def test_worked_example_2_send_edoc() -> None:
    service = VxpService(
        "http://h/vxp", "demo.sys.01", "demo-secret-123",
        created_at=datetime(2026, 11, 21, 10, 2, 36, 171000),
    )  # fmt: skip
    service.header_map["hash-file"] = lossy_hash_file(b"hello\n")
    request = service.build_request(
        "sendEdoc",
        {"from": "demo.sys.01", "servicetype": "eDoc", "messagetype": "edoc",
         "to": ["000.00.15.H51"]},
        content_type="application/octet-stream",
        body=b"hello\n\r\n",
        send_edoc=True,
    )  # fmt: skip
    assert service.sign_header() == EXAMPLE_2_SIGN
    expected = hmac.new(b"demo-secret-123", EXAMPLE_2_SIGN.encode(), hashlib.sha256).hexdigest()
    assert service.hash_header() == expected
    assert expected == "34009edfe0c68a09d2c016684fa27ce6e873b93897f5bc91807a9ca5bfa755b7"
    assert b'\r\nXroadVnpt-to: ["000.00.15.H51"]\r\n' in request
    assert request.endswith(b"Content-Length: 8\r\n\r\nhello\n\r\n")
    assert b"Expect" not in request and b"Accept-Encoding" not in request


def test_keys_are_never_removed_between_calls() -> None:
    service = VxpService("http://h/", "s", "k", created_at=datetime(2026, 1, 2, 3, 4, 5))
    service.build_request("getEdoc", {"docId": "m1", "filePath": "/tmp"}, body=b"{}")
    service.build_request("updateStatus", {"docId": "m1", "status": "done"}, body=b"{}")
    request = service.build_request("getReceivedEdocList", {"messagetype": "edoc"})
    assert b"XroadVnpt-status: done" in request and b"XroadVnpt-docId: m1" in request
    assert request.startswith(b"POST //getReceivedEdocList ")
    assert b"XroadVnpt-timestamp: 02012026T030405+0000" in request


def test_hashmap_order_after_a_resize_keeps_bucket_order() -> None:
    keys = [f"key{index}" for index in range(13)]  # 13 > 12: capacity 32
    order = java_hashmap_order(keys)
    buckets = [(java_string_hash(k) & 0xFFFFFFFF ^ (java_string_hash(k) & 0xFFFFFFFF) >> 16) & 31
               for k in order]  # fmt: skip
    assert buckets == sorted(buckets)
    assert sorted(order) == sorted(keys)


def test_timestamp_pads_milliseconds_to_four_digits() -> None:
    assert sdk_timestamp(datetime(2026, 11, 21, 10, 2, 35, 411000)) == "21112026T100235+0411"
    assert sdk_timestamp(datetime(2026, 11, 21, 10, 2, 35, 7000)) == "21112026T100235+0007"


def test_gson_escapes_quotes_and_html_characters() -> None:
    assert gson_string('["A"]') == '"[\\"A\\"]"'
    assert gson_string("a=b<c>") == '"a\\u003db\\u003cc\\u003e"'
