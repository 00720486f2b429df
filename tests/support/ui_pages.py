"""A running page server on a test database, with agencies, people and traffic.

Documents and statuses go through the real intake (signed envelopes), so
the pages read what the broker really writes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp.test_utils import TestServer

from axis.accounts import users
from axis.process.composition import Role, web_application
from tests.support import envelopes
from tests.support.envelopes import Broker, open_broker

SENDER = "000.00.01.H53"
RECIPIENT = "000.00.02.H53"
OTHER = "000.00.03.H53"
CLERK = "vanthu.h53"
RECIPIENT_CLERK = "vanthu.h53b"
OPERATOR = "vanhanh"
PASSWORD = "mat-khau-dung-1"


@dataclass
class Pages:
    broker: Broker
    server: TestServer

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def send_document(self, subject: str, recipients: tuple[str, ...] = (RECIPIENT,)) -> str:
        """Submits a signed document from SENDER; returns its message id."""
        data = self.broker.agencies[SENDER].sign(envelopes.document(SENDER, list(recipients),
                                                                     subject=subject))  # fmt: skip
        agency = await self.broker.runtime.registry.require(SENDER)
        accepted = await self.broker.runtime.intake.submit(agency, data)
        return accepted.id

    async def send_status(self, message_id: str, code: str, sender: str = RECIPIENT) -> None:
        document_id = await self.broker.pool.fetchval(
            "SELECT document_id FROM messages WHERE id = $1", message_id
        )
        data = self.broker.agencies[sender].sign(
            envelopes.status(sender, SENDER, document_id, code, description="ghi chú")
        )
        agency = await self.broker.runtime.registry.require(sender)
        await self.broker.runtime.intake.submit(agency, data)


@contextlib.asynccontextmanager
async def running_pages(database_url: str) -> AsyncIterator[Pages]:
    async with open_broker(database_url) as broker:
        for organ_id in (SENDER, RECIPIENT, OTHER):
            await broker.add(organ_id)
        pool = broker.pool
        await users.add_user(pool, CLERK, "clerk", PASSWORD, organ_id=SENDER)
        await users.add_user(pool, RECIPIENT_CLERK, "clerk", PASSWORD, organ_id=RECIPIENT)
        await users.add_user(pool, OPERATOR, "operator", PASSWORD)
        server = TestServer(web_application(broker.runtime, Role.API))
        await server.start_server()
        try:
            yield Pages(broker, server)
        finally:
            await server.close()


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found is not None, "the page has no CSRF field"
    return found[1]


async def sign_in(
    client: aiohttp.ClientSession, base_url: str, username: str, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    async with client.get(base_url + "/ui/") as page:
        token = csrf_of(await page.text())
    form = {"csrf": token, "username": username, "password": password}
    response = await client.post(base_url + "/ui/sign-in", data=form)
    await response.read()
    return response
