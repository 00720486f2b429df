"""Routes to peers: the most specific pattern wins, local recipients stay local."""

from __future__ import annotations

import pytest

from axis.registry.routes import (
    InvalidPattern,
    InvalidPeerName,
    PeerPattern,
    PeerRoute,
    RouteTable,
    check_peer_name,
    parse_patterns,
)


def _table(**serves: tuple[str, ...]) -> RouteTable:
    return RouteTable(
        PeerRoute(name, tuple(PeerPattern.parse(text) for text in texts))
        for name, texts in serves.items()
    )


@pytest.mark.parametrize(
    ("pattern", "organ_id", "expected"),
    [
        ("*", "000.00.00.G22", True),
        ("*", "anything", True),
        ("*.*.*.H53", "000.00.31.H53", True),
        ("*.*.*.H53", "000.00.31.H40", False),
        ("*.*.*.H53", "00.31.H53", False),
        ("000.00.00.G22", "000.00.00.G22", True),
        ("000.00.00.G22", "000.00.00.G2", False),
        ("H53", "H53", True),
    ],
)
def test_a_pattern_matches_segment_by_segment(pattern: str, organ_id: str, expected: bool) -> None:
    assert PeerPattern.parse(pattern).matches(organ_id) is expected


@pytest.mark.parametrize("text", ["", "*H53", "H53.", ".H53", "a..b", "a.*b", "a b", "**", "a,b"])
def test_a_malformed_pattern_is_refused_by_name(text: str) -> None:
    with pytest.raises(InvalidPattern, match="is not `\\*`"):
        PeerPattern.parse(text)


def test_patterns_must_be_given_and_not_twice() -> None:
    with pytest.raises(InvalidPattern, match="at least one"):
        parse_patterns([])
    with pytest.raises(InvalidPattern, match="twice"):
        parse_patterns(["*.*.*.H53", "*.*.*.H53"])
    assert [p.text for p in parse_patterns(["*.*.*.H53", "*"])] == ["*.*.*.H53", "*"]


@pytest.mark.parametrize("name", ["", "a,b", "a b", "x" * 65, "tây-ninh"])
def test_a_peer_name_that_cannot_travel_in_x_axis_path_is_refused(name: str) -> None:
    with pytest.raises(InvalidPeerName):
        check_peer_name(name)


def test_the_most_specific_pattern_wins_and_ties_go_to_the_first_name() -> None:
    table = _table(nation=("*",), tayninh=("*.*.*.H53",), zeta=("001.*.*.*",), alpha=("001.*.*.*",))
    assert table.peer_for("000.00.31.H53") == "tayninh"
    assert table.peer_for("001.00.00.G22") == "alpha"
    assert table.peer_for("999.00.00.X01") == "nation"
    assert _table(tayninh=("*.*.*.H53",)).peer_for("000.00.00.G22") is None


def test_recipients_are_split_local_per_peer_and_unknown_in_their_order() -> None:
    table = _table(nation=("*",), tayninh=("*.*.*.H53",))
    local = {"000.00.40.H40", "000.00.41.H40"}
    routing = table.route(
        ["000.00.31.H53", "000.00.40.H40", "000.00.00.G22", "000.00.32.H53", "000.00.41.H40"],
        is_local=local.__contains__,
    )
    assert routing.local == ("000.00.40.H40", "000.00.41.H40")
    assert routing.by_peer == {
        "tayninh": ("000.00.31.H53", "000.00.32.H53"),
        "nation": ("000.00.00.G22",),
    }
    assert routing.unknown == ()


def test_a_synced_directory_that_lacks_a_recipient_makes_it_unknown() -> None:
    table = _table(tayninh=("*.*.*.H53",))
    directory = {("tayninh", "000.00.31.H53")}
    routing = table.route(
        ["000.00.31.H53", "000.00.99.H53", "000.00.00.G22"],
        is_local=lambda organ_id: False,
        known_remotely=lambda peer, organ_id: (peer, organ_id) in directory,
    )
    assert routing.by_peer == {"tayninh": ("000.00.31.H53",)}
    assert routing.unknown == ("000.00.99.H53", "000.00.00.G22")
