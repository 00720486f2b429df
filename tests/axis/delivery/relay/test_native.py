"""The native hop's answers, classified as the push road's are (federation.md)."""

from __future__ import annotations

import json

from axis.delivery.push.client import PushResult
from axis.delivery.relay.hop import Hop
from axis.delivery.relay.native import classify, hop_headers
from axis.registry.peers import Peer, PeerProtocol
from axis.registry.routes import PeerPattern


def _problem(code: str, detail: str) -> str:
    return json.dumps({"code": code, "detail": detail})


def test_accepted_and_repeated_hops_are_relayed() -> None:
    assert classify(202, "Accepted", "{}", None).accepted
    assert classify(200, "OK", "{}", None).accepted


def test_a_permanent_refusal_keeps_the_peers_code_and_detail() -> None:
    outcome = classify(422, "Unprocessable", _problem("certificate.untrusted", "no anchor"), None)
    assert (outcome.code, outcome.detail) == ("certificate.untrusted", "no anchor")
    push = outcome.as_push_outcome()
    assert push.result is PushResult.DEAD and push.error == "certificate.untrusted: no anchor"


def test_408_429_and_5xx_are_retried_429_without_blaming_the_peer() -> None:
    for status in (408, 500, 503):
        outcome = classify(status, "", _problem("x", "y"), None)
        assert outcome.as_push_outcome().result is PushResult.RETRY and outcome.peer_failed
    limited = classify(429, "", _problem("rate.limited", ""), "7")
    assert limited.retry_after == 7 and not limited.peer_failed


def test_a_hop_carries_the_federation_headers() -> None:
    peer = Peer(
        "nation", "http://n", PeerProtocol.NATIVE, None, (PeerPattern.parse("*"),), "s", None
    )
    hop = Hop(peer, "m2", "province-a", "m1", ("a.H53", "b.H53"), ("province-a", "nation"), b"x")
    assert hop_headers(hop, "s") == {
        "Authorization": "Bearer s",
        "Content-Type": "application/xml",
        "X-Axis-Origin": "province-a",
        "X-Axis-Origin-Message-Id": "m1",
        "X-Axis-Recipients": "a.H53,b.H53",
        "X-Axis-Path": "province-a,nation",
    }
