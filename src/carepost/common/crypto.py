"""Encryption at rest for evidence files and platform tokens (Fernet: AES-128-CBC + HMAC).

The key comes from CAREPOST_ENCRYPTION_KEY (a Fernet key, or several separated by
commas, newest first, for rotation). Production refuses to start without it; in
development a key is derived from SECRET_KEY so the demo works out of the box.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in (settings.CAREPOST_ENCRYPTION_KEY or "").split(",") if k.strip()]
    if not keys:
        if settings.PRODUCTION:
            raise ImproperlyConfigured("CAREPOST_ENCRYPTION_KEY must be set in production.")
        derived = hashlib.sha256(
            b"carepost-dev-encryption:" + str(settings.SECRET_KEY).encode()
        ).digest()
        keys = [base64.urlsafe_b64encode(derived).decode()]
    try:
        return MultiFernet([Fernet(k) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "CAREPOST_ENCRYPTION_KEY is not a valid key: create one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        ) from exc


def encrypt(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(bytes(token))
    except InvalidToken as exc:
        raise ValueError("This file cannot be decrypted with the configured key.") from exc


def reset_cache() -> None:
    _fernet.cache_clear()
