"""The directory operations: agency lists, unit sync, and units a system manages.

A system may register and suspend units only below its own agency: the new
unit's parent must be the caller's OrganId or one of its descendants, and a
system can never remove itself, the root of its tree or anything of another
system. Deleting suspends (messages keep referring to the row).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from axis.boundary import FORM_VALUE, ORGAN_ID, InputRefused, read_json
from axis.registry.agencies import AgencyExists, AgencyNotFound, InvalidOrganId, Registry
from axis.storage import sql
from axis.storage.database import Pool
from axis.vxp import wire
from axis.vxp.authentication import Caller
from axis.vxp.documents import vxp_time

logger = logging.getLogger(__name__)

# registerAgency's data: one small object of a unit's code, parent, name and mail.
_AGENCY_DATA = FORM_VALUE.named("agency data")
_MAX_AGENCY_DATA = 64 * 1024


class DirectoryCache:
    """Encoded directory answers, reused while the agencies table is unchanged.

    A national directory holds ~10^5 agencies: building and escaping the list
    costs about a second, checking the table's version costs one index-free
    aggregate, so an answer is rebuilt only after a change (or after
    ``max_age`` seconds, in case a change did not touch ``updated_at``).
    """

    def __init__(self, max_age: float = 60.0) -> None:
        self._max_age = max_age
        self._answers: dict[str, tuple[object, float, bytes]] = {}

    async def answer(
        self, pool: Pool, operation: str, build: Callable[[Pool], Awaitable[bytes]]
    ) -> bytes:
        row = await pool.fetchrow(sql.query("vxp_directory_version"))
        version = (row["agencies"], row["updated_at"]) if row is not None else None
        now = time.monotonic()
        cached = self._answers.get(operation)
        if cached is not None and cached[0] == version and now - cached[1] < self._max_age:
            return cached[2]
        encoded = await build(pool)
        self._answers[operation] = (version, now, encoded)
        return encoded


def ascii_json(text: str) -> bytes:
    """JSON text as ASCII, every other character as a ``\\uXXXX`` escape (the SDK
    decodes some answers as US-ASCII), at C speed rather than one call per character.

    Escaped backslashes become ``\\u005c`` first, so every remaining backslash
    starts one of JSON's own escapes, none of which is ``\\x`` or ``\\U``; then
    ``backslashreplace`` writes ``\\xNN``, ``\\uNNNN`` or ``\\UNNNNNNNN`` for each
    other character, and the first and last are rewritten into JSON's forms.
    """
    escaped = text.replace("\\\\", "\\u005c").encode("ascii", "backslashreplace")
    escaped = escaped.replace(b"\\x", b"\\u00")
    if b"\\U" in escaped:
        escaped = _ASTRAL.sub(_surrogates, escaped)
    return escaped


_ASTRAL = re.compile(rb"\\U([0-9a-f]{8})")


def _surrogates(match: re.Match[bytes]) -> bytes:
    point = int(match.group(1), 16) - 0x10000
    return b"\\u%04x\\u%04x" % (0xD800 + (point >> 10), 0xDC00 + (point & 0x3FF))


async def _listed(pool: Pool, query: str) -> bytes:
    """A directory list: PostgreSQL encodes the array (120,000 rows decoded and
    re-encoded in Python took a second), this wraps it in the success answer."""
    data = await pool.fetchval(query)
    head = wire.success().encode()
    return head[:-1] + b',"data":' + ascii_json(data) + b"}"


async def agencies_list(pool: Pool) -> bytes:
    return await _listed(pool, sql.query("vxp_agencies_list_json"))


async def agencies_list_qd20(pool: Pool) -> bytes:
    # What `level` selects is UNCERTAIN in the SDK; every active agency is listed.
    return await _listed(pool, sql.query("vxp_agencies_list_qd20_json"))


async def synchronize_units(pool: Pool) -> bytes:
    rows = await pool.fetch(sql.query("vxp_all_units"))
    data = [
        {
            "id": row["organ_id"],
            "pid": row["parent_id"] or "",
            "code": row["organ_id"],
            "name": row["name"],
            "mail": row["email"],
            "centerCode": row["system_id"],
            "version": int(row["updated_at"].timestamp()),
            "deleted": not row["active"],
            "modifyDate": vxp_time(row["updated_at"]),
            "isAgency": True,
        }
        for row in rows
    ]
    return wire.success(data=data).encode()


def lenient_object(body: bytes) -> dict[str, Any] | None:
    """registerAgency's data: JSON, or the single-quoted near-JSON of the SDK's example."""
    try:
        text = body.decode("utf-8").strip().lstrip("\ufeff")
    except UnicodeDecodeError:
        return None
    for candidate in (text, text.replace("'", '"')):
        try:
            value = read_json(
                candidate, _AGENCY_DATA, max_bytes=_MAX_AGENCY_DATA, max_depth=4, strict=False
            )
        except InputRefused as refused:
            if refused.rule != "not_json":
                raise
            continue
        if isinstance(value, dict):
            return value
    return None


async def _within(pool: Pool, organ_id: str, ancestor: str) -> bool:
    return bool(await pool.fetchval(sql.query("vxp_is_within"), organ_id, ancestor))


async def register(pool: Pool, registry: Registry, caller: Caller, body: bytes) -> wire.Answer:
    data = lenient_object(body)
    if data is None:
        return wire.failure(wire.BAD_REQUEST, "The agency data is not a JSON object.")
    code = ORGAN_ID.named("code").check(str(data.get("code") or "").strip())
    parent = ORGAN_ID.named("pcode").check(str(data.get("pcode") or "").strip())
    name = str(data.get("name") or "").strip()
    if not code or not parent or not name:
        return wire.failure(wire.BAD_REQUEST, "The agency data needs code, pcode and name.")
    own = caller.agency.organ_id
    if not await _within(pool, parent, own):
        return wire.failure(
            wire.FORBIDDEN, f"Units may only be registered below {own}, not below {parent}."
        )
    try:
        await registry.add(
            code,
            name,
            parent_id=parent,
            email=str(data.get("mail") or ""),
            actor=caller.actor,
        )
    except (AgencyExists, InvalidOrganId) as error:
        code_ = wire.CONFLICT if isinstance(error, AgencyExists) else wire.BAD_REQUEST
        return wire.failure(code_, str(error))
    logger.info("vxp unit registered", extra={"organ_id": code, "actor": caller.actor})
    return wire.success()


async def delete(pool: Pool, registry: Registry, caller: Caller) -> wire.Answer:
    code = ORGAN_ID.named("AgencyCode").check(caller.parameter("agencycode").strip())
    own = caller.agency.organ_id
    if not code:
        return wire.failure(wire.BAD_REQUEST, "The signed headers carry no AgencyCode.")
    if code == own or not await _within(pool, code, own):
        return wire.failure(wire.FORBIDDEN, f"Only units below {own} can be deleted here.")
    try:
        await registry.set_active(code, False, actor=caller.actor)
    except AgencyNotFound as error:
        return wire.failure(wire.NOT_FOUND, str(error))
    return wire.success()
