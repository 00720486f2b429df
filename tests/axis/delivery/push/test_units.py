"""Backoff, Retry-After, circuit breaker, signatures and answer classification."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from axis.delivery.push.backoff import Backoff, retry_after_seconds
from axis.delivery.push.circuit_breaker import Change, CircuitState, Judgement, replay
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


def test_circuit_opens_after_threshold_then_probes_once() -> None:
    closed, open_, half_open = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN
    failed, answered, neutral = Judgement.FAILED, Judgement.ANSWERED, Judgement.NEUTRAL
    assert replay(closed, 0, [failed, failed], threshold=3) == (2, Change.KEEP)
    assert replay(closed, 2, [neutral, failed], threshold=3) == (3, Change.OPEN)
    # Open: late answers of pushes started before are counted, change nothing.
    assert replay(open_, 3, [failed, answered], threshold=3) == (4, Change.KEEP)
    # Half-open: the probe decides; a failed probe opens it again.
    assert replay(half_open, 4, [failed], threshold=3) == (5, Change.OPEN)
    assert replay(half_open, 5, [answered], threshold=3) == (0, Change.CLOSE)
    # In order: a success resets the count, the failures after it count again.
    assert replay(closed, 2, [answered, failed, failed], threshold=3) == (2, Change.KEEP)
    assert replay(closed, 1, [failed, answered, failed], threshold=3) == (1, Change.KEEP)


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
