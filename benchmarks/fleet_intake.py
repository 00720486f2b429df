"""Intake of one node against two, on one PostgreSQL: do nodes add up?

``python -m benchmarks.fleet_intake [--code DIR] [--messages N] [--json]``

One embedded PostgreSQL (fsync on) in a temporary folder; the schema,
trust anchor and agencies set up through the ``axis`` command line of the
code under test (``--code``: a checkout, default this one, so the same run
can measure main); N signed envelopes per phase, each sent once by ``wrk``
(a Lua script posts prepared files with their sender's bearer secret).
Phase one: one ``axis serve``, one ``wrk`` with 2 threads. Phase two: two
``axis serve`` on two ports, one ``wrk`` with 1 thread at each, the same
128 connections in all. Intake per second is counted from the database
(accepted messages over the span of their ``accepted_at``), so it does not
depend on how ``wrk`` times itself. During each phase PostgreSQL's wait
events are sampled: backends waiting on an advisory lock (the old audit
chain's), on the notification queue's lock (``Lock:object``, taken at
commit by a transaction that did NOTIFY) or on the WAL flush.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import contextlib
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from axis.demo import document as demo_document
from axis.settings import Settings
from axis.storage import database
from envelope import Organization, build
from signing import CertificateAuthority, IssuedCredential, sign
from signing.credentials import cached_key
from tests.support.databases import with_database

REPOSITORY = Path(__file__).resolve().parents[1]
SENDERS = 4
RECIPIENTS = 4
# Enough in flight that neither phase is bound by latency (group commit waits a flush).
CONNECTIONS = 128
SECRET_KEY = "fleet-intake-benchmark-key"

_LUA = r"""
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


def _free_port() -> int:
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


def _set_up(fleet: Fleet) -> tuple[list[IssuedCredential], list[str], dict[str, str]]:
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


def _prepare(
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


def _split(manifest: Path, parts: int) -> tuple[list[Path], int]:
    """The manifest in ``parts`` interleaved shares, and how many envelopes in all."""
    lines = manifest.read_text().splitlines()
    paths = []
    for part in range(parts):
        path = manifest.with_name(f"manifest.{part}")
        path.write_text("\n".join(lines[part::parts]) + "\n")
        paths.append(path)
    return paths, len(lines)


async def _wait_ready(port: int) -> None:
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


async def _sample_waits(url: str, stop: asyncio.Event) -> collections.Counter[str]:
    """How often backends of the benchmark database were seen waiting, by wait event."""
    seen: collections.Counter[str] = collections.Counter()
    connection = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            rows = await connection.fetch(
                "SELECT wait_event_type, wait_event, state FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            seen["samples"] += 1
            for row in rows:
                if row["state"] == "active":
                    seen["active"] += 1
                    if row["wait_event_type"] is not None:
                        seen[f"{row['wait_event_type']}:{row['wait_event']}"] += 1
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    return seen


async def _database_now(url: str) -> Any:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT clock_timestamp()")
    finally:
        await connection.close()


async def _until_answered(url: str, since: Any, expected: int) -> None:
    last, still = -1, time.monotonic()
    while time.monotonic() - still < 30:
        accepted, _ = await _intake_rate(url, since)
        if accepted >= expected:
            return
        if accepted != last:
            last, still = accepted, time.monotonic()
        await asyncio.sleep(0.2)


async def _intake_rate(url: str, since: Any) -> tuple[int, float]:
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


async def _phase(fleet: Fleet, manifest: Path, nodes: int) -> dict[str, Any]:
    ports = [_free_port() for _ in range(nodes)]
    servers = [fleet.serve(port) for port in ports]
    lua = fleet.folder / "post.lua"
    lua.write_text(_LUA)
    try:
        await asyncio.gather(*(_wait_ready(port) for port in ports))
        threads = 2 // nodes
        manifests, expected = _split(manifest, nodes)
        stop = asyncio.Event()
        sampling = asyncio.create_task(_sample_waits(fleet.url, stop))
        psutil.cpu_percent()
        load_before = os.getloadavg()[0]
        since = await _database_now(fleet.url)
        started = time.perf_counter()
        runs = [
            await asyncio.create_subprocess_exec(
                "wrk", "-t", str(threads), "-c", str(CONNECTIONS // nodes), "-d", "600s",
                "--timeout", "30s", "-s", str(lua), f"http://127.0.0.1:{port}",
                "--", str(part), str(threads),
                stdout=asyncio.subprocess.PIPE,
            )
            for port, part in zip(ports, manifests, strict=True)
        ]  # fmt: skip
        # wrk runs for its duration whatever its threads do: stop it (SIGINT makes it
        # report) once every envelope is answered, or nothing moves for 30 s.
        await _until_answered(fleet.url, since, expected)
        for run in runs:
            run.send_signal(signal.SIGINT)
        outputs = [(await run.communicate())[0].decode() for run in runs]
        elapsed = time.perf_counter() - started
        cpu_busy = psutil.cpu_percent()
        stop.set()
        waits = await sampling
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    statuses = [line for out in outputs for line in out.splitlines() if line.startswith("FLEET")]
    accepted, span = await _intake_rate(fleet.url, since)
    samples = max(1, waits.pop("samples"))
    return {
        "nodes": nodes,
        "accepted": accepted,
        "accepted_per_s": round(accepted / span, 1) if span else None,
        "wall_s": round(elapsed, 2),
        "wrk": statuses,
        "cpu_busy_percent": cpu_busy,
        "load_average_before": round(load_before, 2),
        # Backends seen per sample, by what they waited on.
        "waiting_per_sample": {
            name: round(count / samples, 3) for name, count in waits.most_common(8)
        },
    }


async def measure(code: Path, messages: int, size: int) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "benchmarks.fleet_intake needs wrk, a C load generator: apt-get install wrk"
        )
    folder = Path(tempfile.mkdtemp(prefix="axis-fleet-", dir="/tmp"))
    try:
        async with database.database_url(Settings(data_dir=folder / "pg")) as server_url:
            name = f"fleet_{uuid.uuid4().hex[:8]}"
            admin = await asyncpg.connect(server_url)
            try:
                await admin.execute('CREATE DATABASE "' + name + '"')
                fsync = await admin.fetchval("SHOW fsync")
            finally:
                await admin.close()
            fleet = Fleet(code, with_database(server_url, name), folder)
            credentials, recipients, secrets = await asyncio.to_thread(_set_up, fleet)
            one = await asyncio.to_thread(
                _prepare, fleet, "one", 0, messages, size, credentials, recipients, secrets
            )
            two = await asyncio.to_thread(
                _prepare, fleet, "two", messages, messages, size, credentials, recipients, secrets
            )
            single = await _phase(fleet, one, 1)
            double = await _phase(fleet, two, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    ratio = None
    if single["accepted_per_s"] and double["accepted_per_s"]:
        ratio = round(double["accepted_per_s"] / single["accepted_per_s"], 2)
    return {
        "code": str(code),
        "fsync": fsync,
        "messages_per_phase": messages,
        "size": size,
        "cores": os.cpu_count(),
        "one_node": single,
        "two_nodes": double,
        "ratio": ratio,
    }


def _describe(report: dict[str, Any]) -> str:
    one, two = report["one_node"], report["two_nodes"]
    return "\n".join(
        [
            f"code {report['code']}, fsync {report['fsync']}, {report['cores']} cores, "
            f"{report['messages_per_phase']} x {report['size']} B per phase",
            f"one node:  {one['accepted_per_s']}/s ({one['accepted']} accepted, "
            f"CPU {one['cpu_busy_percent']}%, load {one['load_average_before']})",
            f"two nodes: {two['accepted_per_s']}/s ({two['accepted']} accepted, "
            f"CPU {two['cpu_busy_percent']}%, load {two['load_average_before']})",
            f"ratio two/one: {report['ratio']}",
            f"waits, one node:  {one['waiting_per_sample']}",
            f"waits, two nodes: {two['waiting_per_sample']}",
        ]
    )


async def run() -> dict[str, Any]:
    """For ``benchmarks.fleet``: this checkout, the default sizes."""
    return await measure(REPOSITORY, 6000, 20_000)


def rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    one, two = report["one_node"], report["two_nodes"]
    return [
        (
            "intake, two nodes against one (wrk, 20 KB signed)",
            f"**{report['ratio']}x** ({two['accepted_per_s']}/s vs {one['accepted_per_s']}/s; "
            f"CPU {two['cpu_busy_percent']}% vs {one['cpu_busy_percent']}%)",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--code", type=Path, default=REPOSITORY, help="checkout to run")
    parser.add_argument("--messages", type=int, default=6000, help="envelopes per phase")
    parser.add_argument("--size", type=int, default=20_000, help="bytes per envelope")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    arguments = parser.parse_args()
    report = asyncio.run(measure(arguments.code.resolve(), arguments.messages, arguments.size))
    print(json.dumps(report) if arguments.json else _describe(report))


if __name__ == "__main__":
    main()
