"""``axis agency``, ``axis trust`` and ``axis crl`` against a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from axis.cli import main
from signing import CertificateAuthority
from tests.support.agencies import ca_pem, certificate_pem, credential_for, session_ca
from tests.support.processes import TEST_SECRET_KEY, run_axis

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def axis(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    monkeypatch.setenv("AXIS_SECRET_KEY", TEST_SECRET_KEY)

    def run(*arguments: str) -> tuple[int, str, str]:
        code = main([*arguments, "--database-url", database_url])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_agency_lifecycle(axis: Run, tmp_path: Path) -> None:
    code, out, _ = axis("trust", "add", _write(tmp_path, "ca.pem", ca_pem()), "--json")
    assert code == 0 and json.loads(out)["role"] == "anchor"
    cert = _write(tmp_path, "a.pem", certificate_pem("000.00.01.H53"))
    code, out, _ = axis(
        "agency", "add", "000.00.01.H53", "--name", "Sở Nội vụ", "--cert", cert, "--json"
    )
    assert code == 0
    credentials = json.loads(out)
    assert credentials["organ_id"] == credentials["system_id"] == "000.00.01.H53"
    assert len(credentials["secret"]) >= 40

    code, out, _ = axis("agency", "show", "000.00.01.H53", "--json")
    shown = json.loads(out)
    assert shown["parent_id"] == "000.00.00.H53" and shown["delivery_mode"] == "pull"
    assert len(shown["certificates"]) == 1
    assert credentials["secret"] not in out

    code, out, _ = axis("agency", "show", "000.00.01.H53")
    assert code == 0 and "Sở Nội vụ" in out and credentials["secret"] not in out

    code, out, _ = axis(
        "agency", "add", "B1", "--name", "Push", "--endpoint", "https://b.example/in",
        "--system-id", "sys-b1", "--legacy-sha1",
    )  # fmt: skip
    assert code == 0 and "sys-b1" in out and "shown only now" in out

    code, out, _ = axis("agency", "suspend", "B1")
    assert code == 0 and "suspended" in out
    code, out, _ = axis("agency", "list", "--json")
    listed = {item["organ_id"]: item for item in json.loads(out)["items"]}
    assert listed["B1"]["active"] is False and listed["B1"]["legacy_sha1"] is True
    assert listed["B1"]["delivery_mode"] == "push"
    code, out, _ = axis("agency", "resume", "B1")
    assert code == 0
    code, out, _ = axis("agency", "list", "--limit", "1", "--json")
    page = json.loads(out)
    assert [item["organ_id"] for item in page["items"]] == ["000.00.01.H53"]
    code, out, _ = axis("agency", "list", "--cursor", page["next_cursor"], "--json")
    assert [item["organ_id"] for item in json.loads(out)["items"]] == ["B1"]
    code, out, _ = axis("agency", "list", "--parent", "000.00.00.H53")
    assert "000.00.01.H53" in out and "B1" not in out

    code, out, _ = axis(
        "agency", "cert", "add", "B1", _write(tmp_path, "b.pem", certificate_pem("B1"))
    )
    assert code == 0 and "added certificate" in out


@pytest.mark.parametrize(
    ("arguments", "phrase"),
    [
        (["agency", "add", "bad id", "--name", "x"], "not acceptable"),
        (["agency", "add", "A1", "--name", "x", "--endpoint", "ftp://x/y"], "http"),
        (["agency", "add", "A1", "--name", "x", "--cert", "/no/such.pem"], "cannot be read"),
        (["agency", "show", "nobody"], "No agency"),
        (["agency", "suspend", "nobody"], "No agency"),
        (["trust", "add", "/no/such.pem"], "cannot be read"),
    ],
)
def test_refusals_are_one_sentence(axis: Run, arguments: list[str], phrase: str) -> None:
    code, out, err = axis(*arguments)
    assert code == 2 and out == ""
    assert err.startswith("axis: ") and phrase in err and "Traceback" not in err


def test_certificate_and_crl_refusals(axis: Run, tmp_path: Path) -> None:
    code, _, err = axis("agency", "add", "A1", "--name", "x")
    assert code == 0
    cert = _write(tmp_path, "a.pem", certificate_pem("A1"))
    code, _, err = axis("agency", "cert", "add", "A1", cert)
    assert code == 2 and "axis trust add" in err
    code, _, err = axis("agency", "cert", "add", "A1", _write(tmp_path, "junk.pem", b"junk"))
    assert code == 2 and "PEM" in err
    leaf = _write(tmp_path, "leaf.pem", certificate_pem("A1"))
    code, _, err = axis("trust", "add", leaf)
    assert code == 2 and "not a CA certificate" in err

    crl = session_ca().crl(
        {
            credential_for(
                "A1"
            ).certificate.serial_number: session_ca().certificate.not_valid_before_utc
        }
    )
    crl_path = _write(tmp_path, "ca.crl", crl.public_bytes(serialization.Encoding.PEM))
    code, _, err = axis("crl", "add", crl_path)
    assert code == 2 and "not signed by a configured" in err
    assert axis("trust", "add", _write(tmp_path, "ca.pem", ca_pem()))[0] == 0
    code, out, _ = axis("crl", "add", crl_path, "--json")
    assert code == 0 and json.loads(out)["revoked"] == 1
    code, _, err = axis("crl", "add", crl_path)
    assert code == 2 and "not newer" in err
    code, out, _ = axis("trust", "list", "--json")
    assert len(json.loads(out)["crls"]) == 1

    stranger = CertificateAuthority.create(name="stranger")
    forged = stranger.crl({})
    code, _, err = axis(
        "crl",
        "add",
        _write(tmp_path, "forged.crl", forged.public_bytes(serialization.Encoding.DER)),
    )
    assert code == 2 and "not signed by a configured" in err


def test_a_real_process_registers_and_shows(database_url: str) -> None:
    environment = {"AXIS_DATABASE_URL": database_url}
    added = run_axis(["agency", "add", "P1", "--name", "Process", "--json"], environment)
    assert added.returncode == 0, added.stderr
    secret = json.loads(added.stdout)["secret"]
    shown = run_axis(["agency", "show", "P1", "--json"], environment)
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "Process"
    assert secret not in shown.stdout
    again = run_axis(["agency", "add", "P1", "--name", "Again"], environment)
    assert again.returncode == 2
    assert "already registered" in again.stderr and "Traceback" not in again.stderr
