"""Locust load for the REST service: transfers between random accounts of a pool.

    .venv/bin/locust -f bench/locustfile.py --headless -u 8 -r 8 -t 20s \\
        --host http://127.0.0.1:8000            # or `make bench-api`, which serves and seeds

Environment:
    TX_PER_SEC        target transfers per second over all users; 0 (default) = no pacing
    ACCOUNT_POOL_SIZE accounts A0001… the transfers move money between (default 100)
    ACCOUNT_CCY       their currency (default EUR)
    DEDUPE_RATE       share of requests that replay an earlier request's key and body, as a
                      client retrying after a timeout would (default 0.05); a replay must
                      answer 200 with the original journal, a new key 201
    SEED_ACCOUNTS     1 (default): create the pool's accounts through the API at the start
                      (201, or 409 when they exist); 0 when the caller has seeded them
    SAMPLES_FILE      when set, every request's outcome and latency is written there as JSON
                      at the end (bench/run_api_bench.py computes exact percentiles from it)
    DOUBLEX_KEY       the API key every request sends (Authorization: Bearer); seeding the
                      accounts needs its `admin` capability, posting its `post`

Every transfer has two legs of one amount (0.01 to 99.99) between two distinct accounts.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from typing import Any

from locust import FastHttpUser, events, task
from locust.env import Environment

TX_PER_SEC = float(os.environ.get("TX_PER_SEC", "0"))
ACCOUNT_POOL_SIZE = int(os.environ.get("ACCOUNT_POOL_SIZE", "100"))
ACCOUNT_CCY = os.environ.get("ACCOUNT_CCY", "EUR")
DEDUPE_RATE = float(os.environ.get("DEDUPE_RATE", "0.05"))
SEED_ACCOUNTS = os.environ.get("SEED_ACCOUNTS", "1") not in ("0", "false", "no")
SAMPLES_FILE = os.environ.get("SAMPLES_FILE")
# The API key of the tenant (Authorization: Bearer), as the README's curl examples use it.
DOUBLEX_KEY = os.environ.get("DOUBLEX_KEY", "")

ACCOUNTS = [f"A{n:04d}" for n in range(1, ACCOUNT_POOL_SIZE + 1)]
REPLAY_MEMORY = 200  # each user replays one of its last few hundred requests
AUTH = {"Authorization": f"Bearer {DOUBLEX_KEY}"} if DOUBLEX_KEY else {}
HEADERS = {"Content-Type": "application/json", **AUTH}

# (start time, latency ms, outcome) per request: "posted", "duplicate" or "failed: …".
SAMPLES: list[tuple[float, float, str]] = []


def new_transfer() -> dict[str, Any]:
    debit, credit = random.sample(ACCOUNTS, 2)
    amount = f"{random.randint(1, 9999) / 100:.2f}"
    return {
        "idempotency_key": uuid.uuid4().hex,
        "legs": [
            {"account": debit, "side": "debit", "amount": amount, "ccy": ACCOUNT_CCY},
            {"account": credit, "side": "credit", "amount": amount, "ccy": ACCOUNT_CCY},
        ],
    }


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def seed_accounts(environment: Environment, **_: Any) -> None:
    """Open the pool's accounts through the API unless the caller seeded them."""
    if not SEED_ACCOUNTS or environment.host is None:
        return
    for code in ACCOUNTS:
        body = json.dumps({"code": code, "name": f"Load test {code}", "ccy": ACCOUNT_CCY})
        request = urllib.request.Request(
            f"{environment.host}/api/accounts", data=body.encode(), headers=HEADERS
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # 409: it exists already
                raise


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def write_samples(environment: Environment, **_: Any) -> None:
    if SAMPLES_FILE:
        with open(SAMPLES_FILE, "w", encoding="utf-8") as handle:
            json.dump({"samples": SAMPLES}, handle)


def pacing(user: Transfers) -> float:
    """Seconds to wait between a user's tasks: none, or TX_PER_SEC spread over the users."""
    if TX_PER_SEC <= 0:
        return 0.0
    runner = user.environment.runner
    users = max(1, int(runner.user_count) if runner is not None else 1)
    per_user = TX_PER_SEC / users
    elapsed = time.monotonic() - user.task_started
    return max(0.0, 1.0 / per_user - elapsed)


class Transfers(FastHttpUser):
    """One client posting transfers back to back (or paced), sometimes replaying a key."""

    def wait_time(self) -> float:
        return pacing(self)

    def on_start(self) -> None:
        self.sent: deque[dict[str, Any]] = deque(maxlen=REPLAY_MEMORY)
        self.task_started = time.monotonic()

    @task
    def post_transfer(self) -> None:
        self.task_started = time.monotonic()
        replay = bool(self.sent) and random.random() < DEDUPE_RATE
        body = random.choice(self.sent) if replay else new_transfer()
        expected = 200 if replay else 201
        name = "POST /api/transfers (replay)" if replay else "POST /api/transfers"
        started = time.time()
        with self.client.post(
            "/api/transfers", json=body, name=name, headers=AUTH, catch_response=True
        ) as response:
            latency_ms = (time.time() - started) * 1000
            outcome = self._judge(response, expected)
            if outcome in ("posted", "duplicate"):
                response.success()
                if not replay:
                    self.sent.append(body)
            else:
                response.failure(outcome)
            SAMPLES.append((started, latency_ms, outcome))

    @staticmethod
    def _judge(response: Any, expected: int) -> str:
        if response.status_code != expected:
            return f"failed: HTTP {response.status_code} (expected {expected})"
        try:
            status = response.json()["status"]
        except (ValueError, KeyError, TypeError):
            return "failed: unreadable body"
        wanted = "posted" if expected == 201 else "duplicate"
        return status if status == wanted else f"failed: status {status}"
