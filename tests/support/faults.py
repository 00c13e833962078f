"""Clients for the fault suite: they post transfers through the REST service and, like a
careful production client, replay the same idempotency key on a 503 or a broken connection
until the ledger acknowledges it.

Every request takes its headers from `request_headers()`, the one place to add credentials
(test_time_limits.py's requests take theirs from it too).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# Two currencies, so that "debits = credits per currency" is checked for more than one.
PAIRS = (("EUR-A", "EUR-B", "EUR"), ("USD-A", "USD-B", "USD"))
ACCOUNTS = [(code, ccy) for debit, credit, ccy in PAIRS for code in (debit, credit)]
# The service under fault: a small pool, short waits, so that faults show within seconds.
SERVICE_ENV = {
    "DOUBLEX_POOL_MAX": "4",
    "DOUBLEX_POOL_TIMEOUT": "2",
    "DOUBLEX_REQUEST_DEADLINE": "3",
    "DOUBLEX_ROLLUP_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
}


def request_headers(token: str) -> dict[str, str]:
    """The headers of every request the fault suite's clients send: JSON, and the API key
    `token` of the tenant they post to."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}


@dataclass
class Tally:
    """What the clients saw."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # key → journal_id
    answers: dict[int, int] = field(default_factory=dict)  # status → how many
    broken: int = 0  # connection refused, reset or timed out
    unexpected: list[tuple[str, int, str]] = field(default_factory=list)
    unavailable_codes: dict[str, int] = field(default_factory=dict)  # 503's code → how many
    # When each attempt ended (time.monotonic()) and whether it was acknowledged.
    timeline: list[tuple[float, bool]] = field(default_factory=list)

    def saw(self, status: int) -> None:
        self.answers[status] = self.answers.get(status, 0) + 1

    @property
    def replays(self) -> int:
        """Requests that had to be sent again: a 503 or a broken connection."""
        return self.answers.get(503, 0) + self.broken

    def unavailable(self, since: float) -> float:
        """Seconds from the first attempt that failed after `since` to the first one
        acknowledged after it (0 when none failed)."""
        failed = [at for at, acknowledged in self.timeline if at >= since and not acknowledged]
        if not failed:
            return 0.0
        back = [at for at, acknowledged in self.timeline if at > failed[0] and acknowledged]
        assert back, "no write was acknowledged after the first failure"
        return min(back) - failed[0]


def transfer(key: str, n: int) -> dict[str, Any]:
    debit, credit, ccy = PAIRS[n % len(PAIRS)]
    amount = f"{1 + n % 97}.{n % 100:02d}"
    return {
        "idempotency_key": key,
        "legs": [
            {"account": debit, "side": "debit", "amount": amount, "ccy": ccy},
            {"account": credit, "side": "credit", "amount": amount, "ccy": ccy},
        ],
    }


def _problem_code(text: str) -> str:
    """The `code` of a problem document ("?" when the body is not one)."""
    try:
        return str(json.loads(text).get("code", "?"))
    except (ValueError, AttributeError):
        return "?"


async def post_until_acknowledged(
    session: aiohttp.ClientSession,
    base: str,
    token: str,
    key: str,
    n: int,
    tally: Tally,
    give_up: float,
) -> None:
    """POST the transfer until it is acknowledged (201 or a 200 replay); a 503 or a broken
    connection is replayed with the same key, anything else is recorded as unexpected."""
    body = transfer(key, n)
    while time.monotonic() < give_up:
        try:
            async with session.post(
                f"{base}/api/transfers", json=body, headers=request_headers(token)
            ) as response:
                text = await response.text()
                tally.saw(response.status)
                acknowledged = response.status in (200, 201)
                tally.timeline.append((time.monotonic(), acknowledged))
                if acknowledged:
                    tally.acknowledged[key] = (await response.json())["journal_id"]
                    return
                if response.status == 503:
                    code = _problem_code(text)
                    tally.unavailable_codes[code] = tally.unavailable_codes.get(code, 0) + 1
                else:
                    tally.unexpected.append((key, response.status, text[:300]))
                    if response.status != 500:
                        return
        except (aiohttp.ClientError, TimeoutError):
            tally.broken += 1
            tally.timeline.append((time.monotonic(), False))
        await asyncio.sleep(random.uniform(0.02, 0.1))
    tally.unexpected.append((key, 0, "never acknowledged"))


async def load(
    base: str,
    token: str,
    workers: int,
    done: Callable[[], bool],
    tally: Tally,
    prefix: str = "fault-",
) -> None:
    """`workers` clients post new keys (`prefix`…) with the API key `token` until `done()`
    says so (at most 60 s); each finishes its last key."""
    stop_at = time.monotonic() + 60
    give_up = stop_at + 45
    timeout = aiohttp.ClientTimeout(total=10)

    async def client(worker: int) -> None:
        async with aiohttp.ClientSession(timeout=timeout) as session:
            n = 0
            while time.monotonic() < stop_at and not done():
                await post_until_acknowledged(
                    session, base, token, f"{prefix}{worker}-{n}", worker + n, tally, give_up
                )
                n += 1

    await asyncio.gather(*(client(w) for w in range(workers)))
