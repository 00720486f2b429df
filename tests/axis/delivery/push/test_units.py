"""Backoff, Retry-After, circuit breaker, signatures and answer classification."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from axis.delivery.push.backoff import Backoff, retry_after_seconds
from axis.delivery.push.circuit_breaker import CircuitBreaker, CircuitState
from axis.delivery.push.client import Push, PushResult, classify, push_headers


def test_backoff_grows_exponentially_within_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=10.0, random=random.Random(7))
    for attempts, ceiling in ((0, 1.0), (1, 2.0), (3, 8.0), (4, 10.0), (500, 10.0)):
        draws = [backoff.delay(attempts) for _ in range(200)]
        assert all(0.0 <= draw <= ceiling for draw in draws)
        assert max(draws) > ceiling * 0.8  # full jitter spreads over the whole range


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def state_of(breaker: CircuitBreaker) -> CircuitState:
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_circuit_opens_after_threshold_then_probes_once() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cool_down=10.0, clock=clock)
    assert not breaker.failed() and not breaker.failed()
    assert breaker.slots(4) == 4
    assert breaker.failed()
    assert state_of(breaker) is CircuitState.OPEN and breaker.slots(4) == 0
    clock.now = 10.5
    assert state_of(breaker) is CircuitState.HALF_OPEN and breaker.slots(4) == 1
    breaker.started()
    assert breaker.slots(4) == 0  # one probe at a time
    assert breaker.failed()  # the probe failed: open again
    assert state_of(breaker) is CircuitState.OPEN and breaker.reopens_in == 10.0
    clock.now = 21.0
    breaker.started()
    breaker.succeeded()
    assert state_of(breaker) is CircuitState.CLOSED and breaker.slots(4) == 4


def test_signature_covers_timestamp_id_and_body_digest() -> None:
    body = b"<edXML/>"
    push = Push("http://x/in", "m-1", "edoc", "a.gov", body, hashlib.sha256(body).hexdigest())
    headers = push_headers(push, "s3cret", timestamp="1700000000")
    signed = f"1700000000.m-1.{hashlib.sha256(body).hexdigest()}".encode()
    expected = hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    assert headers["X-Axis-Signature"] == "sha256=" + expected
    assert headers["X-Axis-Timestamp"] == "1700000000"
    assert push_headers(push, "other", timestamp="1700000000") != headers


def test_classification() -> None:
    assert classify(204, "No Content", None).result is PushResult.DELIVERED
    for status in (408, 429, 500, 502, 503):
        assert classify(status, "x", None).result is PushResult.RETRY
    for status in (400, 401, 404, 410, 413, 301):
        assert classify(status, "x", None).result is PushResult.DEAD
    throttled = classify(429, "Too Many Requests", "7")
    assert throttled.retry_after == 7.0 and not throttled.endpoint_failed
    assert classify(500, "x", None).endpoint_failed
