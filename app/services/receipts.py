"""Receipts (收件回执): the query code that lets anyone holding the receipt follow a case without login."""

from __future__ import annotations

import hmac
import secrets

# No 0/O, 1/I/L: the code is read off paper and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8


def new_query_code() -> str:
    """A random 8-character query code (31^8 ≈ 8.5·10^11 values; lookups are also rate-limited)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_query_code(text: str) -> str:
    return "".join(str(text or "").split()).upper()[:32]


def query_code_matches(expected: str | None, given: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(expected.encode(), normalise_query_code(given).encode())
