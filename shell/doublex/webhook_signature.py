"""Webhook signatures, Stripe's scheme: the sender's `DoubleX-Signature` header and the
receiver's check (standard library only: a receiver may copy this file).

    DoubleX-Signature: t=1733312345,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e…

`v1` is the hex HMAC-SHA256, keyed with the endpoint's secret, of `<t>.<body>`: the
timestamp, a dot and the raw request body. A receiver recomputes it over the bytes it
received (before any JSON parsing), compares in constant time, and refuses a timestamp more
than `tolerance` seconds (5 minutes) from its clock, so a captured request cannot be
replayed later. Several `v1=` entries may appear (a secret being rolled): one match is
enough. De-duplicate on the `Event-Id` header: delivery is at least once.

    from doublex.webhook_signature import verify_signature
    if not verify_signature(secret, request.headers["DoubleX-Signature"], await request.read()):
        return web.Response(status=400)
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "DoubleX-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The `DoubleX-Signature` header value for `body`, signed now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: float = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` carries a timestamp within `tolerance` seconds of `now` (default:
    the clock) and a `v1` signature of `body` with `secret`; False for anything else
    (malformed, stale, future, wrong signature)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    clock = time.time() if now is None else now
    if abs(clock - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
