"""``axis archive`` and ``axis hold`` as operators run them: exit codes, one sentence, --json."""

from __future__ import annotations

import asyncio
import io
import json
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from axis.cli import main
from axis.retention.months import Month
from axis.storage import database
from signing.seal import SealKey
from tests.support.processes import TEST_SECRET_KEY
from tests.support.retention_data import add_agencies, add_message, audit_at

Run = Callable[..., tuple[int, str, str]]

# A month well in the past of the real clock the commands read.
MONTH = Month.of(datetime.now(UTC) - timedelta(days=200))


def _write(database_url: str) -> list[str]:
    async def write() -> list[str]:
        # Configured as the axis's own connections: JSON details hash as JSON values.
        connection = await database.connect(database_url)
        try:
            await add_agencies(connection)
            at = MONTH.starts_at + timedelta(days=3)
            ids = [await add_message(connection, at + timedelta(hours=n)) for n in range(3)]
            await audit_at(connection, at, "cli")
            return ids
        finally:
            await connection.close()

    return asyncio.run(write())


@pytest.fixture
def axis(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    monkeypatch.setenv("AXIS_SECRET_KEY", TEST_SECRET_KEY)
    key_file = tmp_path / "seal.key"
    key_file.write_bytes(SealKey.generate().private_pem())
    monkeypatch.setenv("AXIS_SEAL_KEY_FILE", str(key_file))

    def run(*arguments: str, database: bool = True) -> tuple[int, str, str]:
        extra = ["--database-url", database_url] if database else []
        code = main([*arguments, *extra])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_export_verify_purge_restore_and_holds(
    axis: Run, database_url: str, tmp_path: Path
) -> None:
    ids = _write(database_url)
    month = str(MONTH)
    out = tmp_path / "bundles"

    code, _, err = axis("hold", "place", "019000000000dead00000000000000ab", "--reason", "x")
    assert code == 2 and "nothing to hold" in err
    code, text, _ = axis("hold", "place", ids[0], "--reason", "Thanh tra")
    assert code == 0 and "is held" in text
    code, text, _ = axis("hold", "list", "--json")
    assert [item["id"] for item in json.loads(text)["items"]] == [ids[0]]

    code, _, err = axis("archive", "purge", "--month", month)
    assert code == 2 and "no verified bundle" in err
    code, _, err = axis("archive", "export", "--month", "2026-13", "--out", str(out))
    assert code == 2 and "YYYY-MM" in err
    code, text, _ = axis("archive", "export", "--month", month, "--out", str(out), "--json")
    assert code == 0
    exported = json.loads(text)
    assert exported["messages"] == 3 and exported["bodies"] == 3
    path = exported["path"]

    code, text, _ = axis("archive", "verify", path, "--json", database=False)
    assert code == 0 and json.loads(text)["valid"] is True

    tampered = tmp_path / "tampered.tar"
    with tarfile.open(path) as source, tarfile.open(tampered, "w:") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.startswith("bodies/") and member.name.endswith(ids[1]):
                data = data.replace(b"edXML", b"edXMM")
            target.addfile(member, io.BytesIO(data))
    code, text, err = axis("archive", "verify", str(tampered), "--json", database=False)
    assert code == 2 and json.loads(text) == {
        "valid": False,
        "fault": f"The body of message {ids[1]} does not match its sha256 in the manifest "
        "(the body was changed).",
    }
    assert ids[1] in err

    code, text, _ = axis("archive", "purge", "--month", month, "--bundle", path, "--json")
    assert code == 0
    purged = json.loads(text)
    assert purged["bodies"] == 2 and purged["kept_held"] == 1

    code, text, _ = axis("archive", "restore", path)
    assert code == 0 and "2 bodies restored" in text and "1 were still held" in text
    code, _, err = axis("archive", "restore", path)
    assert code == 2 and "already held" in err

    code, _, _ = axis("hold", "lift", ids[0], "--reason", "Xong")
    assert code == 0
    code, text, _ = axis("hold", "list")
    assert "no documents are held" in text
