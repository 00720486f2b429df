"""People of the pages: clerks (văn thư) of one agency and operators of the axis.

Passwords are hashed with argon2id (memory-hard, so a stolen table is slow
to attack). Repeated wrong passwords slow down the one (user name, source
address) that sends them, with a wait that doubles each time (issue #15):
a hard lock of the account would let anyone lock a clerk out from anywhere,
while this way the clerk's own address is untouched. Every sign-in, failure
and start of a wait is audited.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Literal, NoReturn

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from axis.audit import chain as audit
from axis.errors import AxisError
from axis.storage import sql
from axis.storage.database import Pool
from axis.vocabulary import AuditAction

logger = logging.getLogger(__name__)

Role = Literal["clerk", "operator"]
ROLES: tuple[Role, ...] = ("clerk", "operator")
MAX_FAILURES = 5  # free failures of one (user name, source); the last one starts a wait
FIRST_WAIT_SECONDS = 30.0  # then doubled at every further failure
LOCK_SECONDS = 15 * 60  # the longest wait
MIN_PASSWORD_LENGTH = 8
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("axis-no-such-user")


class UserError(AxisError):
    """The user cannot be created."""


class UserExists(UserError):
    """A user with this name already exists."""


class SignInRefused(AxisError):
    """Tên đăng nhập hoặc mật khẩu không đúng."""


class AccountLocked(SignInRefused):
    """Đăng nhập sai nhiều lần từ địa chỉ này; vui lòng chờ một lát rồi thử lại."""


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: Role
    organ_id: str | None

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def add_user(
    pool: Pool,
    username: str,
    role: str,
    password: str,
    *,
    organ_id: str | None = None,
    actor: str = "operator",
) -> User:
    if not _USERNAME.match(username):
        raise UserError(
            f"The username {username!r} is not acceptable: use 1-64 letters, digits, '.', "
            "'_', '@' or '-'."
        )
    if role not in ROLES:
        raise UserError(f"The role {role!r} is unknown: use 'clerk' or 'operator'.")
    if role == "clerk" and not organ_id:
        raise UserError("A clerk belongs to one agency: give --organ-id.")
    if role == "operator" and organ_id:
        raise UserError("An operator serves the whole axis: do not give --organ-id.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
        )
    password_hash = await asyncio.to_thread(hash_password, password)
    async with pool.acquire() as connection, connection.transaction():
        try:
            await connection.execute(
                sql.query("ui_insert_user"), username, role, organ_id, password_hash
            )
        except asyncpg.UniqueViolationError:
            raise UserExists(f"A user named {username!r} already exists.") from None
        except asyncpg.ForeignKeyViolationError:
            raise UserError(f"No agency with OrganId {organ_id!r} is registered.") from None
        await audit.append(
            connection,
            audit.AuditEntry(
                actor, AuditAction.USER_ADD, username, {"role": role, "organ_id": organ_id}
            ),
        )
    logger.info("user added", extra={"username": username, "role": role})
    return User(username, role, organ_id)


async def authenticate(pool: Pool, username: str, password: str, *, source: str = "") -> User:
    """The user, or SignInRefused / AccountLocked (the same words for unknown names)."""
    async with pool.acquire() as connection:
        wait = await connection.fetchval(sql.query("sign_in_wait"), username, source)
        row = await connection.fetchrow(sql.query("ui_get_user"), username)
    if wait is not None:
        await _audit(
            pool, username, AuditAction.USER_SIGN_IN_FAILED, {"reason": "waiting", "from": source}
        )
        raise AccountLocked()
    password_hash = _DUMMY_HASH if row is None else row["password_hash"]
    if row is None or not await asyncio.to_thread(_verify, password_hash, password):
        await _failed(pool, username, source, unknown=row is None)
    assert row is not None
    new_hash = hash_password(password) if _hasher.check_needs_rehash(row["password_hash"]) else None
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.query("ui_record_success"), username, new_hash)
        await connection.execute(sql.query("sign_in_clear"), username, source)
        await audit.append(
            connection,
            audit.AuditEntry(username, AuditAction.USER_SIGN_IN, username, {"from": source}),
        )
    return User(row["username"], row["role"], row["organ_id"])


async def _failed(pool: Pool, username: str, source: str, *, unknown: bool) -> NoReturn:
    """Counts a failure of (username, source) and raises; unknown names are counted alike."""
    detail = {"from": source, **({"reason": "unknown"} if unknown else {})}
    async with pool.acquire() as connection, connection.transaction():
        recorded = await connection.fetchrow(
            sql.query("sign_in_record_failure"),
            username,
            source,
            MAX_FAILURES - 1,
            FIRST_WAIT_SECONDS,
            float(LOCK_SECONDS),
        )
        assert recorded is not None  # an upsert always answers its row
        failures, wait = recorded["failures"], recorded["wait"]
        if failures == 1:
            await connection.execute(sql.query("sign_in_forget_old"))
        entries = [audit.AuditEntry(username, AuditAction.USER_SIGN_IN_FAILED, username, detail)]
        if wait > 0:
            entries.append(
                audit.AuditEntry(
                    "axis",
                    AuditAction.USER_LOCKED,
                    username,
                    {"seconds": round(wait), "from": source},
                )
            )
        await audit.append_many(connection, entries)
    if wait > 0:
        logger.warning("sign-in slowed down", extra={"username": username, "source": source})
        raise AccountLocked()
    raise SignInRefused()


async def _audit(pool: Pool, username: str, action: AuditAction, detail: dict[str, str]) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await audit.append(connection, audit.AuditEntry(username, action, username, detail))
