"""Which signing certificates the axis trusts, and what it concluded about them.

Chains are built and validated by `cryptography`'s X.509 verifier against the
configured anchors; revocation is checked here against the CRLs, which that
verifier does not read. What a chain check concluded is cached per signer
fingerprint (bounded, least recently used first out) and forgotten whenever
the anchors, intermediates or CRLs change.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from signing.errors import (
    ExpiredCertificateError,
    KeyUsageError,
    RevokedCertificateError,
    UntrustedCertificateError,
)
from signing.identity import fingerprint
from signing.revocation import CrlFile, RevocationList, load_crl

logger = logging.getLogger(__name__)

Chain = tuple[x509.Certificate, ...]
CrlInput = x509.CertificateRevocationList | CrlFile


def _end_entity_policy() -> ExtensionPolicy:
    # The Web PKI defaults want a subjectAltName, a TLS clientAuth EKU and a
    # key identifier that agency signing certificates often lack; key usage
    # is checked by us, so that refusal gets its own code.
    policy = ExtensionPolicy.webpki_defaults_ee()
    for extension in (
        x509.SubjectAlternativeName,
        x509.ExtendedKeyUsage,
        x509.KeyUsage,
        x509.AuthorityKeyIdentifier,
    ):
        policy = policy.may_be_present(extension, Criticality.AGNOSTIC, None)
    return policy


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle; ValueError when there is none."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError:
        certificates = []
    if not certificates:
        raise ValueError("no certificate in the PEM data")
    return certificates


def _read(paths: Iterable[str | os.PathLike[str]]) -> list[x509.Certificate]:
    found: list[x509.Certificate] = []
    for path in paths:
        with open(path, "rb") as handle:
            found.extend(load_certificates(handle.read()))
    return found


def check_key_usage(certificate: x509.Certificate) -> None:
    """Refuses a certificate whose key usage excludes signing documents."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # RFC 5280: no keyUsage extension means no restriction.
    if not (usage.digital_signature or usage.content_commitment):
        raise KeyUsageError(
            "the signer's certificate allows neither digitalSignature nor nonRepudiation"
        )


def check_validity(certificate: x509.Certificate, at: datetime) -> None:
    if at < certificate.not_valid_before_utc:
        raise ExpiredCertificateError("the signer's certificate is not yet valid")
    if at > certificate.not_valid_after_utc:
        raise ExpiredCertificateError("the signer's certificate has expired")


@dataclass(frozen=True, slots=True)
class _Conclusion:
    chain: Chain
    valid_from: datetime
    valid_until: datetime


class TrustStore:
    """Trust anchors, intermediates and CRLs; checks signing certificates."""

    def __init__(
        self,
        anchors: Iterable[x509.Certificate] = (),
        intermediates: Iterable[x509.Certificate] = (),
        crls: Iterable[CrlInput] = (),
        *,
        cache_size: int = 4096,
    ) -> None:
        self._lock = threading.Lock()
        self._anchors: list[x509.Certificate] = list(anchors)
        self._intermediates: list[x509.Certificate] = list(intermediates)
        self._crl_files: list[CrlFile] = []
        self._static_crls: list[RevocationList] = []
        self._cache: OrderedDict[str, _Conclusion] = OrderedDict()
        self._cache_size = cache_size
        self._store: Store | None = None
        for crl in crls:
            self._add_crl(crl)
        self._revocation_lists = self._collect_crls()

    # ----- construction ------------------------------------------------------

    @classmethod
    def from_pem(
        cls,
        anchors: bytes | Iterable[bytes],
        intermediates: bytes | Iterable[bytes] = (),
        crls: bytes | Iterable[bytes] = (),
        **options: int,
    ) -> TrustStore:
        """From PEM data held in memory (e.g. read from the broker's database)."""

        def many(value: bytes | Iterable[bytes]) -> list[bytes]:
            return [value] if isinstance(value, bytes) else list(value)

        return cls(
            [cert for pem in many(anchors) for cert in load_certificates(pem)],
            [cert for pem in many(intermediates) for cert in load_certificates(pem)],
            [load_crl(data) for data in many(crls)],
            **options,
        )

    @classmethod
    def from_files(
        cls,
        anchors: Iterable[str | os.PathLike[str]],
        intermediates: Iterable[str | os.PathLike[str]] = (),
        crls: Iterable[str | os.PathLike[str]] = (),
        *,
        cache_size: int = 4096,
        crl_check_interval: float = 1.0,
    ) -> TrustStore:
        """From PEM files; the CRL files are re-read when they change."""
        return cls(
            _read(anchors),
            _read(intermediates),
            [CrlFile(path, check_interval=crl_check_interval) for path in crls],
            cache_size=cache_size,
        )

    # ----- changes -----------------------------------------------------------

    def add_anchor(self, certificate: x509.Certificate) -> None:
        with self._lock:
            self._anchors.append(certificate)
            self._store = None
            self._cache.clear()

    def add_intermediate(self, certificate: x509.Certificate) -> None:
        with self._lock:
            self._intermediates.append(certificate)
            self._cache.clear()

    def add_crl(self, crl: CrlInput) -> None:
        with self._lock:
            self._add_crl(crl)
            self._revocation_lists = self._collect_crls()
            self._cache.clear()

    def _add_crl(self, crl: CrlInput) -> None:
        if isinstance(crl, CrlFile):
            self._crl_files.append(crl)
        else:
            self._static_crls.append(RevocationList.of(crl))

    def _collect_crls(self) -> tuple[RevocationList, ...]:
        current = [f.current for f in self._crl_files if f.current is not None]
        return (*self._static_crls, *current)

    def refresh(self) -> bool:
        """Re-reads changed CRL files; True (and the cache emptied) when any changed."""
        changed = False
        for crl_file in self._crl_files:
            changed = crl_file.refresh() or changed
        if changed:
            with self._lock:
                self._revocation_lists = self._collect_crls()
                self._cache.clear()
        return changed

    @property
    def anchors(self) -> tuple[x509.Certificate, ...]:
        return tuple(self._anchors)

    @property
    def cached_chains(self) -> int:
        return len(self._cache)

    # ----- checking ----------------------------------------------------------

    def check(
        self,
        certificate: x509.Certificate,
        at: datetime | None = None,
        intermediates: Sequence[x509.Certificate] = (),
        *,
        known_fingerprint: str | None = None,
    ) -> Chain:
        """The validated chain, signer first, anchor last; raises a SignatureError.

        ``known_fingerprint`` (the certificate's SHA-256, when the caller has
        it already) saves hashing the certificate again on the hot path.
        """
        at = _utc(at)
        check_validity(certificate, at)
        check_key_usage(certificate)
        self.refresh()
        key = known_fingerprint or fingerprint(certificate)
        with self._lock:
            conclusion = self._cache.get(key)
            if conclusion is not None:
                self._cache.move_to_end(key)
        if conclusion is None or not conclusion.valid_from <= at <= conclusion.valid_until:
            conclusion = self._build(certificate, at, intermediates)
            with self._lock:
                self._cache[key] = conclusion
                self._cache.move_to_end(key)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        self._check_revocation(conclusion.chain, at)
        return conclusion.chain

    def _build(
        self, certificate: x509.Certificate, at: datetime, presented: Sequence[x509.Certificate]
    ) -> _Conclusion:
        with self._lock:
            if not self._anchors:
                raise UntrustedCertificateError(
                    "no trust anchor is configured, so nothing is trusted"
                )
            if self._store is None:
                self._store = Store(list(self._anchors))
            store = self._store
            pool = [*self._intermediates, *presented]
        verifier = (
            PolicyBuilder()
            .store(store)
            .time(at)
            .extension_policies(
                ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_end_entity_policy()
            )
            .build_client_verifier()
        )
        try:
            chain = tuple(verifier.verify(certificate, pool).chain)
        except VerificationError as error:
            logger.info("chain refused for %s: %s", certificate.subject.rfc4514_string(), error)
            if "not valid at validation time" in str(error):
                raise ExpiredCertificateError(
                    "a certificate in the signer's chain is expired or not yet valid"
                ) from error
            raise UntrustedCertificateError(
                "the signer's certificate does not chain to a trusted certificate authority"
            ) from error
        return _Conclusion(
            chain,
            max(c.not_valid_before_utc for c in chain),
            min(c.not_valid_after_utc for c in chain),
        )

    def _check_revocation(self, chain: Chain, at: datetime) -> None:
        lists = self._revocation_lists
        if not lists:
            return
        for subject, issuer in itertools.pairwise(chain):
            for revocation in lists:
                if revocation.issuer != issuer.subject:
                    continue
                revoked_at = revocation.revoked.get(subject.serial_number)
                if revoked_at is None or revoked_at > at:
                    continue
                if not revocation.is_signed_by(issuer.public_key()):
                    logger.warning("ignoring a CRL not signed by %s", issuer.subject)
                    continue
                which = "signer's certificate" if subject is chain[0] else "an issuing CA"
                raise RevokedCertificateError(f"the {which} was revoked on {revoked_at:%Y-%m-%d}")


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    if at.tzinfo is None:
        # Naive times are taken as UTC, as `cryptography` does.
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)
