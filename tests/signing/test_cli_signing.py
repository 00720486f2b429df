"""``axis pki`` and ``axis envelope sign|verify``, through main() and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from axis.cli import main
from tests.signing.conftest import DOCUMENT, STATUS

ORGAN = "000.00.00.G22"


@pytest.fixture()
def pki_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    assert main(["pki", "init", "--dir", str(folder)]) == 0
    assert main(["pki", "issue", ORGAN, "--dir", str(folder), "--algorithm", "ecdsa"]) == 0
    return folder


def sign_args(pki_dir: Path, source: Path, output: Path, *extra: str) -> list[str]:
    agency = pki_dir / "agencies"
    return [
        "envelope", "sign",
        "--key", str(agency / f"{ORGAN}.key.pem"),
        "--cert", str(agency / f"{ORGAN}.pem"),
        *extra, str(source), "-o", str(output),
    ]  # fmt: skip


def verify_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["envelope", "verify", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_sign_then_verify(
    pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, output = tmp_path / "doc.edxml", tmp_path / "signed.edxml"
    source.write_bytes(DOCUMENT)
    args = sign_args(pki_dir, source, output, "--algorithm", "ecdsa-sha256", "--c14n", "inclusive")
    assert main(args) == 0
    trust = ["--trust", str(pki_dir / "ca.pem"), "--crl", str(pki_dir / "crl.pem")]
    code, report = verify_json(capsys, str(output), *trust)
    assert code == 0
    assert report["valid"] is True and report["error"] is None
    assert report["organ_id_hint"] == ORGAN and report["algorithm"] == "ecdsa-sha256"
    assert set(report) == {
        "valid",
        "signer_subject",
        "organ_id_hint",
        "algorithm",
        "digest",
        "error",
    }

    code, report = verify_json(capsys, str(output))
    assert code == 1 and report["valid"] is False
    assert report["error"] == {
        "code": "certificate.untrusted",
        "message": "no trust anchor is configured, so nothing is trusted",
    }

    assert main(["pki", "revoke", ORGAN, "--dir", str(pki_dir)]) == 0
    code, report = verify_json(capsys, str(output), *trust)
    assert code == 1
    assert isinstance(report["error"], dict) and report["error"]["code"] == "certificate.revoked"


def test_text_verdicts(pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, output = tmp_path / "status.edxml", tmp_path / "signed.edxml"
    source.write_bytes(STATUS)
    assert main(sign_args(pki_dir, source, output, "--algorithm", "ecdsa-sha256")) == 0
    capsys.readouterr()
    assert main(["envelope", "verify", str(output), "--trust", str(pki_dir / "ca.pem")]) == 0
    assert "valid: signed by" in capsys.readouterr().out
    output.write_bytes(output.read_bytes().replace(b"0911111111", b"0911111112"))
    assert main(["envelope", "verify", str(output), "--trust", str(pki_dir / "ca.pem")]) == 1
    assert "signature.digest_mismatch" in capsys.readouterr().err


def test_refusals_are_one_sentence(
    pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "doc.edxml"
    source.write_bytes(DOCUMENT)
    capsys.readouterr()
    # An ECDSA key cannot make an RSA signature.
    assert main(sign_args(pki_dir, source, tmp_path / "out.edxml")) == 2
    assert capsys.readouterr().err.startswith("axis: cannot sign")
    assert main(["envelope", "verify", str(tmp_path / "absent.edxml")]) == 2
    assert "cannot read the document" in capsys.readouterr().err
    assert main(["pki", "issue", "../x", "--dir", str(pki_dir)]) == 2
    assert main(["pki", "init", "--dir", str(pki_dir)]) == 2
    assert "already" in capsys.readouterr().err


def test_pki_help_says_development_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["pki", "issue", "--help"])
    assert "demos and tests only" in capsys.readouterr().out


def test_a_real_process_signs_and_verifies(pki_dir: Path, tmp_path: Path) -> None:
    source, output = tmp_path / "doc.edxml", tmp_path / "signed.edxml"
    source.write_bytes(DOCUMENT)
    command = [sys.executable, "-m", "axis"]
    args = sign_args(pki_dir, source, output, "--algorithm", "ecdsa-sha256")
    subprocess.run([*command, *args], check=True, timeout=60)
    verdict = subprocess.run(
        [*command, "envelope", "verify", str(output), "--trust", str(pki_dir / "ca.pem"), "--json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verdict.returncode == 0, verdict.stderr
    assert json.loads(verdict.stdout)["valid"] is True
