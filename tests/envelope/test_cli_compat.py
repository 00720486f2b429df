"""``axis envelope inspect --compat``: per file, accepted or not, under which policy, and
what to change (issue #14)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from axis.cli import main
from signing import SigningAlgorithm, sign
from tests.support.agencies import credential_for

SAMPLES = Path(__file__).parents[1] / "samples"


def _signed(name: str, algorithm: SigningAlgorithm = SigningAlgorithm.RSA_SHA256) -> bytes:
    credential = credential_for("000.00.00.G22")
    data = (SAMPLES / name).read_bytes()
    return sign(data, credential.private_key, credential.certificate, algorithm=algorithm)


def _report(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[dict[str, Any]]]:
    code = main(["envelope", "inspect", "--compat", "--json", *map(str, paths)])
    return code, json.loads(capsys.readouterr().out)["files"]


def test_every_sample_shape_is_read_and_needs_the_transition_policy(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "agency"
    shutil.copytree(SAMPLES, folder)
    code, report = _report(capsys, folder)
    assert code == 1  # none is signed: accepted only under the transition policy
    files = {Path(entry["file"]).name: entry for entry in report}
    assert "README.md" not in files
    assert len(files) == len(list(SAMPLES.glob("*.edxml")))
    for entry in files.values():
        assert (entry["accepted"], entry["policy"], entry["code"]) == (
            True,
            "transition",
            "signature.missing",
        )
        assert "refused otherwise with signature.missing" in entry["conditions"][0]
    assert files["document-revocation-unsigned.edxml"]["acts_on"] == [
        "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
    ]
    assert files["document-replacement-two-unsigned.edxml"]["business_type"] == 3


def test_a_signed_file_is_accepted_as_signed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "signed.edxml"
    path.write_bytes(_signed("document-replacement-unsigned.edxml"))
    code, [entry] = _report(capsys, path)
    assert code == 0
    assert (entry["accepted"], entry["policy"], entry["change"]) == (True, "signed", [])
    assert "registered for 000.00.00.G22" in entry["conditions"][0]


def test_sha1_is_signed_for_a_legacy_agency_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "sha1.edxml"
    path.write_bytes(_signed("document-new-unsigned.edxml", SigningAlgorithm.RSA_SHA1))
    code, [entry] = _report(capsys, path)
    assert (code, entry["policy"]) == (0, "signed")
    assert "legacy SHA-1" in entry["conditions"][0]


def test_a_signature_in_the_edxml_namespace_is_misplaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = (SAMPLES / "document-revocation-unsigned.edxml").read_bytes()
    placeholder = data.replace(
        b"</edXML:TraceHeaderList>",
        b"</edXML:TraceHeaderList><edXML:Signature>placeholder</edXML:Signature>",
    )
    path = tmp_path / "placeholder.edxml"
    path.write_bytes(placeholder)
    code, [entry] = _report(capsys, path)
    assert code == 1
    assert (entry["policy"], entry["code"]) == ("transition", "signature.misplaced")
    assert "xmldsig" in entry["change"][0]


def test_refused_files_say_what_to_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = (SAMPLES / "document-replacement-unsigned.edxml").read_bytes()
    named = b"<edXML:DocumentId>000.00.00.G22,2026/11/20,1234/VPCP-KSTT</edXML:DocumentId>"
    start = data.index(named, data.index(b"<edXML:ReplacementInfo>"))
    broken = data[:start] + data[start + len(named) :]
    (tmp_path / "broken.xml").write_bytes(broken)
    (tmp_path / "tampered.edxml").write_bytes(
        _signed("document-new-unsigned.edxml").replace(
            b"<edXML:PageAmount>1<", b"<edXML:PageAmount>9<"
        )
    )
    code, report = _report(capsys, tmp_path)
    assert code == 2
    files = {Path(entry["file"]).name: entry for entry in report}
    assert (files["broken.xml"]["accepted"], files["broken.xml"]["code"]) == (
        False,
        "envelope.invalid",
    )
    assert "ReplacementInfo[1]/DocumentId" in files["broken.xml"]["change"][0]
    assert "[business.missing_document_id]" in files["broken.xml"]["change"][0]
    assert files["tampered.edxml"]["code"] == "signature.digest_mismatch"


def test_the_text_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "signed.edxml"
    path.write_bytes(_signed("document-new-unsigned.edxml"))
    status = str(SAMPLES / "status-03-unsigned.edxml")
    assert main(["envelope", "inspect", "--compat", str(path), status]) == 1
    out = capsys.readouterr().out
    assert f"{path}: accepted, policy signed" in out
    assert "status-03-unsigned.edxml: accepted only under policy transition" in out


def test_plain_inspect_still_reads_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    sample = str(SAMPLES / "document-revocation-unsigned.edxml")
    assert main(["envelope", "inspect", sample, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["business_type"] == 1
    assert summary["acts_on"][0]["document_id"] == "000.00.00.G22,2026/11/20,1234/VPCP-KSTT"
    assert main(["envelope", "inspect", sample, sample]) == 2
