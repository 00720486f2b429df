"""Agency secrets at rest: encrypted with AES-GCM under the configured key.

The VXP surface must recompute HMACs with an agency's secret, so the secret
cannot be stored as a one-way hash; it is encrypted instead. A keyed lookup
digest (HMAC-SHA256 under a key derived from the same secret key) finds the
agency of a bearer token without decrypting every row.

With the embedded database and no ``AXIS_SECRET_KEY``, a random key is
created once in the data folder, readable by its owner only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from axis.errors import AxisError, ConfigurationError
from axis.settings import Settings

_NONCE_BYTES = 12
_KEY_FILE = "secret.key"


class SecretUnreadable(AxisError):
    """A stored agency secret cannot be decrypted: AXIS_SECRET_KEY is not the key it was stored under."""  # noqa: E501


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """A fresh secret, shown once, and what is stored of it: its ciphertext and lookup digest."""

    secret: str
    ciphertext: bytes
    lookup: bytes


@dataclass(frozen=True, slots=True)
class SecretBox:
    encryption_key: bytes
    lookup_key: bytes

    @classmethod
    def from_passphrase(cls, passphrase: str) -> SecretBox:
        root = hashlib.sha256(passphrase.encode()).digest()
        return cls(
            encryption_key=hmac.digest(root, b"axis agency secret encryption", "sha256"),
            lookup_key=hmac.digest(root, b"axis agency secret lookup", "sha256"),
        )

    def encrypt(self, secret: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + AESGCM(self.encryption_key).encrypt(nonce, secret.encode(), b"agency")

    def decrypt(self, ciphertext: bytes) -> str:
        nonce, sealed = ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:]
        try:
            return AESGCM(self.encryption_key).decrypt(nonce, sealed, b"agency").decode()
        except InvalidTag:
            raise SecretUnreadable() from None

    def lookup_digest(self, secret: str) -> bytes:
        return hmac.digest(self.lookup_key, secret.encode(), "sha256")

    def issue(self) -> IssuedSecret:
        """A new secret for an agency or a peer to present here, ready to store."""
        secret = new_agency_secret()
        return IssuedSecret(secret, self.encrypt(secret), self.lookup_digest(secret))


def new_agency_secret() -> str:
    """A fresh secret: 32 random bytes, base64 like the secrets VXP issues."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def secret_box_for(settings: Settings) -> SecretBox:
    if settings.secret_key is not None:
        return SecretBox.from_passphrase(settings.secret_key)
    if not settings.uses_embedded_database:
        raise ConfigurationError(
            "Setting AXIS_SECRET_KEY must be set when AXIS_DATABASE_URL names an external "
            "database: agency secrets are encrypted under it."
        )
    return SecretBox.from_passphrase(local_secret_key(settings))


def local_secret_key(settings: Settings) -> str:
    """The key kept in the data folder for an installation on the embedded database."""
    data_dir = settings.data_dir
    if settings.secret_key is not None:
        return settings.secret_key
    path = data_dir / _KEY_FILE
    if not path.exists():
        # Written aside, then linked into place: link() fails if another
        # process got there first, so every process ends up with one key.
        data_dir.mkdir(parents=True, exist_ok=True)
        draft = data_dir / f".{_KEY_FILE}.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
