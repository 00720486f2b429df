"""``axis bench``: the whole road measured, beside the raw cost of its unavoidable work.

A fresh embedded database in a temporary folder, a real ``axis serve``
(``--workers W``), agencies registered with development-PKI certificates,
N signed envelopes of the requested size submitted over HTTP with C in
flight, and the recipients pulling them from their inboxes. In the same run,
on the same machine, one core does the unavoidable work per message (parse,
canonicalise, digest, verify, one durable insert) so the figures can be read
as a ratio, which stays meaningful on a noisy machine.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import shutil
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives import serialization

from axis.bench.load import Load, LoadFigures, apply_load
from axis.client.agency_client import AgencyClient
from axis.demo import document as demo_document
from axis.registry import trust as trust_admin
from axis.registry.agencies import Registry
from axis.registry.secret_box import local_secret_key, secret_box_for
from axis.settings import Settings
from axis.storage import database
from envelope import Organization, build, parse_tree, parse_valid
from signing import CertificateAuthority, IssuedCredential, TrustStore, sign, verify
from signing.credentials import cached_key

RECIPIENTS = 4
SENDERS = 4


@dataclass(frozen=True, slots=True)
class BenchResult:
    messages: int
    size: int
    workers: int
    figures: LoadFigures
    raw_limit_per_s: float
    ratio_to_raw: float
    pull_road: str = "single"

    def as_dict(self) -> dict[str, Any]:
        """Flat, in the order of cli.md's ``--json`` keys."""
        return {
            "messages": self.messages,
            "size": self.size,
            "workers": self.workers,
            **dataclasses.asdict(self.figures),
            "raw_limit_per_s": self.raw_limit_per_s,
            "ratio_to_raw": self.ratio_to_raw,
            # Added after cli.md's keys: "single" (fetch and ack per message) or "batch".
            "pull_road": self.pull_road,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _envelopes(
    count: int, size: int, senders: list[IssuedCredential], recipients: list[str]
) -> list[bytes]:
    template = demo_document.template()
    filler = base64.b64encode(os.urandom(max(0, size - 5000) * 3 // 4)).decode()
    envelopes = []
    today = time.strftime("%Y/%m/%d")
    for index in range(count):
        credential = senders[index % len(senders)]
        document = dataclasses.replace(
            template,
            sender=Organization(organ_id=credential.organ_id),
            recipients=(Organization(organ_id=recipients[index % len(recipients)]),),
            document_id=f"{credential.organ_id},{today},{index}/BENCH",
            content=filler,
        )
        envelopes.append(sign(build(document), credential.private_key, credential.certificate))
    return envelopes


async def _raw_cost(envelopes: list[bytes], trust: TrustStore, url: str) -> float:
    """Seconds of one core per message for parse, C14N, digest, verify and one durable insert."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "CREATE TEMP TABLE raw_bench (id bigserial, body bytea);"
            "ALTER TABLE raw_bench ALTER COLUMN body SET STORAGE EXTERNAL"
        )
        sample = envelopes[: min(len(envelopes), 300)]
        verify(sample[0], trust)  # warm the chain cache, as the axis has it warm
        started = time.process_time()
        for envelope in sample:
            tree = parse_tree(envelope)
            parse_valid(envelope, tree=tree)
            verify(envelope, trust, tree=tree)
        cpu = time.process_time() - started
        # The durable insert: batched 100 a commit, as a well-built broker would.
        insert_started = time.perf_counter()
        for offset in range(0, len(sample), 100):
            async with connection.transaction():
                await connection.executemany(
                    "INSERT INTO raw_bench (body) VALUES ($1)",
                    [(body,) for body in sample[offset : offset + 100]],
                )
        insert = time.perf_counter() - insert_started
        return (cpu + insert) / len(sample)
    finally:
        await connection.close()


@dataclass(frozen=True, slots=True)
class BenchOptions:
    messages: int = 2000
    size: int = 20_000
    concurrency: int = 32
    workers: int = 2
    # Submissions per second; None submits as fast as the axis accepts.
    rate: float | None = None
    # Recipients take the batch pull road (one fetch and one ack per inbox page).
    batch: bool = False


async def run_bench(options: BenchOptions) -> BenchResult:
    folder = Path(tempfile.mkdtemp(prefix="axis-bench-", dir="/tmp"))
    settings = Settings(data_dir=folder / "data", workers=options.workers, port=_free_port())
    try:
        async with database.database_url(settings) as url:
            return await _bench(settings, url, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _bench(settings: Settings, url: str, options: BenchOptions) -> BenchResult:
    connection = await database.connect(url)
    from axis.storage import migrator  # noqa: PLC0415 - only the bench migrates from here

    await migrator.migrate(connection)
    await connection.close()
    pool = await database.create_pool(url, 4)
    authority = CertificateAuthority.create(name="axis bench CA")
    await trust_admin.add_trust_certificate(
        pool, authority.certificate.public_bytes(serialization.Encoding.PEM), actor="bench"
    )
    registry = Registry(pool, secret_box_for(settings))
    sender_ids = [f"000.00.{index:02d}.G90" for index in range(1, SENDERS + 1)]
    recipient_ids = [f"000.00.{index:02d}.H90" for index in range(1, RECIPIENTS + 1)]
    credentials = [
        authority.issue(organ_id, key=cached_key("rsa", index))
        for index, organ_id in enumerate(sender_ids)
    ]
    secrets: dict[str, str] = {}
    for credential in credentials:
        pem = credential.certificate.public_bytes(serialization.Encoding.PEM)
        added = await registry.add(credential.organ_id, "bench sender", certificates=[pem])
        secrets[credential.organ_id] = added.secret
    for organ_id in recipient_ids:
        secrets[organ_id] = (await registry.add(organ_id, "bench recipient")).secret
    await pool.close()

    envelopes = await asyncio.to_thread(
        _envelopes, options.messages, options.size, credentials, recipient_ids
    )
    trust = TrustStore([authority.certificate])
    raw_cost = await _raw_cost(envelopes, trust, url)
    raw_limit = (os.cpu_count() or 1) / raw_cost

    environment = dict(
        os.environ,
        AXIS_DATABASE_URL=url,
        AXIS_SECRET_KEY=local_secret_key(settings),
        AXIS_LOG_LEVEL="WARNING",
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "axis", "serve", "--port", str(settings.port),
        "--workers", str(settings.workers), env=environment,
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await _wait_ready(settings.base_url)
        # _envelopes() assigns senders round-robin; the submissions keep that pairing.
        figures = await apply_load(
            Load(
                base_url=settings.base_url,
                server_pid=server.pid,
                submissions=[
                    (sender_ids[index % len(sender_ids)], envelope)
                    for index, envelope in enumerate(envelopes)
                ],
                secrets=secrets,
                recipient_ids=recipient_ids,
                concurrency=options.concurrency,
                rate=options.rate,
                batch=options.batch,
            )
        )
        return BenchResult(
            messages=options.messages,
            size=options.size,
            workers=options.workers,
            figures=figures,
            raw_limit_per_s=round(raw_limit, 1),
            ratio_to_raw=round(figures.accepted_per_s / raw_limit, 3),
            pull_road="batch" if options.batch else "single",
        )
    finally:
        server.terminate()
        await server.wait()


async def _wait_ready(base_url: str) -> None:
    async with AgencyClient(base_url, "-") as client:
        session = client._session  # a plain GET; no credentials needed
        for _ in range(600):
            try:
                async with session.get(base_url + "/readyz") as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the benchmark server did not become ready")
