"""``axis serve --demo``: a handful of agencies and documents flowing between them.

Demo agencies get keys from a development PKI kept in the data folder, the
PKI's CA becomes a trust anchor, and a background task plays the agencies:
senders submit signed documents, recipients fetch, acknowledge and answer
with receipts (01, 03, then 06), all through the real HTTP API, so every
page and metric shows life. For demonstrations only: the keys are not
protected.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography.hazmat.primitives import serialization

from axis.client.agency_client import AgencyClient, ApiRefusal
from axis.client.receipts import compose_receipt
from axis.demo import document as demo_document
from axis.registry import trust as trust_admin
from axis.registry.agencies import AgencyExists
from axis.runtime import Runtime
from axis.tasks import cancel_and_wait
from envelope import Code, Document, OtherInfo, Priority, StatusCode, build, parse
from envelope.header import Organization
from signing import DevelopmentPki, IssuedCredential, PkiError, sign

logger = logging.getLogger(__name__)

VIETNAM_TIME = timezone(timedelta(hours=7))


@dataclass(frozen=True, slots=True)
class DemoAgency:
    organ_id: str
    name: str


DEMO_AGENCIES = (
    DemoAgency("000.00.00.G22", "Văn phòng Chính phủ"),
    DemoAgency("000.00.00.G12", "Bộ Tư pháp"),
    DemoAgency("000.00.00.H41", "UBND tỉnh Nghệ An"),
    DemoAgency("000.00.00.H53", "UBND tỉnh Tây Ninh"),
    DemoAgency("000.00.01.H53", "Sở Nội vụ tỉnh Tây Ninh"),
)

SUBJECTS = (
    "V/v báo cáo tình hình cung cấp dịch vụ công trực tuyến toàn trình",
    "V/v triển khai Nghị định về quản lý văn bản điện tử",
    "V/v góp ý dự thảo Thông tư hướng dẫn lưu trữ hồ sơ",
    "V/v tổng hợp số liệu cải cách hành chính quý IV",
    "V/v chuẩn bị hội nghị trực tuyến toàn quốc",
)


@dataclass(frozen=True, slots=True)
class DemoCast:
    secrets: dict[str, str]
    credentials: dict[str, IssuedCredential]


async def prepare(runtime: Runtime) -> DemoCast:
    """Registers the demo agencies and trusts the demo CA (idempotent)."""
    pki = await asyncio.to_thread(
        DevelopmentPki.open_or_init, runtime.settings.data_dir / "demo-pki"
    )
    ca_pem = pki.ca_certificate.public_bytes(serialization.Encoding.PEM)
    with contextlib.suppress(trust_admin.TrustCertificateExists):
        await trust_admin.add_trust_certificate(runtime.pool, ca_pem, actor="demo")
    runtime.trust.invalidate()
    credentials: dict[str, IssuedCredential] = {}
    secrets: dict[str, str] = {}
    for agency in DEMO_AGENCIES:
        try:
            credential = pki.credential(agency.organ_id)
        except PkiError:  # not issued yet: issue it now
            credential = await asyncio.to_thread(pki.issue, agency.organ_id, name=agency.name)
        credentials[agency.organ_id] = credential
        certificate_pem = credential.certificate.public_bytes(serialization.Encoding.PEM)
        with contextlib.suppress(AgencyExists):
            await runtime.registry.add(
                agency.organ_id, agency.name, actor="demo", certificates=[certificate_pem]
            )
        secrets[agency.organ_id] = await runtime.registry.secret_of(agency.organ_id)
    return DemoCast(secrets, credentials)


def _document(cast: DemoCast, sender: str, recipients: list[str], number: int) -> bytes:
    sample = demo_document.template()
    today = datetime.now(VIETNAM_TIME).date()
    notation = "DEMO-" + sender.rsplit(".", 1)[-1]
    names = {agency.organ_id: agency.name for agency in DEMO_AGENCIES}
    priority = random.choice((Priority.NORMAL,) * 6 + (Priority.URGENT, Priority.EXPRESS))
    document = dataclasses.replace(
        sample,
        sender=Organization(organ_id=sender, organ_name=names[sender]),
        recipients=tuple(Organization(organ_id=r, organ_name=names[r]) for r in recipients),
        document_id=f"{sender},{today:%Y/%m/%d},{number}/{notation}",
        code=Code(number=str(number), notation=notation),
        subject=random.choice(SUBJECTS),
        due_date=today + timedelta(days=random.randint(3, 14)),
        other_info=dataclasses.replace(sample.other_info or OtherInfo(), priority=priority),
    )
    credential = cast.credentials[sender]
    return sign(build(document), credential.private_key, credential.certificate)


async def _answer(client: AgencyClient, cast: DemoCast, organ_id: str) -> None:
    """One recipient's round: fetch what arrived, acknowledge, send receipts."""
    page = await client.inbox(limit=20)
    for item in page["items"]:
        body = await client.get(item["id"])
        await client.ack(item["id"])
        if item["kind"] != "edoc":
            continue
        document = parse(body)
        if not isinstance(document, Document):
            continue
        credential = cast.credentials[organ_id]
        codes = [StatusCode.ARRIVED, StatusCode.ACCEPTED]
        if random.random() < 0.6:
            codes += [StatusCode.ASSIGNED, StatusCode.PROCESSING, StatusCode.COMPLETED]
        elif random.random() < 0.1:
            codes = [StatusCode.ARRIVED, StatusCode.REJECTED]
        for code in codes:
            receipt = compose_receipt(document, Organization(organ_id=organ_id), code)
            signed = sign(build(receipt), credential.private_key, credential.certificate)
            await client.send(signed)


async def play(runtime: Runtime, cast: DemoCast, *, interval: float = 3.0) -> None:
    """Keeps documents and receipts flowing until cancelled."""
    base_url = runtime.settings.base_url
    clients = {
        organ_id: AgencyClient(base_url, secret) for organ_id, secret in cast.secrets.items()
    }
    number = int(datetime.now(VIETNAM_TIME).timestamp()) % 100_000
    try:
        while True:
            number += 1
            sender = random.choice(list(clients))
            others = [organ_id for organ_id in clients if organ_id != sender]
            recipients = random.sample(others, k=random.randint(1, 3))
            try:
                envelope = await asyncio.to_thread(_document, cast, sender, recipients, number)
                await clients[sender].send(envelope)
                for organ_id, client in clients.items():
                    await _answer(client, cast, organ_id)
            except (ApiRefusal, OSError) as error:
                logger.warning("demo round failed", extra={"error": str(error)})
            await asyncio.sleep(interval)
    finally:
        for client in clients.values():
            await client.close()


def describe(cast: DemoCast) -> list[str]:
    lines = ["Demo agencies (secrets are for the demo only):"]
    for agency in DEMO_AGENCIES:
        lines.append(f"  {agency.organ_id}  {agency.name}  secret: {cast.secrets[agency.organ_id]}")
    return lines


@contextlib.asynccontextmanager
async def running(runtime: Runtime) -> AsyncIterator[None]:
    """Prepares the demo, plays it in the background while the block runs."""
    cast = await prepare(runtime)
    for line in describe(cast):
        print(line, flush=True)
    task = asyncio.create_task(play(runtime, cast))
    try:
        yield
    finally:
        await cancel_and_wait(task)
