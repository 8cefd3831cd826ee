"""Sealing secrets kept at rest (users' GitHub tokens, PKCE verifiers) with Fernet.

The key derives from SESSION_SECRET, so every `serve` replica opens what another sealed;
without it the key is random per process, and sessions end with the process, as the
cookies signed with that same secret do.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

# A distinct derivation, so the sealing key is never the cookie-signing key itself.
_CONTEXT = b"remediation-bot/sealed-tokens/v1\x00"


class Sealer:
    """Fernet (AES-128-CBC + HMAC-SHA256, timestamped) over text values."""

    def __init__(self, secret: bytes) -> None:
        key = base64.urlsafe_b64encode(hashlib.sha256(_CONTEXT + secret).digest())
        self._fernet = Fernet(key)

    def seal(self, value: str) -> str:
        """The value encrypted and authenticated, as URL-safe text."""
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str | None:
        """The value, or None if it was sealed with another key or altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None
