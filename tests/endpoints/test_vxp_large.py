"""A large file through the VXP surface (issue #17): sendEdoc spooled, getEdoc and
downloadEdoc streamed piece by piece, byte for byte as the native road."""

from __future__ import annotations

import base64
import hashlib
import os

from tests.endpoints.test_vxp import (  # noqa: F401 - the fixture is used by name
    EDOC,
    FIRST,
    SENDER,
    Surface,
    call,
    sdk_json,
    surface_fixture,
)
from tests.support import envelopes
from tests.support.vxp_client import Answer, lossy_hash_file

SIZE = 3 * 1024 * 1024  # over the spool's threshold and over three body pieces


async def test_a_large_file_goes_through_vxp_byte_exact(surface: Surface) -> None:
    agencies = surface.broker.agencies
    data = agencies[SENDER].sign(
        envelopes.document(SENDER, [FIRST], payload=os.urandom(SIZE * 3 // 4))
    )
    sender = surface.sdk(agencies[SENDER])
    sent = sdk_json(await call(sender.send_edoc, {**EDOC, "to": FIRST}, data))
    assert sent["status"] == "OK", sent
    doc_id = sent["DocId"]
    parts = await surface.broker.pool.fetchval(
        "SELECT count(*) FROM message_bodies WHERE message_id = $1", doc_id
    )
    assert parts == 4  # 1 MiB pieces: the CRLF the SDK adds is not stored

    recipient = surface.sdk(agencies[FIRST])
    fetched = sdk_json(await call(recipient.get_edoc, {"docId": doc_id, "filePath": "/tmp/x"}))
    assert fetched["ErrorCode"] == "0" and base64.b64decode(fetched["data"]) == data
    downloaded = await call(recipient.download_edoc, {"docId": doc_id, "filePath": "/tmp/x"})
    assert downloaded.status == 200
    assert hashlib.sha256(downloaded.body).digest() == hashlib.sha256(data).digest()


async def test_a_large_file_with_a_wrong_hash_file_is_refused(surface: Surface) -> None:
    agencies = surface.broker.agencies
    data = agencies[SENDER].sign(
        envelopes.document(SENDER, [FIRST], payload=os.urandom(SIZE * 3 // 4))
    )
    sender = surface.sdk(agencies[SENDER])
    changed = data[:-100] + data[-100:].replace(b"<", b" <", 1)

    def send_changed() -> Answer:  # the hash-file of ``data``, the bytes of ``changed``
        sender.header_map["hash-file"] = lossy_hash_file(data)
        request = sender.build_request(
            "sendEdoc", {**EDOC, "to": FIRST}, content_type="application/octet-stream",
            body=changed + b"\r\n", send_edoc=True,
        )  # fmt: skip
        return sender.call(request)

    sent = sdk_json(await call(send_changed))
    assert sent["status"] == "FAIL" and "hash-file" in sent["ErrorDesc"], sent
