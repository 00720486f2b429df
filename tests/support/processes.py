"""Real ``axis`` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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
