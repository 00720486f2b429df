"""Large envelopes through a real ``axis serve``: time and memory (issue #17).

Run: ``python -m benchmarks.large_envelopes [--sizes 1,20,100,150] [--concurrent 5]``.

A fresh embedded database, ``axis serve --workers 1`` and signed envelopes
(one random attachment each) made once into a temporary folder. For each
size: seconds to accept (``POST /api/v1/messages``, streamed from the file)
and to fetch (``GET /api/v1/messages/{id}``, hashed as it arrives: the
sha256 must equal the sender's), the axis process's peak RSS growth over its
idle RSS as a multiple of the envelope's size, and PostgreSQL's peak RSS
growth (all its processes together) beside. Then N envelopes of the third
size uploaded at once: the node's peak RSS growth. RSS is sampled every
10 ms from /proc (psutil); "anon" is the part not backed by a file.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
import psutil
from cryptography.hazmat.primitives import serialization

from axis.registry import trust as trust_admin
from axis.registry.agencies import Registry
from axis.registry.secret_box import local_secret_key, secret_box_for
from axis.settings import Settings
from axis.storage import database, migrator
from signing import CertificateAuthority, IssuedCredential
from signing.credentials import cached_key
from tests.support.large_envelopes import LargeEnvelope, write_large_envelope
from tests.support.processes import free_port

MB = 1_000_000
RECIPIENT = "000.00.01.H95"
T = TypeVar("T")


@dataclass
class Peak:
    """The largest RSS of a set of processes seen while sampling."""

    processes: list[psutil.Process]
    rss: int = 0
    anon: int = 0

    def sample(self) -> None:
        rss = anon = 0
        for process in self.processes:
            try:
                info = process.memory_info()
            except psutil.NoSuchProcess:
                continue
            rss += info.rss
            anon += info.rss - info.shared
        self.rss, self.anon = max(self.rss, rss), max(self.anon, anon)


async def _measured(work: Awaitable[T], peaks: list[Peak]) -> tuple[T, float]:
    for peak in peaks:
        peak.sample()
    task = asyncio.ensure_future(work)
    started = time.perf_counter()
    while not task.done():
        for peak in peaks:
            peak.sample()
        await asyncio.sleep(0.01)
    return task.result(), time.perf_counter() - started


def _postgres(data_dir: Path) -> list[psutil.Process]:
    """This run's embedded cluster: the postmaster started on ``data_dir``, its children."""
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and any(
            str(data_dir) in argument for argument in process.info["cmdline"] or ()
        ):
            return [process, *process.children(recursive=True)]
    return []


async def _accept(http: aiohttp.ClientSession, base: str, secret: str, envelope: Path) -> str:
    with envelope.open("rb") as file:
        async with http.post(
            base + "/api/v1/messages",
            data=file,
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/xml"},
        ) as answer:
            body = await answer.json(content_type=None)
            if answer.status not in (200, 202):
                raise RuntimeError(f"refused: {answer.status} {body}")
            return str(body["id"])


async def _fetch(http: aiohttp.ClientSession, base: str, secret: str, message_id: str) -> str:
    digest = hashlib.sha256()
    async with http.get(
        base + f"/api/v1/messages/{message_id}", headers={"Authorization": f"Bearer {secret}"}
    ) as answer:
        async for piece in answer.content.iter_chunked(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Node:
    base: str
    pid: int
    secrets: dict[str, str]
    data_dir: Path


async def _one(http: aiohttp.ClientSession, node: Node, sender: str, env: LargeEnvelope) -> str:
    axis = [psutil.Process(node.pid)]
    idle = Peak(axis)
    idle.sample()
    accept_peak, pg_peak = Peak(axis), Peak(_postgres(node.data_dir))
    pg_idle = Peak(pg_peak.processes)
    pg_idle.sample()
    message_id, accept_s = await _measured(
        _accept(http, node.base, node.secrets[sender], env.path), [accept_peak, pg_peak]
    )
    fetch_peak = Peak(axis)
    digest, fetch_s = await _measured(
        _fetch(http, node.base, node.secrets[RECIPIENT], message_id), [fetch_peak]
    )
    exact = "yes" if digest == env.sha256 else "NO"

    def times(peak: Peak) -> str:
        rss, anon = (peak.rss - idle.rss) / env.size, (peak.anon - idle.anon) / env.size
        return f"{rss:5.2f}x ({anon:4.2f}x)"

    return (
        f"| {env.size / MB:6.1f} | {accept_s:6.2f} | {fetch_s:5.2f} | {times(accept_peak)} | "
        f"{times(fetch_peak)} | {(pg_peak.rss - pg_idle.rss) / MB:7.0f} MB | {exact} |"
    )


async def _at_once(
    http: aiohttp.ClientSession, node: Node, envelopes: list[tuple[str, LargeEnvelope]]
) -> str:
    axis = Peak([psutil.Process(node.pid)])
    idle = Peak(axis.processes)
    idle.sample()
    pg = Peak(_postgres(node.data_dir))
    pg_idle = Peak(pg.processes)
    pg_idle.sample()
    uploads = asyncio.gather(
        *(_accept(http, node.base, node.secrets[sender], env.path) for sender, env in envelopes)
    )
    _, seconds = await _measured(uploads, [axis, pg])
    total = sum(env.size for _, env in envelopes)
    return (
        f"{len(envelopes)} x {envelopes[0][1].size / MB:.0f} MB at once: {seconds:.1f} s, axis RSS "
        f"+{(axis.rss - idle.rss) / MB:.0f} MB (anon +{(axis.anon - idle.anon) / MB:.0f} MB) for "
        f"{total / MB:.0f} MB sent; PostgreSQL +{(pg.rss - pg_idle.rss) / MB:.0f} MB"
    )


async def _register(
    url: str, settings: Settings, senders: list[str]
) -> tuple[dict[str, str], list[IssuedCredential]]:
    connection = await database.connect(url)
    await migrator.migrate(connection)
    await connection.close()
    pool = await database.create_pool(url, 2)
    authority = CertificateAuthority.create(name="axis large-envelope bench CA")
    await trust_admin.add_trust_certificate(
        pool, authority.certificate.public_bytes(serialization.Encoding.PEM), actor="bench"
    )
    registry = Registry(pool, secret_box_for(settings))
    secrets: dict[str, str] = {}
    credentials = [authority.issue(s, key=cached_key("rsa", i)) for i, s in enumerate(senders)]
    for credential in credentials:
        pem = credential.certificate.public_bytes(serialization.Encoding.PEM)
        added = await registry.add(credential.organ_id, "sender", certificates=[pem])
        secrets[credential.organ_id] = added.secret
    secrets[RECIPIENT] = (await registry.add(RECIPIENT, "recipient")).secret
    await pool.close()
    return secrets, credentials


async def _run(sizes: list[int], concurrent: int, folder: Path) -> None:
    settings = Settings(data_dir=folder / "data", workers=1, port=free_port())
    senders = [f"000.00.{index:02d}.G95" for index in range(1, len(sizes) + concurrent + 2)]
    async with database.database_url(settings) as url:
        secrets, credentials = await _register(url, settings, senders)
        started = time.perf_counter()
        singles = [
            (c.organ_id, write_large_envelope(folder, c, RECIPIENT, size))
            for c, size in zip(credentials, sizes, strict=False)
        ]
        crowd = [
            (c.organ_id, write_large_envelope(folder, c, RECIPIENT, sizes[min(2, len(sizes) - 1)]))
            for c in credentials[len(sizes) : -1]
        ]
        # One envelope through first, so caches and pools are warm for every figure.
        warm = write_large_envelope(folder, credentials[-1], RECIPIENT, 2 * MB)
        print(f"envelopes made in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        environment = dict(
            os.environ, AXIS_DATABASE_URL=url, AXIS_SECRET_KEY=local_secret_key(settings),
            AXIS_LOG_LEVEL="WARNING", AXIS_DATA_DIR=str(settings.data_dir),
        )  # fmt: skip
        server = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "axis", "serve", "--port", str(settings.port),
            "--workers", "1", env=environment, stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            node = Node(settings.base_url, server.pid, secrets, settings.data_dir)
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as http:
                await _ready(http, node.base)
                await _one(http, node, credentials[-1].organ_id, warm)
                print(f"load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
                print("|   MB   | accept s | fetch s | axis RSS growth, accept (anon) | "
                      "fetch (anon) | PostgreSQL, accept | byte-exact |")  # fmt: skip
                print("|---|---|---|---|---|---|---|")
                for sender, envelope in singles:
                    print(await _one(http, node, sender, envelope), flush=True)
                if crowd:
                    print(await _at_once(http, node, crowd))
                print(f"load after: {os.getloadavg()[0]:.2f}")
        finally:
            server.terminate()
            await server.wait()


async def _ready(http: aiohttp.ClientSession, base: str) -> None:
    for _ in range(600):
        try:
            async with http.get(base + "/readyz") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the axis did not get ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,20,100,150", help="envelope sizes in MB")
    parser.add_argument("--concurrent", type=int, default=5, help="uploads at once")
    options = parser.parse_args()
    sizes = [int(float(text) * MB) for text in options.sizes.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="axis-large-", dir="/tmp"))
    try:
        asyncio.run(_run(sizes, options.concurrent, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
