"""Routing a document's recipients: local first, then the most specific peer (issue #16)."""

from __future__ import annotations

import pytest

from axis.intake.planning import route_document
from axis.intake.refusals import InvalidMessage, RelayLoop
from axis.registry.agencies import Agency
from axis.registry.routes import PeerPattern, PeerRoute, RouteTable
from axis.vocabulary import DeliveryMode

TABLE = RouteTable(
    [
        PeerRoute("nation", (PeerPattern.parse("*"),)),
        PeerRoute("province-b", (PeerPattern.parse("*.*.*.H53"),)),
    ]
)


def _agency(organ_id: str, *, push: bool = False, active: bool = True) -> Agency:
    return Agency(organ_id, organ_id, None, organ_id, "http://x/in" if push else None, False,
                  active)  # fmt: skip


def _always(_peer: str, _organ_id: str) -> bool:
    return True


def test_local_first_then_the_most_specific_peer() -> None:
    known = {"000.00.01.H40": _agency("000.00.01.H40", push=True)}
    routed = route_document(
        ["000.00.01.H40", "000.00.01.H53", "000.00.00.G22"], known, TABLE, _always
    )
    assert routed.routes == (
        ("000.00.01.H40", DeliveryMode.PUSH),
        ("000.00.01.H53", DeliveryMode.RELAY),
        ("000.00.00.G22", DeliveryMode.RELAY),
    )
    assert dict(routed.relays) == {"000.00.01.H53": "province-b", "000.00.00.G22": "nation"}


def test_no_route_and_an_unsynced_absence_are_unknown() -> None:
    with pytest.raises(InvalidMessage) as refused:
        route_document(["000.00.01.H53"], {}, RouteTable([]), _always)
    assert refused.value.code == "recipient.unknown"
    with pytest.raises(InvalidMessage) as absent:
        route_document(["000.00.01.H53"], {}, TABLE, lambda peer, _: peer != "province-b")
    assert absent.value.code == "recipient.unknown"


def test_a_suspended_local_recipient_is_refused() -> None:
    known = {"000.00.01.H40": _agency("000.00.01.H40", active=False)}
    with pytest.raises(InvalidMessage) as refused:
        route_document(["000.00.01.H40"], known, TABLE, _always)
    assert refused.value.code == "recipient.suspended"


def test_a_recipient_whose_peer_the_message_crossed_is_a_loop() -> None:
    with pytest.raises(RelayLoop):
        route_document(["000.00.01.H53"], {}, TABLE, _always, crossed=("province-b",))
