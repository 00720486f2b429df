"""Revocations, updates and replacements as agencies' systems send them, through the HTTP
API: submit, deliver (inbox), tracking, and the refusals (issue #14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.envelopes import Api, document, open_api, status

SAMPLES = Path(__file__).parents[1] / "samples"
SENDER = "000.00.00.G22"
NGHE_AN = "000.00.00.H41"
TAY_NINH = "000.00.00.H53"
ORIGINAL = "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
SECOND = "000.00.00.G22,2026/11/20,1235/VPCP-KSTT"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


NEW = sample("document-new-unsigned.edxml")
# A second original, for the replacement of two documents.
NEW_SECOND = NEW.replace(b"1234/VPCP-KSTT<", b"1235/VPCP-KSTT<").replace(
    b"<edXML:CodeNumber>1234<", b"<edXML:CodeNumber>1235<"
)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with open_api(database_url, SENDER, NGHE_AN, TAY_NINH) as opened:
        yield opened


async def _inbox(api: Api, organ_id: str) -> dict[str, dict[str, object]]:
    code, page = await api.get_json(organ_id, "/api/v1/inbox?kind=edoc")
    assert code == 200
    return {item["id"]: item for item in page["items"]}


async def _tracking(api: Api, message_id: str) -> dict[str, object]:
    code, body = await api.get_json(SENDER, f"/api/v1/messages/{message_id}/tracking")
    assert code == 200, body
    return body


async def test_a_revocation_repeating_the_document_id_revokes_every_copy(api: Api) -> None:
    original = await api.send(SENDER, NEW)
    revocation_bytes = api.agency(SENDER).sign(sample("document-revocation-unsigned.edxml"))
    code, revocation = await api.post(SENDER, revocation_bytes)
    assert code == 202, revocation
    assert revocation["document_id"] == ORIGINAL
    assert revocation["recipients"] == [NGHE_AN, TAY_NINH]
    # The same bytes again: the first answer, not a conflict.
    code, again = await api.post(SENDER, revocation_bytes)
    assert (code, again.get("id")) == (200, revocation["id"]), again
    # A plain new document repeating the DocumentId is still a conflict.
    code, body = await api.post(
        SENDER, api.agency(SENDER).sign(NEW.replace(b"<edXML:Priority>1<", b"<edXML:Priority>2<"))
    )
    assert (code, body["code"]) == (409, "message.conflict")
    for organ_id in (NGHE_AN, TAY_NINH):
        listed = await _inbox(api, organ_id)
        assert listed[original["id"]]["revoked"] is True
        assert listed[original["id"]]["revoked_by"] == revocation["id"]
        assert listed[revocation["id"]]["revoked"] is False
    tracking = await _tracking(api, original["id"])
    rows = {row["organ_id"]: row for row in tracking["recipients"]}  # type: ignore[attr-defined]
    assert rows[NGHE_AN]["revoked_by"] == revocation["id"]
    assert [link["id"] for link in tracking["acted_on_by"]] == [revocation["id"]]  # type: ignore[attr-defined]
    acting = await _tracking(api, revocation["id"])
    assert acting["business_type"] == "revocation"
    assert acting["acts_on"] == {"id": original["id"], "document_id": ORIGINAL,
                                 "business_type": "revocation"}  # fmt: skip


async def test_a_revocation_naming_the_document_in_bussiness(api: Api) -> None:
    original = await api.send(SENDER, NEW)
    revocation = await api.send(SENDER, sample("document-revocation-named-unsigned.edxml"))
    assert revocation["document_id"] != ORIGINAL
    listed = await _inbox(api, NGHE_AN)
    assert listed[original["id"]]["revoked_by"] == revocation["id"]


async def test_the_recall_dialogue_and_the_revocation_are_one_story(api: Api) -> None:
    original = await api.send(SENDER, NEW)
    recall = await api.send(SENDER, status(SENDER, SENDER, ORIGINAL, "13", description="Lấy lại"))
    agreed = await api.send(NGHE_AN, status(NGHE_AN, SENDER, ORIGINAL, "15"))
    refused = await api.send(TAY_NINH, status(TAY_NINH, SENDER, ORIGINAL, "16"))
    revocation = await api.send(SENDER, sample("document-revocation-unsigned.edxml"))
    story = (await _tracking(api, original["id"]))["story"]
    assert [(e["event"], e["code"], e["message_id"]) for e in story] == [  # type: ignore[attr-defined]
        ("status", "13", recall["id"]),
        ("status", "15", agreed["id"]),
        ("status", "16", refused["id"]),
        ("revocation", None, revocation["id"]),
    ]


@pytest.mark.parametrize(
    "name", ["document-update-unsigned.edxml", "document-update-repeating-unsigned.edxml"]
)
async def test_an_update_points_each_copy_to_it(api: Api, name: str) -> None:
    original = await api.send(SENDER, NEW)
    update = await api.send(SENDER, sample(name))
    listed = await _inbox(api, TAY_NINH)
    assert listed[original["id"]]["updated_by"] == update["id"]
    assert listed[original["id"]]["revoked"] is False
    acting = await _tracking(api, update["id"])
    assert acting["business_type"] == "update"
    assert acting["acts_on"]["id"] == original["id"]  # type: ignore[index]
    # A second update is no conflict either, and the copies point to the latest.
    second = sample(name).replace(b"<edXML:Paper>0<", b"<edXML:Paper>1<")
    later = await api.send(SENDER, second.replace(b"1251/VPCP-KSTT<", b"1252/VPCP-KSTT<"))
    listed = await _inbox(api, TAY_NINH)
    assert listed[original["id"]]["updated_by"] == later["id"]


async def test_a_replacement_of_two_documents_follows_each_organ_id_list(api: Api) -> None:
    first = await api.send(SENDER, NEW)
    second = await api.send(SENDER, NEW_SECOND)
    replacement = await api.send(SENDER, sample("document-replacement-two-unsigned.edxml"))
    assert replacement["recipients"] == [NGHE_AN, TAY_NINH]
    nghe_an = await _inbox(api, NGHE_AN)
    tay_ninh = await _inbox(api, TAY_NINH)
    assert nghe_an[first["id"]]["replaced_by"] == replacement["id"]
    assert nghe_an[second["id"]]["replaced_by"] == replacement["id"]
    assert tay_ninh[first["id"]]["replaced_by"] == replacement["id"]
    # 1235 was replaced for Nghệ An only.
    assert tay_ninh[second["id"]]["replaced_by"] is None
    acting = await _tracking(api, replacement["id"])
    assert [(d["id"], d["recipients"]) for d in acting["acts_on_documents"]] == [  # type: ignore[attr-defined]
        (first["id"], [NGHE_AN, TAY_NINH]),
        (second["id"], [NGHE_AN]),
    ]
    assert acting["acts_on"]["id"] == first["id"]  # type: ignore[index]


async def test_replacement_recipients_follow_the_organ_id_list(api: Api) -> None:
    await api.send(SENDER, NEW)
    only_nghe_an = sample("document-replacement-unsigned.edxml").replace(
        b"<edXML:OrganId>000.00.00.H53</edXML:OrganId>\n              </edXML:OrganIdList>",
        b"</edXML:OrganIdList>",
    )
    replacement = await api.send(SENDER, only_nghe_an)
    assert replacement["recipients"] == [NGHE_AN]
    assert replacement["id"] not in await _inbox(api, TAY_NINH)


async def test_revoking_someone_elses_document_is_forbidden(api: Api) -> None:
    await api.send(SENDER, NEW)
    theirs = document(NGHE_AN, [TAY_NINH], document_id=ORIGINAL, business_type=1)
    code, body = await api.post(NGHE_AN, api.agency(NGHE_AN).sign(theirs))
    assert (code, body["code"]) == (403, "business.not_original_sender")
    named = document(NGHE_AN, [TAY_NINH], business_type=3, acts_on=ORIGINAL)
    code, body = await api.post(NGHE_AN, api.agency(NGHE_AN).sign(named))
    assert (code, body["code"]) == (403, "business.not_original_sender")


async def test_revoking_an_unknown_document_is_refused(api: Api) -> None:
    code, body = await api.post(
        SENDER, api.agency(SENDER).sign(sample("document-revocation-unsigned.edxml"))
    )
    assert (code, body["code"]) == (422, "business.unknown_document")


async def test_revoking_a_revoked_document_is_refused(api: Api) -> None:
    await api.send(SENDER, NEW)
    await api.send(SENDER, sample("document-revocation-unsigned.edxml"))
    again = sample("document-revocation-named-unsigned.edxml")
    code, body = await api.post(SENDER, api.agency(SENDER).sign(again))
    assert (code, body["code"]) == (409, "business.already_revoked")


async def test_revoking_the_other_copy_later_is_allowed(api: Api) -> None:
    original = await api.send(SENDER, NEW)
    first = document(SENDER, [NGHE_AN], business_type=1, acts_on=ORIGINAL)
    await api.send(SENDER, first)
    second = await api.send(SENDER, document(SENDER, [TAY_NINH], business_type=1, acts_on=ORIGINAL))
    assert (await _inbox(api, TAY_NINH))[original["id"]]["revoked_by"] == second["id"]
    code, body = await api.post(
        SENDER,
        api.agency(SENDER).sign(document(SENDER, [NGHE_AN], business_type=1, acts_on=ORIGINAL)),
    )
    assert (code, body["code"]) == (409, "business.already_revoked")


async def test_a_replacement_of_documents_of_two_senders_is_refused(api: Api) -> None:
    await api.send(SENDER, NEW)
    await api.send(NGHE_AN, document(NGHE_AN, [TAY_NINH], document_id=SECOND))
    code, body = await api.post(
        SENDER, api.agency(SENDER).sign(sample("document-replacement-two-unsigned.edxml"))
    )
    assert (code, body["code"]) == (422, "business.mixed_senders")
