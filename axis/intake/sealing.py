"""Sealing: what intake does with an unsigned envelope from an agency in transition.

The envelope has no XML signature (none at all, or the placeholder
``Signature`` in the edXML namespace that some agencies' libraries write),
and its sender is in transition (:mod:`axis.registry.transition`). The axis
then accepts it on the channel credentials alone and seals it: its own
signature (:mod:`signing.seal`) over the exact bytes, the agency, the channel
and the time. The message is stored with ``signature_algorithm`` 'axis-seal'
and the seal beside it (``message_seals``), in the same transaction, so a
sealed message can never be stored and look signed.

The axis's key: ``AXIS_SEAL_KEY_FILE`` (set it in production, the same file
on every host), else ``seal.key`` in the data folder, created on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree

from axis.errors import ConfigurationError
from axis.intake.planning import Outcome
from axis.intake.records import Accepted, Checked, Seal
from axis.intake.writer import Item, write_batch
from axis.settings import Settings
from axis.storage import sql
from axis.storage.database import Connection
from axis.vocabulary import ReceivedVia
from signing.seal import SealClaims, SealKey, load_or_create

logger = logging.getLogger(__name__)

XMLDSIG_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
_KEY_FILE = "seal.key"
_AUTHENTICATED_BY = {ReceivedVia.API: "bearer", ReceivedVia.VXP: "vxp-hmac"}


def xml_signature_found(tree: etree._Element) -> str:
    """'signed' if an XML-Signature element is anywhere (it is then verified as usual),
    else 'placeholder' (a ``Signature`` in another namespace) or 'none'."""
    if next(tree.iter(XMLDSIG_SIGNATURE), None) is not None:
        return "signed"
    for element in tree.iter(etree.Element):
        if etree.QName(element).localname == "Signature":
            return "placeholder"
    return "none"


def seal_key_for(settings: Settings) -> SealKey:
    """The axis's seal key: the configured file, or one kept in the data folder."""
    if settings.seal_key_file is not None:
        try:
            return SealKey.from_pem(settings.seal_key_file.read_bytes())
        except OSError as error:
            raise ConfigurationError(
                f"Setting AXIS_SEAL_KEY_FILE names {str(settings.seal_key_file)!r}, which "
                f"cannot be read: {error.strerror}."
            ) from None
    if not settings.uses_embedded_database:
        raise ConfigurationError(
            "Setting AXIS_SEAL_KEY_FILE must be set when AXIS_DATABASE_URL names an external "
            "database: every host must seal with the same key."
        )
    return load_or_create(settings.data_dir / _KEY_FILE)


class Sealer:
    """Seals messages with the axis's key, read on first use (signed traffic never needs it)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._key: SealKey | None = None

    @property
    def key(self) -> SealKey:
        if self._key is None:
            self._key = seal_key_for(self._settings)
        return self._key

    def seal(
        self,
        *,
        data_sha256: bytes,
        size: int,
        organ_id: str,
        received_via: ReceivedVia,
        message_id: str,
        xml_signature: str,
    ) -> Seal:
        sealed_at = datetime.now(UTC)
        claims = SealClaims(
            sha256=data_sha256.hex(),
            size=size,
            agency=organ_id,
            channel=str(received_via),
            authenticated_by=_AUTHENTICATED_BY[received_via],
            message_id=message_id,
            sealed_at=sealed_at,
            xml_signature=xml_signature,
        )
        return Seal(self.key.seal(claims), sealed_at)


async def write_with_seals(connection: Connection, items: Sequence[Item]) -> list[Outcome]:
    """:func:`write_batch`, then the seals of the sealed messages it stored, same transaction."""
    outcomes = await write_batch(connection, items)
    stored = [
        item
        for item, outcome in zip(items, outcomes, strict=True)
        if isinstance(item, Checked)
        and item.seal is not None
        and isinstance(outcome, Accepted)
        and outcome.created
        and outcome.id == item.message_id
    ]
    if stored:
        await connection.execute(
            sql.query("seal_insert"),
            [item.message_id for item in stored],
            [item.sender_id for item in stored],
            [item.seal.jws for item in stored if item.seal is not None],
            [item.seal.sealed_at for item in stored if item.seal is not None],
        )
        logger.info(
            "sealed messages stored",
            extra={"message_ids": [item.message_id for item in stored]},
        )
    return outcomes
