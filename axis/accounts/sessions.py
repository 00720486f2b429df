"""Server-side sessions of the pages, each with its own CSRF token.

The cookie holds 32 random bytes; the table keeps only their SHA-256, so
sessions can be ended (sign-out, lock) and a read of the table yields
nothing usable as a cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from axis.accounts.users import User
from axis.audit import chain as audit
from axis.storage import sql
from axis.storage.database import Pool
from axis.vocabulary import AuditAction

SESSION_SECONDS = 8 * 3600  # one working day


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str

    def csrf_matches(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.csrf_token.encode()
        )


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def open_session(pool: Pool, user: User) -> tuple[str, Session]:
    """Returns the cookie value and the session."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    async with pool.acquire() as connection:
        await connection.execute(sql.query("ui_delete_expired_sessions"))
        await connection.execute(
            sql.query("ui_insert_session"), _digest(token), user.username, csrf,
            float(SESSION_SECONDS),
        )  # fmt: skip
    return token, Session(user, csrf)


async def load_session(pool: Pool, token: str | None) -> Session | None:
    if not token:
        return None
    async with pool.acquire() as connection:
        row = await connection.fetchrow(sql.query("ui_get_session"), _digest(token))
    if row is None:
        return None
    return Session(User(row["username"], row["role"], row["organ_id"]), row["csrf_token"])


async def close_session(pool: Pool, token: str, username: str) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.query("ui_delete_session"), _digest(token))
        await audit.append(
            connection, audit.AuditEntry(username, AuditAction.USER_SIGN_OUT, username)
        )
