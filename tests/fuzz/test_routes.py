"""Every route of a served axis, fuzzed: no generated request is answered with a 5xx.

The axis runs for real on loopback (its own thread and event loop, a real
database); requests are written byte for byte, so what no HTTP client would
send (non-UTF-8 header bytes, NUL in a path) is sent too. The routes come
from the application's router, so a new route is fuzzed by construction;
query names come from the served OpenAPI where it describes the route.
Each answer must be below 500; a refusal of ``/api/`` is a problem body with
a code; every VXP answer is the SDK's JSON and never an internal failure.

``AXIS_FUZZ_EXAMPLES`` sets the number of generated requests (default 400);
the summary line printed at the end gives the figures (run with ``-s``).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from axis.vxp import OPERATIONS
from endpoints.application import build_application
from endpoints.openapi import DESCRIPTION
from tests.support.envelopes import document, open_broker
from tests.support.processes import free_port

SENDER, RECIPIENT = "000.00.00.G22", "000.00.00.H41"
OPERATOR_TOKEN = "fuzz-operator-token"
EXAMPLES = int(os.environ.get("AXIS_FUZZ_EXAMPLES", "400"))
# A long poll would only make the suite slow: `wait` is the one query value left out.
_SKIPPED_QUERY = {"wait"}


@dataclass
class Live:
    """An axis served on loopback from its own thread, with two agencies and a document."""

    database_url: str
    port: int = field(default_factory=free_port)
    routes: list[tuple[str, str]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    message_id: str = ""
    _ready: threading.Event = field(default_factory=threading.Event)
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None
    _failure: BaseException | None = None

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        # Limits far above the fuzz's pace: a 429 would stop a request before what is fuzzed.
        async with open_broker(
            self.database_url,
            operator_token=OPERATOR_TOKEN,
            rate_limit_source_per_minute=1_000_000,
            rate_limit_agency_per_minute=1_000_000,
        ) as broker:
            for organ_id in (SENDER, RECIPIENT):
                self.secrets[organ_id] = (await broker.add(organ_id)).secret
            agency = await broker.runtime.registry.require(SENDER)
            data = broker.agencies[SENDER].sign(document(SENDER, [RECIPIENT]))
            self.message_id = (await broker.runtime.intake.submit(agency, data)).id
            app = build_application(broker.runtime)
            self.routes = sorted(
                {(route.method, route.resource.canonical) for route in app.router.routes()
                 if route.resource is not None}
            )  # fmt: skip
            runner = web.AppRunner(app)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # surfaced by start()
            self._failure = error
            self._ready.set()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        assert self._ready.wait(120), "the fuzzed axis did not start"
        if self._failure is not None:
            raise self._failure
        return thread

    def stop(self, thread: threading.Thread) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        thread.join(60)

    def exchange(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(request)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(lines[0].split(" ", 2)[1]), headers, body


@pytest.fixture
def live(database_url: str) -> Iterator[Live]:
    served = Live(database_url)
    thread = served.start()
    try:
        yield served
    finally:
        served.stop(thread)


def _openapi_query_names(path: str) -> list[str]:
    names: list[str] = []
    for operation in DESCRIPTION["paths"].get(path, {}).values():
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] not in _SKIPPED_QUERY:
                names.append(parameter["name"])
    return names


# Hostile text: NUL and controls, non-UTF-8 bytes, Unicode digits, deep brackets, long runs.
_NASTY = st.sampled_from(
    [b"\x00", b"a\x00b", b"\x01\x1f\x7f", b"\xff\xfe", b"\xc3(", "4.²".encode(), "٣".encode(),
     b"[" * 3000, b"{" * 3000, b"x" * 5000, b"-1", b"99999999999999999999999", b"%00", b"..",
     "Đ".encode() * 600, b"' OR 1=1 --", b"<script>", b"0", b"true", b""]
)  # fmt: skip
# Well-formed values too, so requests get past the boundary into the handlers.
_PLAUSIBLE = st.one_of(
    st.sampled_from([SENDER, RECIPIENT, "edoc", "status", "done", "fail", "json", "csv", "1",
                     "2026-11-01", "true", "dead", "all", "to_01", "desc"]),
    st.from_regex(r"[A-Za-z0-9._-]{1,24}", fullmatch=True),
).map(str.encode)  # fmt: skip
_VALUES = st.one_of(
    _NASTY, _PLAUSIBLE, st.binary(max_size=40), st.text(max_size=40).map(str.encode)
)
_HEADER_VALUES = _VALUES.map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b"")[:6000])


def _credentials(live: Live) -> st.SearchStrategy[bytes | None]:
    return st.one_of(
        st.none(),
        st.just(f"Bearer {live.secrets[SENDER]}".encode()),
        st.just(f"Bearer {live.secrets[RECIPIENT]}".encode()),
        st.just(f"Bearer {OPERATOR_TOKEN}".encode()),
        _HEADER_VALUES.map(lambda raw: b"Bearer " + raw),
    )


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    )


def _bodies() -> st.SearchStrategy[tuple[bytes, bytes]]:
    json_values: st.SearchStrategy[Any] = st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        _containers,
        max_leaves=12,
    )
    return st.one_of(
        st.tuples(st.just(b""), st.just(b"")),
        st.tuples(st.just(b"application/json"), json_values.map(lambda v: json.dumps(v).encode())),
        st.tuples(st.just(b"application/json"), _VALUES),
        st.tuples(st.just(b"application/x-www-form-urlencoded"), _VALUES),
        st.tuples(st.just(b"application/xml"), _VALUES),
    )


@dataclass
class Tally:
    requests: int = 0
    routes: set[tuple[str, str]] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)


TALLY = Tally()


def _target(
    live: Live, canonical: str, values: list[bytes], query: list[tuple[str, bytes]]
) -> bytes:
    path = canonical
    for index, part in enumerate(path.split("/")):
        if part.startswith("{") and part.endswith("}"):
            raw = values[index % len(values)] if values else b""
            if part.startswith("{tail"):
                raw = raw or b"x"
                raw = b"vxp/" + raw if values and index % 2 else b"vxp/" + sorted(OPERATIONS)[
                    len(raw) % len(OPERATIONS)].encode()  # fmt: skip
                path = path.replace(part, raw.decode("latin-1"), 1)
                continue
            if raw == b"@message":
                raw = live.message_id.encode()
            path = path.replace(part, quote_from_bytes(raw, safe=""), 1)
    query_string = "&".join(f"{name}={quote_from_bytes(value, safe='')}" for name, value in query)
    return (path + ("?" + query_string if query_string else "")).encode("latin-1")


def _check(
    route: tuple[str, str], target: bytes, answer: tuple[int, dict[str, str], bytes]
) -> None:
    status, headers, body = answer
    TALLY.requests += 1
    TALLY.routes.add(route)
    TALLY.statuses[status] += 1
    where = f"{route[0]} {target[:200]!r} -> {status} {body[:300]!r}"
    if status >= 500:
        TALLY.server_errors.append(where)
    assert status < 500, where
    content_type = headers.get("content-type", "")
    if route[1].startswith("/api/") and status >= 400 and "text/plain" not in content_type:
        problem = json.loads(body)
        assert isinstance(problem.get("code"), str) and problem["status"] == status, where
    if route[1].startswith("/{tail") and "json" in content_type:
        answer_json = json.loads(body)
        assert status == 200 and answer_json["ErrorCode"] != "500", where


@pytest.mark.slow
def test_no_route_answers_a_server_error(live: Live) -> None:
    routes = [route for route in live.routes if route[0] != "HEAD"]

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(
        route=st.sampled_from(routes),
        values=st.lists(st.one_of(_VALUES, st.just(b"@message")), min_size=1, max_size=3),
        query=st.lists(st.tuples(st.text(max_size=8), _VALUES), max_size=3),
        documented=st.lists(_VALUES, max_size=4),
        credentials=_credentials(live),
        extra_header=st.one_of(st.none(), _HEADER_VALUES),
        body=_bodies(),
    )
    def one_request(
        route: tuple[str, str], values: list[bytes], query: list[tuple[str, bytes]],
        documented: list[bytes], credentials: bytes | None, extra_header: bytes | None,
        body: tuple[bytes, bytes],
    ) -> None:  # fmt: skip
        method, canonical = route
        names = _openapi_query_names(canonical)
        pairs = [(quote_from_bytes(name.encode(), safe=""), value) for name, value in query]
        pairs += [(names[i % len(names)], value) for i, value in enumerate(documented) if names]
        target = _target(live, canonical, values, pairs)
        content_type, payload = body if method != "GET" else (b"", b"")
        lines = [method.encode() + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1",
                 b"Connection: close", b"Content-Length: %d" % len(payload)]  # fmt: skip
        if credentials is not None:
            lines.append(b"Authorization: " + credentials)
        if extra_header is not None:
            lines.append(b"X-Fuzz: " + extra_header)
            lines.append(b"XroadVnpt-sign-header: " + extra_header)
            lines.append(b"XroadVnpt-hash-header: 00")
        if content_type:
            lines.append(b"Content-Type: " + content_type)
        request = b"\r\n".join(lines) + b"\r\n\r\n" + payload
        _check(route, target, live.exchange(request))

    one_request()
    # Every route once more with NUL in each place a value can go.
    for route in routes:
        target = _target(live, route[1], [b"a\x00b"], [("q", b"\x00")])
        request = (route[0].encode() + b" " + target + b" HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: close\r\nContent-Length: 0\r\n\r\n")  # fmt: skip
        _check(route, target, live.exchange(request))
    print(
        f"\nfuzz: {TALLY.requests} requests over {len(TALLY.routes)} of {len(routes)} routes, "
        f"{len(TALLY.server_errors)} 5xx; statuses {dict(sorted(TALLY.statuses.items()))}"
    )
    assert len(TALLY.routes) == len(routes)
    assert TALLY.server_errors == []
