"""HTTPS served by the axis itself, over real TLS on loopback, with mTLS bound to agencies."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
import pytest
from cryptography.hazmat.primitives import serialization

from tests.support.agencies import another_credential, credential_for, session_ca
from tests.support.envelopes import document, open_broker
from tests.support.processes import ServerProcess, run_axis, start_server
from tests.support.tls import ServerTls, server_tls
from tests.support.vxp_client import VxpService
from tests.support.waiting import eventually

SENDER = "000.00.00.G22"
RECIPIENT = "000.00.00.H41"


def _https(server: ServerProcess) -> str:
    return server.base_url.replace("http://", "https://")


async def _ready(base: str, context: ssl.SSLContext) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(base + "/readyz", ssl=context) as answer,
        ):
            return answer.status == 200
    except aiohttp.ClientError:
        return False


async def _submit(
    base: str, context: ssl.SSLContext, secret: str, data: bytes
) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/xml"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(base + "/api/v1/messages", data=data, headers=headers, ssl=context) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


def _environment(tls: ServerTls, client_ca: Path, mode: str) -> dict[str, str]:
    return {
        "AXIS_TLS_CERT": str(tls.cert_path),
        "AXIS_TLS_KEY": str(tls.key_path),
        "AXIS_TLS_CLIENT_CERTIFICATES": mode,
        "AXIS_TLS_CLIENT_CA": str(client_ca),
    }


@pytest.fixture
def client_ca(tmp_path: Path) -> Path:
    # Agencies' certificates chain to the test session's CA.
    path = tmp_path / "agencies-ca.pem"
    path.write_bytes(session_ca().certificate.public_bytes(serialization.Encoding.PEM))
    return path


async def test_https_with_client_certificates_bound_to_the_calling_agency(
    database_url: str, tmp_path: Path, client_ca: Path
) -> None:
    async with open_broker(database_url) as broker:
        sender = await broker.add(SENDER)
        await broker.add(RECIPIENT)
    tls = server_tls(tmp_path)
    server = start_server(
        ["--database-url", database_url],
        tmp_path / "tls.log",
        environment=_environment(tls, client_ca, "optional"),
    )
    base = _https(server)
    own = tls.client_context(credential_for(SENDER), tmp_path)
    try:
        await eventually(lambda: _ready(base, own), timeout=60, what="HTTPS readiness")
        assert f"axis is serving on {base}" in server.log()
        # The sender's bearer secret with its own registered certificate.
        status, body = await _submit(
            base, own, sender.secret, sender.sign(document(SENDER, [RECIPIENT]))
        )
        assert status == 202, body
        # The same secret with a certificate of another agency: refused.
        others = tls.client_context(credential_for(RECIPIENT), tmp_path)
        data = sender.sign(document(SENDER, [RECIPIENT]))
        status, body = await _submit(base, others, sender.secret, data)
        assert (status, body["code"]) == (403, "auth.client_certificate_mismatch")
        # A certificate of the right agency from the trusted CA, never registered: refused.
        unregistered = tls.client_context(another_credential(SENDER), tmp_path)
        status, body = await _submit(base, unregistered, sender.secret, data)
        assert (status, body["code"]) == (403, "auth.client_certificate_mismatch")
        # "optional": no certificate at all, the bearer secret alone.
        status, body = await _submit(base, tls.client_context(None, tmp_path), sender.secret, data)
        assert status == 202, body
        # VXP too: the HMAC names the agency, the certificate must be that agency's.
        recipient = broker.agencies[RECIPIENT]
        for credential, expected in (
            (credential_for(RECIPIENT), "OK"),
            (credential_for(SENDER), "FAIL"),
            (None, "OK"),
        ):
            sdk = VxpService(
                base + "/vxp",
                RECIPIENT,
                recipient.secret,
                tls=tls.client_context(credential, tmp_path),
            )
            answer = await asyncio.to_thread(sdk.get_received_edoc_list, {"messagetype": "edoc"})
            assert answer.json()["status"] == expected, answer.body
        # Plain HTTP on the HTTPS port gets no answer from the API.
        with pytest.raises(aiohttp.ClientError):
            async with aiohttp.ClientSession() as session:
                await session.get(server.base_url + "/readyz")
    finally:
        assert server.stop() == 0, server.log()


async def test_required_client_certificates_refuse_an_agency_without_one(
    database_url: str, tmp_path: Path, client_ca: Path
) -> None:
    async with open_broker(database_url) as broker:
        sender = await broker.add(SENDER)
        await broker.add(RECIPIENT)
    tls = server_tls(tmp_path)
    server = start_server(
        ["--database-url", database_url, "--workers", "2"],
        tmp_path / "tls.log",
        environment=_environment(tls, client_ca, "required"),
    )
    base = _https(server)
    own = tls.client_context(credential_for(SENDER), tmp_path)
    try:
        # The supervisor's own readiness probe speaks TLS to its children too.
        await eventually(lambda: _ready(base, own), timeout=60, what="HTTPS readiness")
        await asyncio.to_thread(server.wait_logged, "axis is serving on https://")
        # Probes and browsers carry no client certificate: health still answers.
        bare = tls.client_context(None, tmp_path)
        assert await _ready(base, bare)
        data = sender.sign(document(SENDER, [RECIPIENT]))
        status, body = await _submit(base, bare, sender.secret, data)
        assert (status, body["code"]) == (401, "auth.client_certificate_required")
        status, body = await _submit(base, own, sender.secret, data)
        assert status == 202, body
    finally:
        assert server.stop() == 0, server.log()


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({"AXIS_TLS_CERT": "/nonexistent/cert.pem"}, "AXIS_TLS_CERT and AXIS_TLS_KEY go together"),
        (
            {"AXIS_TLS_CERT": "/nonexistent/c.pem", "AXIS_TLS_KEY": "/nonexistent/k.pem"},
            "must be a readable PEM certificate chain and its key",
        ),
        ({"AXIS_TLS_CLIENT_CERTIFICATES": "required"}, "AXIS_TLS_CLIENT_CERTIFICATES needs HTTPS"),
        ({"AXIS_TLS_CLIENT_CERTIFICATES": "sometimes"}, "must be one of off, optional, required"),
    ],
)
def test_bad_tls_settings_stop_the_node_with_one_sentence(
    environment: dict[str, str], says: str, tmp_path: Path
) -> None:
    finished = run_axis(["serve", "--data-dir", str(tmp_path)], environment, timeout=60)
    assert finished.returncode != 0
    assert says in finished.stderr, finished.stderr
    assert "Traceback" not in finished.stderr
