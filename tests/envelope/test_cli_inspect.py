"""``axis envelope inspect``: summary on success, one sentence and exit 2 on refusal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from axis.cli import main

SAMPLES = Path(__file__).parents[1] / "samples"
HOSTILE = Path(__file__).parent / "hostile"
ROOT = Path(__file__).parents[2]


def test_document_summary_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["envelope", "inspect", str(SAMPLES / "document-new-unsigned.edxml"), "--json"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] == "edoc"
    assert summary["from"] == "000.00.00.G22"
    assert summary["to"] == ["000.00.00.H41", "000.00.00.H53"]
    assert summary["document_id"] == "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
    assert summary["code"] == "1234/VPCP-KSTT"
    assert summary["subject"].startswith("V/v báo cáo")
    assert summary["priority"] == 1
    assert summary["business_type"] == 0
    assert summary["status_code"] is None
    assert summary["response_for"] == []
    assert summary["attachments"][0]["name"] == "1234-VPCP-KSTT.txt"
    assert summary["attachments"][0]["content_type"] == "application/zip"
    assert summary["attachments"][0]["size"] == 290
    assert summary["signature"] == {
        "present": False,
        "algorithm": None,
        "in_signature_namespace": None,
    }


def test_status_summary_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["envelope", "inspect", str(SAMPLES / "status-03-unsigned.edxml")]) == 0
    out = capsys.readouterr().out
    assert "kind: status" in out
    assert "status_code: 03" in out
    assert "status_name: Đã tiếp nhận" in out
    assert "000.00.00.G22 000.00.00.G22,2026/11/20,1234/VPCP-KSTT" in out


def test_signature_algorithm_is_read_not_verified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (SAMPLES / "status-03-unsigned.edxml").read_bytes()
    signed = data.replace(
        b"</edXML:edXMLHeader>",
        b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><SignatureMethod '
        b'Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/></SignedInfo>'
        b"<SignatureValue>AAAA</SignatureValue></Signature></edXML:edXMLHeader>",
    )
    path = tmp_path / "signed.edxml"
    path.write_bytes(signed)
    assert main(["envelope", "inspect", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["signature"]["present"] is True
    assert summary["signature"]["algorithm"].endswith("#rsa-sha256")


def test_invalid_message_is_refused_listing_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (SAMPLES / "status-03-unsigned.edxml").read_bytes().replace(b">03<", b">99<")
    path = tmp_path / "bad.edxml"
    path.write_bytes(data)
    assert main(["envelope", "inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "envelope.invalid" in captured.err and "status code '99'" in captured.err.lower()
    assert len(captured.err.strip().splitlines()) == 1


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["envelope", "inspect", "/nonexistent/x.edxml"]) == 2
    assert "cannot read /nonexistent/x.edxml" in capsys.readouterr().err


def test_hostile_file_in_a_real_process() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "axis",
            "envelope",
            "inspect",
            str(HOSTILE / "external_entity_file.xml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert "xml.external_entity_forbidden" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_valid_file_in_a_real_process() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "axis",
            "envelope",
            "inspect",
            "--json",
            str(SAMPLES / "document-new-unsigned.edxml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["kind"] == "edoc"
