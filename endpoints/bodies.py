"""Message bodies across HTTP, in pieces (issue #17).

:func:`receive_body` streams a request body into the intake spool (in memory
up to its threshold, else a temporary file), enforcing the size limit on the
bytes that actually arrive: a lying or missing Content-Length changes
nothing. :func:`send_body` answers a stored body piece by piece, with its
Content-Length, so a 150 MB fetch holds one piece at a time.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from axis import metrics
from axis.intake.refusals import MalformedMessage, MessageTooLarge
from axis.intake.service import Intake
from axis.storage import bodies
from axis.storage.database import Pool
from axis.storage.spool import Body, BodyTooLarge
from axis.vocabulary import ReceivedVia
from axis.vxp.documents import FileAnswer

_READ_BYTES = 1 << 16
_INCOMPLETE = "message.incomplete"


@contextlib.asynccontextmanager
async def receive_body(
    request: web.Request,
    intake: Intake,
    organ_id: str,
    *,
    received_via: ReceivedVia = ReceivedVia.API,
) -> AsyncIterator[Body]:
    """The request's body for the block; refusals (too large, cut off) are recorded."""
    limit = intake.max_message_bytes
    if request.content_length is not None and request.content_length > limit:
        raise await intake.refuse(
            MessageTooLarge(
                f"The message has {request.content_length} bytes; the limit is {limit}."
            ),
            organ_id,
            received_via=received_via,
        )
    try:
        async with intake.spool.receive(chunks(request), limit) as body:
            yield body
    except BodyTooLarge as error:
        raise await intake.refuse(
            MessageTooLarge(f"The message is over {limit} bytes (at least {error.received})."),
            organ_id,
            received_via=received_via,
        ) from None
    except BodyIncomplete as error:
        # The caller went away (or broke its framing): nobody is left to read the
        # refusal and nothing was decided about a message, so it is counted, not
        # written (a dropped connection must not cost the database a write).
        metrics.record_refused(_INCOMPLETE)
        raise MalformedMessage(
            f"The request body ended before it was complete ({error}).", code=_INCOMPLETE
        ) from None


class BodyIncomplete(Exception):
    """Reading the request body failed; only :func:`chunks` raises it, so an error of
    the block that uses the body (the database away, say) is never mistaken for it."""


async def chunks(request: web.Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; a broken read raises :class:`BodyIncomplete`."""
    try:
        async for chunk in request.content.iter_chunked(_READ_BYTES):
            yield chunk
    except (HttpProcessingError, ConnectionError) as error:
        raise BodyIncomplete(type(error).__name__) from error


async def send_file(
    request: web.Request, pool: Pool, file: FileAnswer, content_type: str
) -> web.StreamResponse:
    """A VXP file answer: the body as is, or base64 inside the JSON around it."""
    if not file.base64:
        return await send_body(request, pool, file.stored, content_type)
    encoded = 4 * -(-file.stored.size // 3)
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = len(file.before) + encoded + len(file.after)
    await response.prepare(request)
    await response.write(file.before)
    carry = b""
    async for piece in bodies.pieces(pool, file.stored):
        data = carry + piece
        whole = len(data) - len(data) % 3
        await response.write(base64.b64encode(data[:whole]))
        carry = data[whole:]
    await response.write(base64.b64encode(carry) + file.after)
    await response.write_eof()
    return response


async def send_body(
    request: web.Request, pool: Pool, stored: bodies.StoredBody, content_type: str
) -> web.StreamResponse:
    """``stored`` as the answer: one piece in memory at a time."""
    if stored.whole:  # every small body: one write, as before
        return web.Response(body=stored.first, content_type=content_type)
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = stored.size
    await response.prepare(request)
    async for piece in bodies.pieces(pool, stored):
        await response.write(piece)
    await response.write_eof()
    return response
