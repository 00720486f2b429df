"""HMAC over the raw sign-header bytes, parameters only from the signed JSON."""

from __future__ import annotations

from typing import Any

import pytest

from axis.registry.agencies import Agency
from axis.vxp.authentication import Authenticator, VxpAuthenticationError, signed_parameters

SIGN = (
    b'{"XroadVnpt-systemid":"demo.sys.01","XroadVnpt-servicetype":"eDoc",'
    b'"XroadVnpt-messagetype":"edoc","XroadVnpt-timestamp":"21112026T100235+0411",'
    b'"XroadVnpt-Content-Type":"application/json"}'
)
HASH = b"df40e3fa545b5a3dc2587f74c165352aa36381a0d39da1d2c1cbb2e28bf695ec"
AGENCY = Agency("000.00.00.G22", "Demo", None, "demo.sys.01", None, False, True)


class FakeRegistry:
    def __init__(self, agency: Agency = AGENCY, secret: str = "demo-secret-123") -> None:
        self.agency, self.secret, self.lookups = agency, secret, 0

    async def by_system_id(self, system_id: str) -> Agency | None:
        self.lookups += 1
        return self.agency if system_id == self.agency.system_id else None

    async def secret_of(self, organ_id: str) -> str:
        return self.secret


def _authenticator(registry: FakeRegistry) -> Authenticator:
    fake: Any = registry
    return Authenticator(fake)


def test_parameters_are_lower_cased_without_prefix() -> None:
    parameters = signed_parameters(b'{"XroadVnpt-docId":"m1","XroadVnpt-Status":"done"}')
    assert parameters == {"docid": "m1", "status": "done"}


async def test_worked_example_verifies_despite_its_stale_timestamp() -> None:
    registry = FakeRegistry()
    authenticator = _authenticator(registry)
    headers = [(b"XroadVnpt-sign-header", SIGN), (b"XroadVnpt-hash-header", HASH.upper()),
               (b"XroadVnpt-messagetype", b"status")]  # fmt: skip
    caller = await authenticator.authenticate(headers)
    assert caller.agency == AGENCY
    # The unsigned header does not override the signed value.
    assert caller.parameter("messageType") == "edoc"
    await authenticator.authenticate(headers)
    assert registry.lookups == 1  # cached


@pytest.mark.parametrize(
    "headers",
    [
        [(b"XroadVnpt-sign-header", SIGN)],
        [(b"XroadVnpt-sign-header", SIGN.replace(b"edoc", b"edoC")),
         (b"XroadVnpt-hash-header", HASH)],
        [(b"XroadVnpt-sign-header", SIGN), (b"XroadVnpt-hash-header", b"0" * 64)],
        [(b"XroadVnpt-sign-header", b"not json"), (b"XroadVnpt-hash-header", HASH)],
    ],
)  # fmt: skip
async def test_missing_or_wrong_signatures_are_refused(headers: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(VxpAuthenticationError):
        await _authenticator(FakeRegistry()).authenticate(headers)


async def test_wrong_secret_and_suspended_agency_are_refused() -> None:
    headers = [(b"XroadVnpt-sign-header", SIGN), (b"XroadVnpt-hash-header", HASH)]
    with pytest.raises(VxpAuthenticationError):
        await _authenticator(FakeRegistry(secret="other")).authenticate(headers)
    suspended = Agency("000.00.00.G22", "Demo", None, "demo.sys.01", None, False, False)
    with pytest.raises(VxpAuthenticationError, match="suspended"):
        await _authenticator(FakeRegistry(agency=suspended)).authenticate(headers)
