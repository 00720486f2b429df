"""The VXP client's requests are the SDK's, byte for byte (vxp-protocol.md §2-§4)."""

from __future__ import annotations

from datetime import datetime

from axis.delivery.relay.hop import HopOutcome
from axis.vxp import wire
from axis.vxp.peer.client import (
    Reply,
    gson_string,
    java_hashmap_order,
    sdk_timestamp,
    signed_headers,
)
from axis.vxp.peer.transport import outcome_of
from tests.support.vxp_client import java_hashmap_order as stand_in_order

SYSTEM, SECRET = "demo.sys.01", "demo-secret-123"


def _headers(content_type: str, parameters: dict[str, str], moment: datetime) -> dict[str, str]:
    return dict(signed_headers(SYSTEM, SECRET, content_type, parameters, moment))


def test_worked_example_1_get_received_edoc_list() -> None:
    headers = _headers(
        "application/json",
        {"servicetype": "eDoc", "messagetype": "edoc"},
        datetime(2026, 11, 21, 10, 2, 35, 411000),
    )
    assert headers["XroadVnpt-sign-header"] == (
        '{"XroadVnpt-systemid":"demo.sys.01","XroadVnpt-servicetype":"eDoc",'
        '"XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"21112026T100235+0411",'
        '"XroadVnpt-Content-Type":"application/json"}'
    )
    assert headers["XroadVnpt-hash-header"] == (
        "df40e3fa545b5a3dc2587f74c165352aa36381a0d39da1d2c1cbb2e28bf695ec"
    )
    assert headers["XroadVnpt-sign-header-key"] == (
        "systemid;servicetype;messagetype;timestamp;Content-Type"
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "JAVASDKAgent/1.0.0 XRoad/VPCP"
    assert headers["XroadVnpt-version"] == "3.0.201608"


def test_worked_example_2_send_edoc() -> None:
    data = b"hello\n"
    headers = _headers(
        "application/octet-stream",
        {
            "from": "demo.sys.01",
            "servicetype": "eDoc",
            "messagetype": "edoc",
            "hash-file": wire.lossy_hex_sha256(data),
            "to": '["000.00.15.H51"]',
        },
        datetime(2026, 11, 21, 10, 2, 36, 171000),
    )
    assert headers["XroadVnpt-hash-file"] == (
        "5891b5b522d5df86dff0b110fbd9d21bb4fc7163af34d08286a2e846f6be3"
    )
    assert headers["XroadVnpt-to"] == '["000.00.15.H51"]'
    assert headers["XroadVnpt-sign-header"] == (
        '{"XroadVnpt-systemid":"demo.sys.01","XroadVnpt-servicetype":"eDoc",'
        '"XroadVnpt-messagetype":"edoc","XroadVnpt-hash-file":'
        '"5891b5b522d5df86dff0b110fbd9d21bb4fc7163af34d08286a2e846f6be3",'
        '"XroadVnpt-from":"demo.sys.01","XroadVnpt-to":"[\\"000.00.15.H51\\"]",'
        '"XroadVnpt-timestamp":"21112026T100236+0171",'
        '"XroadVnpt-Content-Type":"application/octet-stream"}'
    )
    assert headers["XroadVnpt-hash-header"] == (
        "34009edfe0c68a09d2c016684fa27ce6e873b93897f5bc91807a9ca5bfa755b7"
    )


def test_hashmap_order_agrees_with_the_sdk_stand_in_past_a_resize() -> None:
    keys = [f"key{n}" for n in range(30)] + ["timestamp", "systemid", "docId", "status"]
    assert java_hashmap_order(keys) == stand_in_order(keys)


def test_gson_escapes_and_timestamp() -> None:
    assert gson_string("a\"b\\c<d>&='\n") == '"a\\"b\\\\c\\u003cd\\u003e\\u0026\\u003d\\u0027\\n"'
    assert sdk_timestamp(datetime(2026, 1, 2, 3, 4, 5, 7000)) == "02012026T030405+0007"


def test_answers_read_as_the_sdk_reads_them() -> None:
    read = wire.read_answer(b'{"status":"OK","ErrorCode":0,"ErrorDesc":"x","DocId":"7"}')
    assert read is not None and read.ok and read.extra == {"DocId": "7"}
    failed = wire.read_answer(b'{"status":"FAIL","ErrorCode":"0","ErrorDesc":"odd"}')
    assert failed is not None and not failed.ok
    assert wire.read_answer(b"<html>502 Bad Gateway</html>") is None
    assert wire.read_answer(b'{"status":"OK"}') is None
    assert wire.read_answer(wire.failure("422", "x", DocId="").encode()) == wire.failure(
        "422", "x", DocId=""
    )


def test_answers_as_hop_outcomes() -> None:
    def outcome(code: str, description: str, retry_after: float | None = None) -> HopOutcome:
        return outcome_of(Reply(wire.Answer(code, description), retry_after))

    assert outcome("0", "Success") == HopOutcome.relayed()
    assert outcome("422", "signature.untrusted: The signer is not trusted.") == (
        HopOutcome.refused("signature.untrusted", "The signer is not trusted.")
    )
    assert outcome("401", "The XroadVnpt-hash-header does not match.") == (
        HopOutcome.refused("vxp.401", "The XroadVnpt-hash-header does not match.")
    )
    for code in ("408", "500", "503"):
        assert outcome(code, "later", 7.0) == HopOutcome.retry(
            f"VXP {code}: later", retry_after=7.0
        )
    # Pacing, not failing: the peer's circuit stays closed.
    assert outcome("429", "slow down", 3.0) == HopOutcome.retry(
        "VXP 429: slow down", retry_after=3.0, peer_failed=False
    )
