"""Intake: a submitted envelope is checked, then stored with its deliveries.

The CPU work (parse, validate, verify the signature) runs in the request's
task, outside any transaction; what needs the database (repeats, conflicts,
status rules, the rows themselves) is done by the group committer, which
writes concurrent submissions in one transaction per batch. A caller hears
about its message only after the commit that stored it.

Every refusal of a known agency is recorded (a ``refusals`` row and an audit
entry), through the same group committer so recording stays cheap under
load. A refusal before any agency is known (no or wrong credentials) is only
counted and sampled (:mod:`axis.intake.door`): strangers must not be able to
make the axis write for them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import asyncpg
from lxml import etree

import signing
from axis import metrics
from axis.intake import sealing
from axis.intake.door import DoorRefusals
from axis.intake.identifiers import check_identifiers
from axis.intake.message_ids import new_message_id
from axis.intake.planning import Outcome, route_document
from axis.intake.records import (
    Accepted,
    ActingTarget,
    Checked,
    CheckedDocument,
    CheckedStatus,
    VouchedBy,
)
from axis.intake.refusals import (
    ConflictingMessage,
    Forbidden,
    InvalidMessage,
    MalformedMessage,
    MessageTooLarge,
    Refusal,
    RefusalRecord,
)
from axis.intake.relay import IncomingHop, check_path, check_sender, hop_recipients
from axis.intake.writer import Item
from axis.registry import transition
from axis.registry.agencies import Agency, Registry
from axis.registry.agency_cache import AgencyCache
from axis.registry.peer_cache import PeerCache
from axis.registry.routes import RouteTable
from axis.registry.trust_cache import TrustCache
from axis.settings import Settings
from axis.storage import sql
from axis.storage.bodies import SpooledBody
from axis.storage.database import Pool
from axis.storage.group_commit import GroupCommitter
from axis.storage.spool import Body, Spool
from axis.vocabulary import ReceivedVia
from envelope import (
    BusinessDocType,
    Document,
    EnvelopeError,
    EnvelopeInvalid,
    FileBytes,
    MalformedXml,
    Status,
    parse_tree,
    parse_valid,
)
from envelope.safe_xml import Source
from signing.seal import SEALED_ALGORITHM

logger = logging.getLogger(__name__)

RefusalT = TypeVar("RefusalT", bound=Refusal)

__all__ = ["Accepted", "Intake", "Refusal"]


def _recipients(document: Document) -> list[str]:
    """Who gets a document: its ``To`` list; a replacement goes to the agencies its
    ``ReplacementInfo/OrganIdList`` name, when it names any (issue #14)."""
    named = [organ_id for acted in document.acts_on for organ_id in acted.organ_ids]
    if document.business_type is BusinessDocType.REPLACEMENT and named:
        return list(dict.fromkeys(named))
    return [recipient.organ_id for recipient in document.recipients]


def _acting_targets(document: Document, recipients: list[str]) -> tuple[ActingTarget, ...]:
    """What a revocation, update or replacement acts on, and whose copies of each."""
    if document.business_type in (None, BusinessDocType.NEW):
        return ()
    targets = tuple(
        ActingTarget(acted.document_id, acted.organ_ids or tuple(recipients))
        for acted in document.acts_on
    )
    if not targets:  # the validator refuses these first; intake must not guess
        raise InvalidMessage(
            "A replacement must name the document it replaces, in Bussiness/DocumentId or "
            "in ReplacementInfoList/ReplacementInfo/DocumentId.",
            code="business.missing_document_id",
        )
    return targets


def _envelope_refusal(error: EnvelopeError) -> Refusal:
    if isinstance(error, EnvelopeInvalid):
        return InvalidMessage(error.message, code=error.code)
    if isinstance(error, MalformedXml):
        return MalformedMessage(error.message)
    return MalformedMessage(error.message, code=error.code)


def _parse(data: Source) -> tuple[etree._Element, Document | Status]:
    try:
        # One parse serves both readers: it is a quarter of intake's CPU.
        tree = parse_tree(data)
        return tree, parse_valid(data, tree=tree)
    except EnvelopeError as error:
        raise _envelope_refusal(error) from None


def _check_sender(agency: Agency, message: Document | Status) -> None:
    sender = message.sender.organ_id if message.sender else ""
    if sender != agency.organ_id:
        raise Forbidden(
            f"The envelope's From/OrganId is {sender!r}, but the caller is {agency.organ_id}.",
            code="sender.mismatch",
        )


def _sha256(data: Body) -> bytes:
    """A spooled body was hashed as it arrived; one in memory is hashed here."""
    return data.sha256 if isinstance(data, SpooledBody) else hashlib.sha256(data).digest()


def _nowhere(_peer_name: str, _organ_id: str) -> bool:
    """``known_remotely`` when no recipient is routed to a peer (never asked)."""
    return False


def _urgency(item: Item) -> int:
    """A hỏa tốc document is stored before routine ones waiting with it (issue #8)."""
    return item.priority if isinstance(item, CheckedDocument) else 0


class Intake:
    def __init__(
        self,
        settings: Settings,
        pool: Pool,
        registry: Registry,
        trust: TrustCache,
        peers: PeerCache,
        *,
        agency_ttl: float = 2.0,
        batch_size: int = 100,
    ) -> None:
        self._settings = settings
        self._pool = pool
        self._registry = registry
        self._trust = trust
        self._agencies = AgencyCache(registry, ttl=agency_ttl)
        # The peers' routes, from the process's snapshot: read by every document
        # with a recipient this axis does not register.
        self._peers = peers
        self._committer: GroupCommitter[Item, Outcome] = GroupCommitter(
            pool, sealing.write_with_seals, batch_size=batch_size, urgency=_urgency
        )
        self._sealer = sealing.Sealer(settings)
        self.door = DoorRefusals(pool)
        # Where large bodies wait for their commit; leftovers of a crash go now.
        self.spool = Spool(settings.data_dir / "spool")
        self.spool.sweep()

    @property
    def max_message_bytes(self) -> int:
        return self._settings.max_message_bytes

    async def close(self) -> None:
        await self._committer.close()
        await self.door.close()

    async def refuse(
        self,
        refusal: RefusalT,
        organ_id: str | None,
        data: Body | None = None,
        *,
        received_via: ReceivedVia = ReceivedVia.API,
        source: str = "",
    ) -> RefusalT:
        """Records a refusal decided outside intake (auth, size) and returns it to raise.

        Without an agency (``organ_id`` None) the refusal is counted and
        sampled at the door, not written to ``refusals`` and the audit chain.
        """
        if organ_id is None:
            metrics.record_refused(refusal.code)
            self.door.note(refusal, received_via, source)
            return refusal
        await self._record(organ_id, refusal, data, received_via)
        return refusal

    async def _record(
        self, organ_id: str | None, refusal: Refusal, data: Body | None, received_via: ReceivedVia
    ) -> None:
        metrics.record_refused(refusal.code)
        sha = None if data is None else _sha256(data)
        record = RefusalRecord.of(refusal, organ_id, sha, received_via)
        try:
            await self._committer.submit(record)
        except Exception:  # the refusal itself must still reach the caller
            logger.exception("could not record refusal %s", refusal.code)

    async def submit(
        self, agency: Agency, data: Body, *, received_via: ReceivedVia = ReceivedVia.API
    ) -> Accepted:
        """Checks and stores ``data`` sent by ``agency``; raises a recorded :class:`Refusal`."""
        try:
            if len(data) > self._settings.max_message_bytes:
                raise MessageTooLarge(
                    f"The message has {len(data)} bytes; the limit is "
                    f"{self._settings.max_message_bytes}.",
                )
            checked = check_identifiers(await self._check(agency, data, received_via))
        except Refusal as refusal:
            await self._record(agency.organ_id, refusal, data, received_via)
            raise
        accepted = await self._store(checked)
        if accepted.created and checked.vouched_by is VouchedBy.SEAL:
            metrics.record_sealed(agency.organ_id)
        return accepted

    async def accept_hop(self, hop: IncomingHop) -> Accepted:
        """Checks and stores a message a peer relayed, as a submission is (federation.md).

        The envelope passes every check an agency's submission passes except
        that the caller is the peer: its sender must be one the peer serves,
        and the hop's recipients must be this axis's or routed onward, never
        back along the path. A refusal is recorded under the peer's name.
        """
        try:
            if len(hop.body) > self._settings.max_message_bytes:
                raise MessageTooLarge(
                    f"The message has {len(hop.body)} bytes; the limit is "
                    f"{self._settings.max_message_bytes}.",
                )
            check_path(hop, self._settings.name)
            await self._check_hop_key(hop)
            checked = check_identifiers(await self._check_hop(hop))
        except Refusal as refusal:
            await self._record(hop.peer.name, refusal, hop.body, ReceivedVia.RELAY)
            raise
        return await self._store(checked)

    async def _store(self, checked: Checked) -> Accepted:
        for attempt in (1, 2):
            try:
                outcome = await self._committer.submit(checked)
            except asyncpg.UniqueViolationError:
                # Another process stored the same message (or DocumentId) between our
                # look-up and our insert; the second attempt sees its row.
                if attempt == 2:
                    raise
                continue
            if isinstance(outcome, Refusal):
                metrics.record_refused(outcome.code)
                raise outcome
            assert isinstance(outcome, Accepted)
            if outcome.created:
                metrics.record_accepted(outcome.kind)
            return outcome
        raise AssertionError("unreachable")

    async def _check(self, agency: Agency, data: Body, received_via: ReceivedVia) -> Checked:
        if isinstance(data, bytes):
            return await self._check_source(agency, data, data, received_via)
        # A spooled body is read through a map of its file, never copied whole.
        with FileBytes.of(data.file) as source:
            return await self._check_source(agency, data, source, received_via)

    async def _check_source(
        self, agency: Agency, data: Body, source: Source, received_via: ReceivedVia
    ) -> Checked:
        tree, message = _parse(source)
        if isinstance(source, FileBytes):
            source.release()  # checked: only the tree is read from here on
        message_id = new_message_id()
        sha256 = _sha256(data)
        vouch = await self._vouch(agency, source, tree, message, message_id, sha256, received_via)
        common: dict[str, Any] = {
            "message_id": message_id,
            "sender_id": agency.organ_id,
            "body": data,
            "sha256": sha256,
            "received_via": received_via,
            **vouch,
        }
        if isinstance(message, Status):
            return self._status(message, common)
        return await self._document(message, common)

    async def _check_hop_key(self, hop: IncomingHop) -> None:
        """A hop key seen before must bring the same bytes (then it is a repeat)."""
        stored = await self._pool.fetchval(
            sql.query("relay_hop_body_sha"), hop.peer.name, hop.origin, hop.origin_message_id
        )
        if stored is not None and bytes(stored) != hashlib.sha256(hop.body).digest():
            raise ConflictingMessage(
                f"{hop.peer.name} already relayed {hop.origin}'s message "
                f"{hop.origin_message_id!r} with other bytes.",
                code="relay.conflict",
            )

    async def _check_hop(self, hop: IncomingHop) -> Checked:
        """A hop's envelope: parsed and verified as a submission's, the sender the peer's."""
        tree, message = _parse(hop.body)
        try:
            verified = signing.verify(hop.body, await self._trust.store(), tree=tree)
        except signing.SignatureError as error:
            # No seal across a hop: the far end verifies the sender's own signature.
            raise InvalidMessage(str(error), code=error.code) from None
        sender_id = message.sender.organ_id if message.sender else ""
        local = await self._agencies.agencies([sender_id])
        check_sender(hop, sender_id, is_local=sender_id in local)
        common: dict[str, Any] = {
            "message_id": new_message_id(),
            "sender_id": sender_id,
            "body": hop.body,
            "sha256": hashlib.sha256(hop.body).digest(),
            "received_via": ReceivedVia.RELAY,
            "signer_fingerprint": verified.fingerprint,
            "signature_algorithm": verified.signature_algorithm,
            "hop": hop.received,
        }
        if isinstance(message, Status):
            return self._status(message, common)
        wanted = hop_recipients(hop, _recipients(message))
        return await self._document(message, common, wanted=wanted, crossed=hop.path)

    async def _vouch(
        self,
        agency: Agency,
        source: Source,
        tree: etree._Element,
        message: Document | Status,
        message_id: str,
        sha256: bytes,
        received_via: ReceivedVia,
    ) -> dict[str, Any]:
        """Who vouches for the message: its verified XML signature, or (an agency in
        transition sending none) the axis's seal. Signed wins: an envelope carrying an
        XML signature is verified as usual, whatever the sender's policy."""
        try:
            verified = signing.verify(
                source, await self._trust.store(), allow_sha1=agency.legacy_sha1, tree=tree
            )
        except signing.SignatureError as error:
            unsigned = isinstance(
                error, signing.MissingSignatureError | signing.MisplacedSignatureError
            )
            found = sealing.xml_signature_found(tree) if unsigned else "signed"
            if found == "signed":
                raise InvalidMessage(str(error), code=error.code) from None
            await self._admit_unsigned(agency, error)
            _check_sender(agency, message)
            seal = self._sealer.seal(
                data_sha256=sha256, size=len(source), organ_id=agency.organ_id,
                received_via=received_via, message_id=message_id, xml_signature=found,
            )  # fmt: skip
            return {
                "signer_fingerprint": self._sealer.key.fingerprint,
                "signature_algorithm": SEALED_ALGORITHM,
                "vouched_by": VouchedBy.SEAL,
                "seal": seal,
            }
        _check_sender(agency, message)
        if verified.fingerprint not in await self._agencies.fingerprints(agency.organ_id):
            raise InvalidMessage(
                f"The signing certificate ({verified.subject}, SHA-256 {verified.fingerprint}) "
                f"is not registered for {agency.organ_id}.",
                code="certificate.not_registered",
            )
        return {
            "signer_fingerprint": verified.fingerprint,
            "signature_algorithm": verified.signature_algorithm,
        }

    async def _admit_unsigned(self, agency: Agency, error: signing.SignatureError) -> None:
        """Refuses an envelope without an XML signature unless its sender is in transition
        today; the refusal keeps the signature's code and names the policy."""
        policy = await transition.transition_of(self._pool, agency.organ_id)
        if policy is None:
            raise InvalidMessage(f"{error} {transition.POLICY_HINT}", code=error.code)
        if not policy.open_on(transition.today()):
            raise InvalidMessage(
                f"{error} {agency.organ_id} was in transition (unsigned envelopes sealed by "
                f"the axis) until {policy.until.isoformat()}; that period has ended, so its "
                "envelopes must now carry an XML signature.",
                code=error.code,
            )

    async def _document(
        self,
        document: Document,
        common: dict[str, Any],
        *,
        wanted: list[str] | None = None,
        crossed: tuple[str, ...] = (),
    ) -> CheckedDocument:
        acting_for = _recipients(document)
        wanted = acting_for if wanted is None else wanted
        known = await self._agencies.agencies(wanted)
        table = RouteTable(())
        known_remotely: Callable[[str, str], bool] = _nowhere
        # Only a recipient this axis does not register makes intake ask the peers.
        if len(known) < len(wanted):
            table = await self._peers.route_table()
            known_remotely = await self._peers.directory_check(wanted, is_local=known.__contains__)
        routed = route_document(wanted, known, table, known_remotely, crossed=crossed)
        business = document.business
        return CheckedDocument(
            document_id=document.document_id or "",
            subject=document.subject or "",
            code_number=(document.code.number or "") if document.code else "",
            code_notation=(document.code.notation or "") if document.code else "",
            priority=int(document.priority),
            business_type=None
            if business is None or business.doc_type is None
            else int(business.doc_type),
            acts_on=_acting_targets(document, acting_for),
            repeats_acted_on=document.repeats_acted_on,
            due_date=document.due_date,
            routes=routed.routes,
            relays=routed.relays,
            **common,
        )

    def _status(self, status: Status, common: dict[str, Any]) -> CheckedStatus:
        response_for = status.response_for
        if (
            response_for is None
            or not response_for.organ_id
            or not response_for.document_id
            or status.status_code is None
        ):
            raise InvalidMessage(
                "A status message needs ResponseFor/OrganId, ResponseFor/DocumentId and "
                "StatusCode.",
                code="status.incomplete",
            )
        return CheckedStatus(
            response_for_organ_id=response_for.organ_id,
            answers_document_id=response_for.document_id,
            status_code=status.status_code,
            description=status.description or "",
            status_at=status.timestamp,
            **common,
        )
