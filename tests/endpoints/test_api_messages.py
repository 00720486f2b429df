"""The native messages API over HTTP, on a real runtime and database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from axis.intake import door
from signing import sign
from tests.support.agencies import another_credential
from tests.support.envelopes import (
    Api,
    document,
    document_id_of,
    open_api,
    status,
)

SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"
STRANGER = "000.00.00.H01"
LIMIT = 64 * 1024
XML = {"Content-Type": "application/xml"}


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(
        database_url, SENDER, NGHE_AN, TAY_NINH, STRANGER, max_message_bytes=LIMIT
    ) as opened:
        yield opened


async def _refusal_codes(api: Api) -> list[str]:
    rows = await api.broker.pool.fetch("SELECT code FROM refusals ORDER BY id")
    return [row["code"] for row in rows]


async def test_submit_then_identical_resubmission(api: Api) -> None:
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN, TAY_NINH]))
    code, body = await api.post(SENDER, data)
    assert code == 202
    assert body["kind"] == "edoc" and body["from"] == SENDER
    assert body["recipients"] == [NGHE_AN, TAY_NINH]
    assert body["document_id"] == document_id_of(data)
    code_again, body_again = await api.post(SENDER, data)
    assert (code_again, body_again) == (200, body)


async def test_missing_and_bad_credentials_are_401_and_counted_not_written(api: Api) -> None:
    """Strangers cost a counter and a sample, not a refusal row and an audit entry."""
    async with api.client.post("/api/v1/messages", data=b"<x/>", headers=XML) as answer:
        assert answer.status == 401
        assert answer.content_type == "application/problem+json"
        assert (await answer.json())["code"] == "auth.missing"
    headers = {**XML, "Authorization": "Bearer nope"}
    async with api.client.post("/api/v1/messages", data=b"<x/>", headers=headers) as answer:
        assert answer.status == 401
        assert (await answer.json())["code"] == "auth.invalid"
    assert await _refusal_codes(api) == []
    audited = await api.broker.pool.fetchval(
        "SELECT count(*) FROM audit_log WHERE action = 'message.refuse'"
    )
    assert audited == 0
    await api.broker.runtime.intake.door.flush()
    sampled = await door.recent(api.broker.pool)
    assert sorted(item.code for item in sampled) == ["auth.invalid", "auth.missing"]
    assert {item.source for item in sampled} == {"127.0.0.1"}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<a><b></a>", "envelope.malformed"),
        (b"<a/>", "envelope.not_edxml"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', None),  # hostile: its own code
    ],
)
async def test_unreadable_bodies_are_400(api: Api, data: bytes, code: str | None) -> None:
    status_code, body = await api.post(SENDER, data)
    assert status_code == 400
    if code is not None:
        assert body["code"] == code
    else:
        assert body["code"].startswith(("xml.", "envelope."))
    assert await _refusal_codes(api) == [body["code"]]


async def test_over_the_size_limit_is_413(api: Api) -> None:
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN], payload=b"x" * LIMIT))
    status_code, body = await api.post(SENDER, data)
    assert (status_code, body["code"]) == (413, "message.too_large")
    assert await _refusal_codes(api) == ["message.too_large"]


async def test_sender_must_be_the_caller(api: Api) -> None:
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN]))
    status_code, body = await api.post(NGHE_AN, data)
    assert (status_code, body["code"]) == (403, "sender.mismatch")


async def test_signature_problems_are_422(api: Api) -> None:
    signed = api.agency(SENDER).sign(document(SENDER, [NGHE_AN], subject="Bản gốc"))
    tampered = signed.replace("Bản gốc".encode(), "Bản sửa".encode())
    status_code, body = await api.post(SENDER, tampered)
    assert status_code == 422 and body["code"].startswith("signature.")
    status_code, body = await api.post(SENDER, document(SENDER, [NGHE_AN]))
    assert (status_code, body["code"]) == (422, "signature.missing")


async def test_an_unregistered_certificate_is_422(api: Api) -> None:
    other = another_credential(SENDER)  # same CA, same OrganId, never registered
    signed = sign(document(SENDER, [NGHE_AN]), other.private_key, other.certificate)
    status_code, body = await api.post(SENDER, signed)
    assert (status_code, body["code"]) == (422, "certificate.not_registered")


async def test_unknown_and_suspended_recipients_are_named(api: Api) -> None:
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN, "000.00.00.Z99"]))
    status_code, body = await api.post(SENDER, data)
    assert (status_code, body["code"]) == (422, "recipient.unknown")
    assert "000.00.00.Z99" in body["detail"]
    await api.broker.runtime.registry.set_active(TAY_NINH, False)
    data = api.agency(SENDER).sign(document(SENDER, [NGHE_AN, TAY_NINH]))
    status_code, body = await api.post(SENDER, data)
    assert (status_code, body["code"]) == (422, "recipient.suspended")
    assert TAY_NINH in body["detail"]


async def test_inconsistent_attachments_are_422(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    broken = unsigned.replace(b"<ContentId>cid:att-1</ContentId><AttachmentName>",
                              b"<ContentId>cid:other</ContentId><AttachmentName>")  # fmt: skip
    assert broken != unsigned
    status_code, body = await api.post(SENDER, api.agency(SENDER).sign(broken))
    assert status_code == 422 and body["code"] == "envelope.invalid"


async def test_same_document_id_other_bytes_is_409(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    await api.send(SENDER, unsigned)
    other = document(SENDER, [TAY_NINH], document_id=document_id_of(unsigned))
    status_code, body = await api.post(SENDER, api.agency(SENDER).sign(other))
    assert (status_code, body["code"]) == (409, "message.conflict")


async def test_status_refusals(api: Api) -> None:
    unsigned = document(SENDER, [NGHE_AN])
    await api.send(SENDER, unsigned)
    document_id = document_id_of(unsigned)
    cases = [
        (TAY_NINH, status(TAY_NINH, SENDER, document_id, "03"), 403, "status.not_participant"),
        (NGHE_AN, status(NGHE_AN, SENDER, "unknown", "03"), 422, "status.unknown_document"),
        (NGHE_AN, status(NGHE_AN, SENDER, document_id, "15"), 422, "status.not_allowed"),
    ]
    for organ_id, data, expected_status, expected_code in cases:
        status_code, body = await api.post(organ_id, api.agency(organ_id).sign(data))
        assert (status_code, body["code"]) == (expected_status, expected_code)
    await api.send(NGHE_AN, status(NGHE_AN, SENDER, document_id, "04"))
    backwards = status(NGHE_AN, SENDER, document_id, "03", description="lùi")
    status_code, body = await api.post(NGHE_AN, api.agency(NGHE_AN).sign(backwards))
    assert (status_code, body["code"]) == (422, "status.not_allowed")
    assert (await _refusal_codes(api))[-1] == "status.not_allowed"
