"""Per-key rate limits of the REST service (issue #15): a token bucket per API key.

The limit is the key's, kept in its row (`requests_per_second`, `burst`: ledger.create_api_key,
ledger.set_api_key_rate; SQL owns the values, their bounds and their defaults). This module
only enforces it, at the transport, as `api/site.py` caps connections: a key may send `burst`
requests at once and then `requests_per_second` a second; one more is answered 429
`rate_limited` with `Retry-After` (whole seconds, at least 1) before any ledger call, and
counted in `http_rate_limited_total`.

- A worker reads a key's limit with `ledger.key_rate()` (the request's key, verified by the
  database as for every call: an invalid token gets its 401 from there and never gets a
  bucket) the first time it sees the key, and again once `refresh_seconds` have passed: a
  changed limit applies within that bound. What the key may read or write is still checked
  by the ledger in every transaction, so a revocation is immediate as before.
- Buckets are keyed by the key id the database answered, and hold a keyed hash of the token
  they were read with (the key, random per process, never leaves it): a request whose token
  differs (another secret for the same id) is a miss, asks the database, and gets its 401,
  so nobody can drain another key's bucket by knowing its id. No token is kept.
- At most `size` buckets (config.KEY_BUCKETS), least recently used dropped first: memory is
  bounded whatever key ids clients send.
- Per worker process: with `doublex serve --workers N` a key may make up to N times its
  limit (each worker has its own buckets; a keep-alive client stays on one worker).

Own code, not a library: the bucket is a dozen lines; aiolimiter waits instead of refusing
and pyrate-limiter and token-bucket give neither a Retry-After nor a bounded key table.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from doublex import errors, metrics
from doublex.api.operation import Handler
from doublex.db import Ledger
from doublex.db.principal import PRINCIPAL
from doublex.db.runner import Row

HINT = (
    "Wait Retry-After seconds; an admin of the tenant may raise the key's limit"
    " (doublex keys rate, PATCH /api/keys/{key_id})."
)


@dataclass(slots=True)
class Bucket:
    """One key's token bucket: `tokens` requests may go now, refilled at `rate` a second up
    to `burst`."""

    digest: bytes  # the keyed hash of the token the limit was read with
    rate: int
    burst: int
    tokens: float
    stamp: float  # when `tokens` was last brought up to date
    fresh_until: float  # the limit is read again from then on

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float) -> float:
        """0 when a request may go (and one token is taken), else the seconds until one may."""
        self.refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class KeyBuckets:
    """The buckets of the keys one worker has seen, least recently used first."""

    def __init__(
        self, refresh_seconds: float, size: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.size = size
        self.clock = clock
        self.buckets: OrderedDict[str, Bucket] = OrderedDict()
        self._hash_key = os.urandom(16)

    def _digest(self, token: str) -> bytes:
        return hashlib.blake2b(token.encode(), key=self._hash_key, digest_size=16).digest()

    def _known(self, token: str, digest: bytes, now: float) -> Bucket | None:
        bucket = self.buckets.get(token.partition(".")[0])
        if bucket is None or bucket.digest != digest or now >= bucket.fresh_until:
            return None
        return bucket

    def _store(self, limit: Row, digest: bytes, now: float) -> Bucket:
        """The key's bucket with the limit just read: a known key with the same limit keeps
        its tokens (a re-read gives no free burst); a new key, or a changed limit (an admin's
        act), starts with a full bucket of the new burst."""
        key_id = str(limit["key_id"])
        rate, burst = int(limit["requests_per_second"]), int(limit["burst"])
        bucket = self.buckets.get(key_id)
        if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
            bucket = Bucket(digest, rate, burst, float(burst), now, 0.0)
        bucket.digest = digest
        bucket.fresh_until = now + self.refresh_seconds
        self.buckets[key_id] = bucket
        self.buckets.move_to_end(key_id)
        while len(self.buckets) > self.size:
            self.buckets.popitem(last=False)
        return bucket

    async def admit(self, ledger: Ledger, token: str) -> None:
        """Take one request of the key `token` from its bucket, or raise RateLimited (429).
        Reads the key's limit from the database when this worker does not hold a fresh one
        (LedgerError DX040 → 401 when the token is no valid key)."""
        digest = self._digest(token)
        bucket = self._known(token, digest, self.clock())
        if bucket is None:
            limit = await ledger.key_rate()
            bucket = self._store(limit, digest, self.clock())
        else:
            self.buckets.move_to_end(token.partition(".")[0])
        wait = bucket.take(self.clock())
        if wait:
            metrics.RATE_LIMITED.inc()
            raise errors.RateLimited(
                f"the API key is over its rate limit of {bucket.rate} requests per second"
                f" (burst {bucket.burst})",
                retry_after=max(1, math.ceil(wait)),
                hint=HINT,
            )


# The app's buckets (create_app), for a test or an operator's look at their number.
BUCKETS: web.AppKey[KeyBuckets] = web.AppKey("key_buckets", KeyBuckets)


def rate_limit(buckets: KeyBuckets, ledger_of: Callable[[web.Request], Ledger]) -> Middleware:
    """Admit each request that carries a key (auth.authenticate set PRINCIPAL) through its
    key's bucket; requests without one (health, the documentation, /metrics) pass."""

    @web.middleware
    async def limit_per_key(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = PRINCIPAL.get()
        if token:
            await buckets.admit(ledger_of(request), token)
        return await handler(request)

    return limit_per_key
