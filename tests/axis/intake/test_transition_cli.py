"""``axis agency add/set --transition-until``, ``axis envelope verify-seal`` and
``axis envelope seal-certificate`` against a real database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from axis.cli import main
from axis.registry import transition
from signing.seal import SealClaims, SealKey
from tests.support.processes import TEST_SECRET_KEY

Run = Callable[..., tuple[int, str, str]]
AGENCY = "000.00.00.G22"


@pytest.fixture
def axis(
    database_url: str,
    tmp_path: Path,
    seal_key: SealKey,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    monkeypatch.setenv("AXIS_SECRET_KEY", TEST_SECRET_KEY)
    monkeypatch.setenv("AXIS_SEAL_KEY_FILE", str(tmp_path / "seal.key"))

    def run(*arguments: str, database: bool = True) -> tuple[int, str, str]:
        extra = ["--database-url", database_url] if database else []
        code = main([*arguments, *extra])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _in(days: int) -> str:
    return (transition.today() + timedelta(days=days)).isoformat()


def test_add_and_set_the_transition_and_show_it(axis: Run) -> None:
    until = _in(30)
    code, out, _ = axis(
        "agency", "add", AGENCY, "--name", "VPCP", "--transition-until", until, "--json"
    )
    assert code == 0 and json.loads(out)["transition_until"] == until
    code, out, _ = axis("agency", "show", AGENCY, "--json")
    assert json.loads(out)["transition_until"] == until
    later = _in(60)
    code, out, _ = axis("agency", "set", AGENCY, "--transition-until", later)
    assert code == 0 and later in out and "seals" in out
    code, out, _ = axis(
        "agency",
        "set",
        AGENCY,
        "--transition-until",
        later,
        "--requests-per-minute",
        "100",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "organ_id": AGENCY,
        "requests_per_minute": 100,
        "transition_until": later,
    }
    code, _, err = axis("agency", "set", AGENCY)
    assert code == 2 and "Nothing to change" in err
    code, out, _ = axis("agency", "set", AGENCY, "--no-transition", "--json")
    assert code == 0 and json.loads(out) == {"organ_id": AGENCY, "transition_until": None}
    code, out, _ = axis("agency", "show", AGENCY, "--json")
    assert json.loads(out)["transition_until"] is None


def test_off_by_default_and_bad_dates_are_refused(axis: Run) -> None:
    assert axis("agency", "add", AGENCY, "--name", "VPCP")[0] == 0
    code, out, _ = axis("agency", "show", AGENCY, "--json")
    assert json.loads(out)["transition_until"] is None
    code, _, err = axis("agency", "set", AGENCY, "--transition-until", _in(-1))
    assert code == 2 and "already past" in err
    with pytest.raises(SystemExit):
        axis("agency", "set", AGENCY, "--transition-until", "31/12/2026")
    code, _, err = axis("agency", "set", "999.99.99.Z99", "--transition-until", _in(1))
    assert code == 2 and "999.99.99.Z99" in err


def test_a_transition_needs_a_seal_key_with_an_external_database(
    axis: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert axis("agency", "add", AGENCY, "--name", "VPCP")[0] == 0
    monkeypatch.delenv("AXIS_SEAL_KEY_FILE")
    code, _, err = axis("agency", "set", AGENCY, "--transition-until", _in(1))
    assert code == 2 and "AXIS_SEAL_KEY_FILE" in err


def _sealed(key: SealKey, data: bytes) -> str:
    import hashlib
    from datetime import UTC, datetime

    claims = SealClaims(
        hashlib.sha256(data).hexdigest(),
        len(data),
        AGENCY,
        "vxp",
        "vxp-hmac",
        "msg-1",
        datetime.now(UTC),
        "placeholder",
    )
    return key.seal(claims)


def test_verify_seal_with_the_pinned_certificate_or_fingerprint(
    axis: Run, tmp_path: Path, seal_key: SealKey
) -> None:
    data = b"<edXML/>"
    (tmp_path / "m.edxml").write_bytes(data)
    (tmp_path / "m.seal").write_text(_sealed(seal_key, data))
    code, out, _ = axis("envelope", "seal-certificate", "--json", database=False)
    shown = json.loads(out)
    assert code == 0 and shown["fingerprint"] == seal_key.fingerprint
    (tmp_path / "axis.crt").write_text(shown["pem"])
    envelope, seal = str(tmp_path / "m.edxml"), str(tmp_path / "m.seal")
    code, out, _ = axis(
        "envelope",
        "verify-seal",
        envelope,
        "--seal",
        seal,
        "--certificate",
        str(tmp_path / "axis.crt"),
        database=False,
    )
    assert code == 0 and "NOT signed" in out and AGENCY in out
    code, out, _ = axis(
        "envelope",
        "verify-seal",
        envelope,
        "--seal",
        seal,
        "--fingerprint",
        seal_key.fingerprint,
        "--json",
        database=False,
    )
    assert code == 0 and json.loads(out)["signature_state"] == "sealed"
    # Other bytes, another axis's key, a forged x5c: each checked and found wrong.
    (tmp_path / "other.edxml").write_bytes(data + b" ")
    code, out, _ = axis(
        "envelope",
        "verify-seal",
        str(tmp_path / "other.edxml"),
        "--seal",
        seal,
        "--fingerprint",
        seal_key.fingerprint,
        "--json",
        database=False,
    )
    assert code == 1 and json.loads(out)["code"] == "seal.mismatch"
    impostor = SealKey.generate()
    (tmp_path / "forged.seal").write_text(_sealed(impostor, data))
    code, out, _ = axis(
        "envelope",
        "verify-seal",
        envelope,
        "--seal",
        str(tmp_path / "forged.seal"),
        "--fingerprint",
        seal_key.fingerprint,
        database=False,
    )
    assert code == 1 and "not made by this axis" in out
    code, out, _ = axis(
        "envelope",
        "verify-seal",
        envelope,
        "--seal",
        str(tmp_path / "forged.seal"),
        "--certificate",
        str(tmp_path / "axis.crt"),
        database=False,
    )
    assert code == 1 and "NOT valid" in out
