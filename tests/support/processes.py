"""Real ``axis`` processes for end-to-end tests."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
# Servers on an external database need a key for agency secrets at rest.
TEST_SECRET_KEY = "axis-test-secret-key"


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    return {**os.environ, "AXIS_SECRET_KEY": TEST_SECRET_KEY, **(extra or {})}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def axis_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "axis", *arguments]


def run_axis(
    arguments: Sequence[str], environment: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        axis_command(*arguments),
        env=_environment(environment),
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return None


@dataclass
class ServerProcess:
    process: subprocess.Popen[str]
    base_url: str
    log_path: Path

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"axis exited early:\n{self.log()}")
            if http_status(self.base_url + "/readyz") == 200:
                return
            # Polls readiness itself up to a deadline (synchronous: callers use threads).
            time.sleep(0.1)
        raise AssertionError(f"axis was not ready within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_logged(self, text: str, count: int = 1, timeout: float = 30.0) -> None:
        """Waits until the log holds ``text`` ``count`` times (each supervised child logs)."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged {count} times:\n{self.log()}")
            time.sleep(0.05)

    def stop(self, stop_signal: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"axis did not stop within {timeout} s:\n{self.log()}") from None


def start_server(
    arguments: Sequence[str],
    log_path: Path,
    environment: Mapping[str, str] | None = None,
    port: int | None = None,
) -> ServerProcess:
    """``axis serve`` (add ``--no-work`` to ``arguments`` for an API-only node)."""
    return start_axis("serve", arguments, log_path, environment, port)


def start_worker(
    arguments: Sequence[str],
    log_path: Path,
    environment: Mapping[str, str] | None = None,
    port: int | None = None,
) -> ServerProcess:
    """``axis work``: a worker node; ``base_url`` serves its health and metrics."""
    return start_axis("work", arguments, log_path, environment, port)


def start_axis(
    command: str,
    arguments: Sequence[str],
    log_path: Path,
    environment: Mapping[str, str] | None = None,
    port: int | None = None,
) -> ServerProcess:
    port = port or free_port()
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        axis_command(command, "--port", str(port), *arguments),
        env=_environment(environment),
        cwd=REPOSITORY_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return ServerProcess(process, f"http://127.0.0.1:{port}", log_path)


# Between retries of one document after a 503 or a refused connection: short,
# so the figures show when intake works again, not how long a client waited.
RETRY_PAUSE = 0.05


@dataclass
class SubmissionOutcomes:
    """What continuous submission saw, answer by answer."""

    accepted: dict[str, str] = field(default_factory=dict)  # document id -> message id
    unavailable: int = 0  # 503 database.unavailable answers carrying Retry-After
    unreachable: int = 0  # refused or cut connections (a node stopping): retried
    failures: list[str] = field(default_factory=list)  # anything else: a bug
    # The longest stretch during which no document was accepted, in seconds.
    longest_gap: float = 0.0


class ContinuousSubmission:
    """Sends signed documents one after another until stopped, as an agency would.

    Each document is retried, on the next node in turn, until it is accepted:
    a 503 ``database.unavailable`` (with ``Retry-After``) and a refused or cut
    connection are the answers a client retries; anything else is a failure.
    """

    def __init__(
        self, base_urls: Sequence[str], secret: str, make_document: Callable[[int], bytes]
    ) -> None:
        self.base_urls = list(base_urls)
        self.secret = secret
        self.make_document = make_document
        self.outcomes = SubmissionOutcomes()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> ContinuousSubmission:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> SubmissionOutcomes:
        self._stop.set()
        assert self._task is not None
        await self._task
        return self.outcomes

    async def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self.secret}", "Content-Type": "application/xml"}
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            last_accepted = time.monotonic()
            number = 0
            while not self._stop.is_set():
                number += 1
                await self._deliver(session, number)
                now = time.monotonic()
                self.outcomes.longest_gap = max(self.outcomes.longest_gap, now - last_accepted)
                last_accepted = now

    async def _deliver(self, session: aiohttp.ClientSession, number: int) -> None:
        body = self.make_document(number)
        for attempt in itertools.count():
            base_url = self.base_urls[(number + attempt) % len(self.base_urls)]
            if await self._try(session, base_url, body):
                return
            await asyncio.sleep(RETRY_PAUSE)

    async def _try(self, session: aiohttp.ClientSession, base_url: str, body: bytes) -> bool:
        try:
            async with session.post(base_url + "/api/v1/messages", data=body) as response:
                text = await response.text()
                status, retry_after = response.status, response.headers.get("Retry-After")
        except (aiohttp.ClientConnectionError, TimeoutError):
            self.outcomes.unreachable += 1
            return False
        try:
            answer = json.loads(text)
        except ValueError:
            answer = {"text": text[:200]}
        if status in (200, 202):
            self.outcomes.accepted[answer["document_id"]] = answer["id"]
            return True
        if status == 503 and answer.get("code") == "database.unavailable" and retry_after:
            self.outcomes.unavailable += 1
            return False
        # Recorded and not retried: the test fails on any of these.
        self.outcomes.failures.append(f"{status} {answer}")
        return True
