"""Intake at the machine's limit, driven from outside by ``wrk`` (issue #19).

``python -m benchmarks.intake_wrk [--messages N] [--size B] [--compare DIR] [--rounds R] [--json]``

One embedded PostgreSQL (fsync on) in a temporary folder; for each round a
fresh database set up through the ``axis`` command line of the code under
test, N signed envelopes from four agencies to four recipients, one
``axis serve --workers 2`` and one ``wrk`` (2 threads, 128 connections)
posting each envelope once. Accepted per second is counted from the
database (accepted messages over the span of their ``accepted_at``); p50/p99
are wrk's, so they include queueing at saturation.

In the same run, the raw limits: HTTP alone (``wrk`` against a bare aiohttp
"hello" in as many processes as the axis has workers) and the unavoidable
work per core (hardened parse, exclusive C14N, SHA-256, RSA verify:
:func:`benchmarks.verify.raw_verify` on the same envelopes), times the cores.

``--compare DIR`` measures another checkout (e.g. main's start commit) in
the same run, alternating builds round by round, so both sides see the
same neighbours on a shared machine. The envelopes, agencies and ``wrk``
script are :mod:`benchmarks.intake_rig`'s, shared with :mod:`benchmarks.fleet_intake`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from axis.settings import Settings
from axis.storage import database
from benchmarks import intake_rig
from benchmarks.intake_rig import CONNECTIONS, Fleet
from benchmarks.verify import raw_verify
from tests.support.databases import with_database

REPOSITORY = Path(__file__).resolve().parents[1]
WORKERS = 2
HTTP_SECONDS = 4

_BARE = """
import sys
from aiohttp import web
async def hello(request):
    return web.Response(text="hello")
app = web.Application()
app.router.add_get("/", hello)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), reuse_port=True, print=None,
            access_log=None)
"""


@dataclasses.dataclass(frozen=True, slots=True)
class Node(Fleet):
    """A rig node serving with ``workers`` processes sharing its port."""

    workers: int = WORKERS

    def environment(self) -> dict[str, str]:
        return {**Fleet.environment(self), "AXIS_WORKERS": str(self.workers)}


def _ensure_wrk() -> None:
    if shutil.which("wrk") is not None:
        return
    print("wrk is missing: installing it from Debian's packages", file=sys.stderr)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=True)


_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latencies(output: str) -> dict[str, float]:
    return {
        f"p{percent}_ms": round(float(value) * _UNIT_MS[unit], 2)
        for percent, value, unit in _LATENCY.findall(output)
    }


async def _wrk(*arguments: str) -> str:
    run = await asyncio.create_subprocess_exec(
        "wrk", "-t", "2", "-c", str(CONNECTIONS), "--latency", *arguments,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return (await run.communicate())[0].decode()


async def _http_limit(folder: Path) -> dict[str, float]:
    """Requests/s of a bare aiohttp route in WORKERS processes: what HTTP alone costs."""
    script = folder / "bare.py"
    script.write_text(_BARE)
    port = intake_rig.free_port()
    servers = [_start([sys.executable, str(script), str(port)]) for _ in range(WORKERS)]
    try:
        await _wait_listening(port)
        output = await _wrk("-d", f"{HTTP_SECONDS}s", f"http://127.0.0.1:{port}/")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait()
    match = _REQUESTS.search(output)
    return {"requests_per_s": float(match.group(1)) if match else 0.0, **_latencies(output)}


async def _wait_listening(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise RuntimeError(f"nothing listens on {port}")


def _crypto_limit(manifest: Path, folder: Path, seconds: float = 3.0) -> float:
    """Documents/s of one core doing only the unavoidable work, on this run's envelopes."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    for pem in folder.glob("*.G90.pem"):
        key = x509.load_pem_x509_certificate(pem.read_bytes()).public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        keys[pem.stem] = key
    paths = [line.split("\t")[1] for line in manifest.read_text().splitlines()[:200]]
    samples = []
    for path in paths:
        data = Path(path).read_bytes()
        sender = re.search(rb"<(?:\w+:)?OrganId>\s*([^<\s]+)", data)
        assert sender is not None
        samples.append((data, keys[sender.group(1).decode()]))
    timings = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for data, key in samples:
            started = time.process_time_ns()
            raw_verify(data, key)
            timings.append(time.process_time_ns() - started)
    return 1e9 / statistics.median(timings)


async def _new_database(server_url: str) -> str:
    name = f"intake_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute('CREATE DATABASE "' + name + '"')
    finally:
        await admin.close()
    return with_database(server_url, name)


def _start(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _profiler(pid: int, profile: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy over the server and its workers, collapsed stacks (``--profile``)."""
    if profile is None:
        return None
    return subprocess.Popen(
        ["py-spy", "record", "--subprocesses", "--nonblocking", "--format", "raw",
         "--rate", "200", "-o", str(profile), "-p", str(pid)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _round(
    code: Path, server_url: str, folder: Path, messages: int, size: int, profile: Path | None
) -> dict[str, Any]:
    node = Node(code, await _new_database(server_url), folder)
    credentials, recipients, secrets = await asyncio.to_thread(intake_rig.set_up, node)
    manifest = await asyncio.to_thread(
        intake_rig.prepare, node, "round", 0, messages, size, credentials, recipients, secrets
    )
    lua = folder / "post.lua"
    lua.write_text(intake_rig.POST_LUA)
    port = intake_rig.free_port()
    server = _start(
        [sys.executable, "-m", "axis", "serve", "--port", str(port)], code, node.environment()
    )
    try:
        await intake_rig.wait_ready(port)
        processes = [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]
        cpu_before = sum(sum(p.cpu_times()[:2]) for p in processes)
        load = os.getloadavg()[0]
        since = await intake_rig.database_now(node.url)
        profiler = _profiler(server.pid, profile)
        run = await asyncio.create_subprocess_exec(
            "wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", "600s", "--timeout", "30s",
            "--latency", "-s", str(lua), f"http://127.0.0.1:{port}", "--", str(manifest), "2",
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        await intake_rig.until_answered(node.url, since, messages)
        run.send_signal(signal.SIGINT)
        output = (await run.communicate())[0].decode()
        cpu_used = sum(sum(p.cpu_times()[:2]) for p in processes) - cpu_before
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait()
    finally:
        server.terminate()
        server.wait()
    accepted, span = await intake_rig.intake_rate(node.url, since)
    statuses = [line for line in output.splitlines() if line.startswith("FLEET")]
    crypto = await asyncio.to_thread(_crypto_limit, manifest, folder)
    shutil.rmtree(manifest.parent)
    return {
        "accepted": accepted,
        "accepted_per_s": round(accepted / span, 1) if span else None,
        **_latencies(output),
        "cpu_ms_per_document": round(cpu_used * 1000 / max(1, accepted), 3),
        "wrk": statuses,
        "load_average": round(load, 2),
        "raw_verify_per_core_per_s": round(crypto, 1),
    }


async def measure(
    codes: dict[str, Path], messages: int, size: int, rounds: int, profile: Path | None = None
) -> dict[str, Any]:
    _ensure_wrk()
    folder = Path(tempfile.mkdtemp(prefix="axis-intake-wrk-", dir="/tmp"))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in codes}
    try:
        http = await _http_limit(folder)
        async with database.database_url(Settings(data_dir=folder / "pg")) as server_url:
            for number in range(rounds):
                for name, code in codes.items():
                    print(f"round {number + 1}: {name} ({code})", file=sys.stderr, flush=True)
                    work = folder / f"{name}-{number}"
                    work.mkdir()
                    where = None if profile is None else Path(f"{profile}.{name}.{number}.txt")
                    results[name].append(
                        await _round(code, server_url, work, messages, size, where)
                    )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    cores = os.cpu_count() or 1
    summary = {}
    for name, runs in results.items():
        best = max(runs, key=lambda run: run["accepted_per_s"] or 0)
        crypto = statistics.median(run["raw_verify_per_core_per_s"] for run in runs)
        summary[name] = {
            "code": str(codes[name]),
            "accepted_per_s": best["accepted_per_s"],
            "p50_ms": best.get("p50_ms"),
            "p99_ms": best.get("p99_ms"),
            "cpu_ms_per_document": best["cpu_ms_per_document"],
            "raw_verify_limit_per_s": round(crypto * cores, 1),
            "rounds": runs,
        }
    return {
        "messages": messages,
        "size": size,
        "workers": WORKERS,
        "cores": cores,
        "http_limit": http,
        "builds": summary,
    }


def _describe(report: dict[str, Any]) -> str:
    http = report["http_limit"]
    lines = [
        f"{report['messages']} signed envelopes of {report['size']} B, axis serve --workers "
        f"{report['workers']}, wrk -t2 -c{CONNECTIONS}, {report['cores']} cores",
        f"raw limit, HTTP alone (bare aiohttp, {report['workers']} processes): "
        f"{http['requests_per_s']:.0f} requests/s (p50 {http.get('p50_ms')} ms, "
        f"p99 {http.get('p99_ms')} ms)",
    ]
    for name, build in report["builds"].items():
        loads = ", ".join(str(run["load_average"]) for run in build["rounds"])
        lines += [
            f"{name} ({build['code']}): {build['accepted_per_s']} accepted/s, "
            f"p50 {build['p50_ms']} ms, p99 {build['p99_ms']} ms, "
            f"{build['cpu_ms_per_document']} ms CPU per document (best of "
            f"{len(build['rounds'])}; each: "
            + ", ".join(str(run["accepted_per_s"]) for run in build["rounds"])
            + f"; load averages {loads})",
            f"  raw limit, parse + C14N + SHA-256 + RSA verify: "
            f"{build['raw_verify_limit_per_s']:.0f}/s on {report['cores']} cores",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="envelopes per round")
    parser.add_argument("--size", type=int, default=20_000, help="bytes per envelope")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per build")
    parser.add_argument("--compare", type=Path, help="another checkout, measured in turn")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--profile", type=Path, help="py-spy collapsed stacks to PATH.BUILD.N.txt")
    arguments = parser.parse_args()
    codes = {"this": REPOSITORY}
    if arguments.compare is not None:
        codes = {"compared": arguments.compare.resolve(), **codes}
    report = asyncio.run(
        measure(codes, arguments.messages, arguments.size, arguments.rounds, arguments.profile)
    )
    print(json.dumps(report) if arguments.json else _describe(report))


if __name__ == "__main__":
    main()
