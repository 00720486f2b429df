"""Signed edXML test envelopes and agencies registered to send them.

Real signatures from the session's development CA (``tests.support.agencies``),
real rows in the registry: what intake sees in tests is what it sees in production.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from aiohttp.test_utils import TestClient, TestServer

from axis.intake.service import Intake
from axis.registry.agencies import Registry
from axis.registry.peer_cache import PeerCache
from axis.runtime import Runtime, open_runtime
from axis.settings import Settings
from axis.storage.database import Pool, create_pool
from endpoints.application import build_application
from signing import IssuedCredential, SigningAlgorithm, sign
from tests.support.agencies import credential_for, register_agency, trust_test_ca
from tests.support.processes import TEST_SECRET_KEY

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

_ATTACHMENT_ID = "cid:att-1"
_serial = itertools.count(1)


def _organization(tag: str, organ_id: str) -> str:
    return (
        f"<{tag}><OrganId>{escape(organ_id)}</OrganId>"
        f"<OrganName>Agency {escape(organ_id)}</OrganName></{tag}>"
    )


def document(
    sender: str,
    recipients: list[str] | tuple[str, ...],
    *,
    document_id: str | None = None,
    subject: str = "V/v thử nghiệm",
    business_type: int = 0,
    acts_on: str | None = None,
    priority: int = 0,
    payload: bytes = b"hello",
) -> bytes:
    """An unsigned document; ``payload`` becomes its one attachment."""
    number = next(_serial)
    document_id = document_id or f"{sender},2026/11/20,{number}/TEST"
    acts = f"<DocumentId>{escape(acts_on)}</DocumentId>" if acts_on else ""
    encoded = base64.b64encode(payload).decode("ascii")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>'
        + _organization("From", sender)
        + "".join(_organization("To", recipient) for recipient in recipients)
        + f"<DocumentId>{escape(document_id)}</DocumentId>"
        f"<Code><CodeNumber>{number}</CodeNumber><CodeNotation>TEST</CodeNotation></Code>"
        f"<Subject>{escape(subject)}</Subject>"
        f"<OtherInfo><Priority>{priority}</Priority></OtherInfo>"
        "</MessageHeader><TraceHeaderList>"
        f"<TraceHeader><OrganId>{escape(sender)}</OrganId>"
        "<Timestamp>2026/11/20 09:15:00</Timestamp></TraceHeader>"
        f"<Bussiness><BussinessDocType>{business_type}</BussinessDocType>{acts}"
        "<Paper>0</Paper></Bussiness>"
        '</TraceHeaderList></edXMLHeader><edXMLBody><edXMLManifest version="1.0">'
        f"<Reference><ContentId>{_ATTACHMENT_ID}</ContentId>"
        "<ContentType>text/plain</ContentType><AttachmentName>a.txt</AttachmentName>"
        "</Reference></edXMLManifest></edXMLBody></edXMLEnvelope>"
        f"<AttachmentEncoded><Attachment><ContentId>{_ATTACHMENT_ID}</ContentId>"
        "<AttachmentName>a.txt</AttachmentName><ContentType>text/plain</ContentType>"
        f"<ContentTransferEncoded>{encoded}</ContentTransferEncoded></Attachment>"
        "</AttachmentEncoded></edXML>\n"
    ).encode()


def status(
    sender: str,
    original_sender: str,
    document_id: str,
    code: str,
    *,
    description: str = "",
    timestamp: str = "2026/11/20 10:02:31",
) -> bytes:
    """An unsigned status message about ``document_id`` from ``original_sender``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<edXML xmlns="{NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>'
        + _organization("From", sender)
        + f"<ResponseFor><OrganId>{escape(original_sender)}</OrganId>"
        f"<DocumentId>{escape(document_id)}</DocumentId></ResponseFor>"
        f"<StatusCode>{code}</StatusCode><Description>{escape(description)}</Description>"
        f"<Timestamp>{timestamp}</Timestamp>"
        "</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>\n"
    ).encode()


def document_id_of(data: bytes) -> str:
    start = data.index(b"<DocumentId>") + len(b"<DocumentId>")
    return data[start : data.index(b"</DocumentId>", start)].decode()


@dataclass
class TestAgency:
    __test__: ClassVar[bool] = False  # not a pytest class

    organ_id: str
    secret: str
    credential: IssuedCredential

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def sign(self, data: bytes, algorithm: SigningAlgorithm = SigningAlgorithm.RSA_SHA256) -> bytes:
        return sign(data, self.credential.private_key, self.credential.certificate,
                    algorithm=algorithm)  # fmt: skip


async def register(
    registry: Registry,
    organ_id: str,
    *,
    endpoint_url: str | None = None,
    with_certificate: bool = True,
) -> TestAgency:
    """Registers ``organ_id`` with the session CA's certificate for it (see agencies.py)."""
    credentials = await register_agency(
        registry, organ_id, endpoint_url=endpoint_url, with_certificate=with_certificate
    )
    return TestAgency(organ_id, credentials.secret, credential_for(organ_id))


@dataclass
class Broker:
    """A real runtime on a test database (the session CA trusted) and registered agencies."""

    runtime: Runtime
    agencies: dict[str, TestAgency] = field(default_factory=dict)

    @property
    def pool(self) -> Pool:
        return self.runtime.pool

    async def add(
        self, organ_id: str, *, endpoint_url: str | None = None, with_certificate: bool = True
    ) -> TestAgency:
        agency = await register(
            self.runtime.registry,
            organ_id,
            endpoint_url=endpoint_url,
            with_certificate=with_certificate,
        )
        self.agencies[organ_id] = agency
        return agency


@contextlib.asynccontextmanager
async def open_broker(database_url: str, **settings: Any) -> AsyncIterator[Broker]:
    """A broker whose agency cache never holds stale entries (tests change agencies often)."""
    config = Settings(database_url=database_url, secret_key=TEST_SECRET_KEY, **settings)
    pool = await create_pool(database_url, 8)
    runtime = open_runtime(config, pool)
    # Nor a peer snapshot older than the peers a test has just added.
    peer_cache = PeerCache(runtime.peers, recheck_interval=0.0)
    object.__setattr__(runtime, "peer_cache", peer_cache)
    object.__setattr__(
        runtime,
        "intake",
        Intake(config, pool, runtime.registry, runtime.trust, peer_cache, agency_ttl=0.0),
    )
    await trust_test_ca(pool)
    runtime.trust.invalidate()
    try:
        yield Broker(runtime)
    finally:
        await runtime.close()
        await pool.close()


@dataclass
class Api:
    """An HTTP client on the native API of a test broker, speaking as any of its agencies."""

    broker: Broker
    client: TestClient  # type: ignore[type-arg]

    def agency(self, organ_id: str) -> TestAgency:
        return self.broker.agencies[organ_id]

    async def post(self, organ_id: str, data: bytes) -> tuple[int, dict[str, Any]]:
        headers = {"Content-Type": "application/xml", **self.agency(organ_id).headers}
        async with self.client.post("/api/v1/messages", data=data, headers=headers) as answer:
            return answer.status, await answer.json(content_type=None)

    async def send(self, organ_id: str, unsigned: bytes) -> dict[str, Any]:
        code, body = await self.post(organ_id, self.agency(organ_id).sign(unsigned))
        assert code == 202, body
        return body

    async def get_json(self, organ_id: str, path: str) -> tuple[int, dict[str, Any]]:
        async with self.client.get(path, headers=self.agency(organ_id).headers) as answer:
            return answer.status, await answer.json(content_type=None)

    async def post_json(
        self, organ_id: str, path: str, body: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        async with self.client.post(
            path, json=body, headers=self.agency(organ_id).headers
        ) as answer:
            return answer.status, await answer.json(content_type=None)


@contextlib.asynccontextmanager
async def open_api(database_url: str, *organ_ids: str, **settings: Any) -> AsyncIterator[Api]:
    """A test HTTP server on a fresh broker with ``organ_ids`` registered (all pulling)."""
    async with open_broker(database_url, **settings) as broker:
        for organ_id in organ_ids:
            await broker.add(organ_id)
        client: TestClient = TestClient(TestServer(build_application(broker.runtime)))  # type: ignore[type-arg]
        await client.start_server()
        try:
            yield Api(broker, client)
        finally:
            await client.close()
