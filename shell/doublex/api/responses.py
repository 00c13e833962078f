"""Response bodies, declared once: /api/openapi.json publishes them (serialisation schemas).

The handlers answer with the ledger's rows as they come (jsonio writes Decimal as strings);
these classes say what those rows look like, and Schemathesis checks every answer against
them. Amounts are exact decimal strings (`Money`), never JSON numbers.

This module holds what every answer shares (`Reply`, the problem document) and the
service's own answers (health, liveness, readiness); each area's are in `responses_ledger`
(accounts, balances, journals), `responses_holds`, `responses_fx`, `responses_reports`,
`responses_access` (the tenant, API keys, the audit log), `responses_events`,
`responses_webhooks` and `responses_monitors`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

Day = date
Timestamp = datetime


class Reply(BaseModel):
    """A response body (never validated at run time: the ledger's row is the answer)."""


class ProblemItem(BaseModel):
    field: str
    message: str


class Problem(Reply):
    type: str
    title: str
    status: int
    code: str = Field(description="DX code (sql/errors.md) or shell code")
    detail: str
    hint: str | None = None
    errors: list[ProblemItem]


class HealthMigrations(Reply):
    applied: int | None = None
    latest: str | None = None
    pending: list[str] | None = None


class Health(Reply):
    status: Literal["ok", "degraded", "unavailable"]
    version: str
    database: str
    migrations: HealthMigrations | None = Field(
        description="null when the database cannot be reached"
    )


class Liveness(Reply):
    status: Literal["ok"]
    version: str


class Readiness(Reply):
    status: Literal["ready", "not_ready"]
    database: str = Field(description="ok, unreachable, or migrations pending")
    pending: list[str] = Field(description="Migrations this version knows and the database lacks")
