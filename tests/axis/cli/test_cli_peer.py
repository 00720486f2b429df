"""``axis peer`` against a real database: the commands, their output and their refusals."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from axis.cli import EXIT_REFUSED, main
from tests.support.processes import TEST_SECRET_KEY

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def axis(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    monkeypatch.setenv("AXIS_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AXIS_NAME", "nghe-an")

    def run(*arguments: str) -> tuple[int, str, str]:
        code = main([*arguments, "--database-url", database_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_peer_lifecycle(axis: Run) -> None:
    code, out, _ = axis(
        "peer", "add", "nation", "--url", "https://nation.example", "--serves", "*", "--json"
    )
    assert code == 0
    issued = json.loads(out)
    assert issued["name"] == "nation" and len(issued["secret"]) >= 40

    code, out, _ = axis(
        "peer", "add", "tay-ninh", "--url", "https://tn.example",
        "--serves", "*.*.*.H53", "--serves", "000.00.00.H53",
    )  # fmt: skip
    assert code == 0 and "shown only now" in out
    assert "axis peer set-secret nghe-an SECRET" in out

    code, out, _ = axis(
        "peer", "add", "ngsp", "--url", "https://ngsp.example/vxp", "--serves", "*.*.*.G22",
        "--protocol", "vxp", "--system-id", "axis-nghe-an",
    )  # fmt: skip
    assert code == 0

    code, out, _ = axis("peer", "set-secret", "nation", "what-nation-issued")
    assert code == 0 and "nation" in out

    code, out, _ = axis("peer", "list", "--json")
    assert code == 0
    listed = {item["name"]: item for item in json.loads(out)["items"]}
    assert set(listed) == {"nation", "tay-ninh", "ngsp"}
    assert listed["nation"]["serves"] == ["*"] and listed["nation"]["protocol"] == "native"
    assert listed["nation"]["outbound_secret_set"] is True
    assert listed["tay-ninh"]["serves"] == ["000.00.00.H53", "*.*.*.H53"]
    assert listed["ngsp"]["protocol"] == "vxp" and listed["ngsp"]["system_id"] == "axis-nghe-an"
    assert listed["ngsp"]["directory_synced_at"] is None
    assert issued["secret"] not in out and "what-nation-issued" not in out

    code, out, _ = axis("peer", "list")
    assert code == 0 and "tay-ninh" in out and "never synced" in out and "no secret set" in out

    code, out, _ = axis("peer", "remove", "tay-ninh")
    assert code == 0 and "removed" in out
    code, out, _ = axis("peer", "list", "--json")
    assert [item["name"] for item in json.loads(out)["items"]] == ["nation", "ngsp"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("add", "p", "--url", "https://p.example", "--serves", "*H53"), "is not `*`"),
        (("add", "p", "--url", "https://p.example", "--serves", "H53."), "is not `*`"),
        (("add", "p", "--url", "https://p.example", "--serves", "a..b"), "is not `*`"),
        (("add", "p", "--url", "https://p.example", "--serves", "*", "--serves", "*"), "twice"),
        (("add", "p q", "--url", "https://p.example", "--serves", "*"), "Peer name"),
        (("add", "p", "--url", "not-a-url", "--serves", "*"), "not an absolute"),
        (("add", "p", "--url", "https://p.example", "--serves", "*", "--protocol", "vxp"),
         "--system-id"),
        (("set-secret", "nobody", "s"), "No peer is registered under the name 'nobody'"),
        (("remove", "nobody"), "No peer is registered under the name 'nobody'"),
        (("sync", "nobody"), "No peer is registered under the name 'nobody'"),
        (("sync",), "No peer has a secret set yet"),
    ],
)  # fmt: skip
def test_refusals_are_one_sentence(axis: Run, arguments: tuple[str, ...], message: str) -> None:
    code, out, err = axis("peer", *arguments)
    assert code == EXIT_REFUSED, (out, err)
    assert err.startswith("axis: ") and message in err and err.count("\n") == 1


def test_duplicate_name_is_refused(axis: Run) -> None:
    assert axis("peer", "add", "p", "--url", "https://p.example", "--serves", "*")[0] == 0
    code, _, err = axis("peer", "add", "p", "--url", "https://q.example", "--serves", "*")
    assert code == EXIT_REFUSED and "already registered" in err


def test_sync_of_an_unreachable_peer_is_refused_and_keeps_nothing_half_done(axis: Run) -> None:
    assert axis("peer", "add", "p", "--url", "http://127.0.0.1:9", "--serves", "*")[0] == 0
    assert axis("peer", "set-secret", "p", "s")[0] == 0
    code, _, err = axis("peer", "sync", "p")
    assert code == EXIT_REFUSED and "directory cannot be read" in err
    code, out, _ = axis("peer", "list", "--json")
    assert json.loads(out)["items"][0]["directory_synced_at"] is None
