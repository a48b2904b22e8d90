"""Encryption of secrets we must be able to read back (mailbox passwords, provider tokens).

Fernet (AES-128-CBC + HMAC-SHA256) with keys derived by HKDF from `FIELD_ENCRYPTION_KEY`, or
from `SECRET_KEY` when that is unset. `FIELD_ENCRYPTION_KEY` may list several secrets separated
by commas: the first encrypts, all of them decrypt — rotate by putting the new one first. The
`SECRET_KEY`-derived key always decrypts too, so setting `FIELD_ENCRYPTION_KEY` later does not
lock out values stored before it.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Changing this label changes every derived key: it versions the derivation, not the data.
_HKDF_INFO = b"madoguchi field encryption v1"


class DecryptionError(ValueError):
    """The value was encrypted with a key we no longer have (or was tampered with)."""


def encrypt_text(plain: str) -> str:
    return _fernet(*_secrets()).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return _fernet(*_secrets()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from exc


def _secrets() -> tuple[str, ...]:
    configured = [s.strip() for s in settings.FIELD_ENCRYPTION_KEY.split(",") if s.strip()]
    return tuple(dict.fromkeys([*configured, settings.SECRET_KEY]))


@lru_cache(maxsize=8)
def _fernet(*secrets: str) -> MultiFernet:
    return MultiFernet([Fernet(_derive_key(secret)) for secret in secrets])


def _derive_key(secret: str) -> bytes:
    # HKDF, not a password hash: the inputs are long random secrets, not human passwords.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)
