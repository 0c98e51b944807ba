"""Tracking codes: unguessable, easy to read over the phone, no look-alike characters."""

from __future__ import annotations

import secrets

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V: what is left is hard to confuse aloud or on paper.
ALPHABET = "34679ACDEFGHJKMNPQRTWXY"
LENGTH = 10  # 23**10 ≈ 4e13 codes: guessing is hopeless behind the throttle


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_code(raw)


def format_code(raw: str) -> str:
    """Group as XXXX-XXX-XXX for reading aloud."""
    return f"{raw[:4]}-{raw[4:7]}-{raw[7:]}"


def normalize(text: str) -> str:
    """Accept what a person types: any case, with or without spaces and dashes."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(cleaned) != LENGTH or any(c not in ALPHABET for c in cleaned):
        return ""
    return format_code(cleaned)
