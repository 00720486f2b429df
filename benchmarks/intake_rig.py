"""The intake rig both wrk benchmarks share: agencies, signed envelopes, the wrk script.

A :class:`Fleet` is a code checkout on one benchmark database, driven
through its ``axis`` command line: :func:`set_up` migrates it, trusts a
fresh CA and registers four senders and four recipients; :func:`prepare`
signs a phase's envelopes on every core and writes them with a manifest
(bearer secret and path per line) that :data:`POST_LUA` posts, each once,
counting what was accepted. Intake is measured from the database
(:func:`intake_rate`: accepted messages over the span of their
``accepted_at``), so it does not depend on how ``wrk`` times itself.
Used by :mod:`benchmarks.fleet_intake` and :mod:`benchmarks.intake_wrk`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from axis.demo import document as demo_document
from envelope import Organization, build
from signing import CertificateAuthority, IssuedCredential, sign
from signing.credentials import cached_key

SENDERS = 4
RECIPIENTS = 4
# Enough in flight that neither phase is bound by latency (group commit waits a flush).
CONNECTIONS = 128
SECRET_KEY = "fleet-intake-benchmark-key"

POST_LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  local step = tonumber(args[2])
  requests = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % step == id then
      local secret, path = line:match("([^\t]+)\t(.+)")
      local file = io.open(path, "rb")
      local body = file:read("*a")
      file:close()
      table.insert(requests, wrk.format("POST", "/api/v1/messages",
        {["Authorization"] = "Bearer " .. secret, ["Content-Type"] = "application/xml"}, body))
    end
    i = i + 1
  end
  sent = 0
  accepted = 0
  other = 0
end
function request()
  sent = sent + 1
  if sent > #requests then wrk.thread:stop() end
  return requests[math.min(sent, #requests)]
end
function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("accepted")
    o = o + t:get("other")
  end
  io.write(string.format("FLEET accepted=%d other=%d\n", a, o))
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# (organ_id, private key PEM, certificate PEM): what a signing process can be handed.
Sender = tuple[str, bytes, bytes]


def _portable(credential: IssuedCredential) -> Sender:
    key = credential.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        credential.organ_id,
        key,
        credential.certificate.public_bytes(serialization.Encoding.PEM),
    )


def _sign_range(
    start: int, count: int, size: int, portable: list[Sender], recipients: list[str]
) -> list[bytes]:
    senders = [
        (
            organ_id,
            serialization.load_pem_private_key(key, None),
            x509.load_pem_x509_certificate(cert),
        )
        for organ_id, key, cert in portable
    ]
    template = demo_document.template()
    filler = base64.b64encode(os.urandom(max(0, size - 5000) * 3 // 4)).decode()
    today = time.strftime("%Y/%m/%d")
    signed = []
    for index in range(start, start + count):
        organ_id, key, certificate = senders[index % len(senders)]
        document = dataclasses.replace(
            template,
            sender=Organization(organ_id=organ_id),
            recipients=(Organization(organ_id=recipients[index % len(recipients)]),),
            document_id=f"{organ_id},{today},{index}/FLEET",
            content=filler,
        )
        signed.append(sign(build(document), key, certificate))
    return signed


@dataclasses.dataclass(frozen=True, slots=True)
class Fleet:
    code: Path
    url: str
    folder: Path

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(self.code),
            "AXIS_DATABASE_URL": self.url,
            "AXIS_SECRET_KEY": SECRET_KEY,
            "AXIS_LOG_LEVEL": "WARNING",
        }

    def axis(self, *arguments: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "axis", *arguments],
            cwd=self.code, env=self.environment(), capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"axis {' '.join(arguments)} failed: {done.stderr}")
        return done.stdout

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "axis", "serve", "--port", str(port)],
            cwd=self.code, env=self.environment(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip


def set_up(fleet: Fleet) -> tuple[list[IssuedCredential], list[str], dict[str, str]]:
    fleet.axis("migrate")
    authority = CertificateAuthority.create(name="fleet bench CA")
    ca = fleet.folder / "ca.pem"
    ca.write_bytes(authority.certificate.public_bytes(serialization.Encoding.PEM))
    fleet.axis("trust", "add", str(ca))
    secrets: dict[str, str] = {}
    credentials = []
    for index in range(SENDERS):
        credential = authority.issue(f"000.00.{index + 1:02d}.G90", key=cached_key("rsa", index))
        pem = fleet.folder / f"{credential.organ_id}.pem"
        pem.write_bytes(credential.certificate.public_bytes(serialization.Encoding.PEM))
        added = fleet.axis(
            "agency", "add", credential.organ_id, "--name", "sender", "--cert", str(pem), "--json"
        )
        secrets[credential.organ_id] = json.loads(added)["secret"]
        credentials.append(credential)
    recipients = [f"000.00.{index + 1:02d}.H90" for index in range(RECIPIENTS)]
    for organ_id in recipients:
        fleet.axis("agency", "add", organ_id, "--name", "recipient", "--json")
    return credentials, recipients, secrets


def prepare(
    fleet: Fleet, phase: str, start: int, count: int, size: int,
    credentials: list[IssuedCredential], recipients: list[str], secrets: dict[str, str],
) -> Path:  # fmt: skip
    """Signs the phase's envelopes on every core and writes them with a manifest for wrk."""
    folder = fleet.folder / phase
    folder.mkdir()
    cores = os.cpu_count() or 1
    share = -(-count // cores)
    portable = [_portable(credential) for credential in credentials]
    with ProcessPoolExecutor(cores) as pool:
        parts = pool.map(
            _sign_range,
            *zip(
                *[
                    (start + offset, min(share, count - offset), size, portable, recipients)
                    for offset in range(0, count, share)
                ],
                strict=True,
            ),
        )
        envelopes = [envelope for part in parts for envelope in part]
    lines = []
    for index, envelope in enumerate(envelopes):
        path = folder / f"{index:06d}.xml"
        path.write_bytes(envelope)
        sender = credentials[(start + index) % len(credentials)].organ_id
        lines.append(f"{secrets[sender]}\t{path}")
    manifest = folder / "manifest"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


async def wait_ready(port: int) -> None:
    for _ in range(600):
        with contextlib.suppress(OSError):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /readyz HTTP/1.0\r\n\r\n")
            await writer.drain()
            status = await reader.readline()
            writer.close()
            if b" 200 " in status:
                return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the node on port {port} did not become ready")


async def database_now(url: str) -> Any:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT clock_timestamp()")
    finally:
        await connection.close()


async def until_answered(url: str, since: Any, expected: int) -> None:
    last, still = -1, time.monotonic()
    while time.monotonic() - still < 30:
        accepted, _ = await intake_rate(url, since)
        if accepted >= expected:
            return
        if accepted != last:
            last, still = accepted, time.monotonic()
        await asyncio.sleep(0.2)


async def intake_rate(url: str, since: Any) -> tuple[int, float]:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(accepted_at) - min(accepted_at)) AS span "
            "FROM messages WHERE accepted_at >= $1",
            since,
        )
    finally:
        await connection.close()
    assert row is not None
    return int(row["n"]), float(row["span"] or 0.0)
