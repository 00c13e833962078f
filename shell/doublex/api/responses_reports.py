"""Response bodies of the reports: the trial balance, a reconciliation, the business
calendar (doublex.api.responses: what every answer is)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from doublex.api.fields import Documented, Money
from doublex.api.responses import Day, Reply, Timestamp


class EodStatus(Reply):
    tenant: str
    time_zone: str = Field(examples=["UTC"])
    cutoff: str = Field(description="Local time the business day ends")
    business_date: Day
    latest_closed_date: Day | None
    last_closed_at: Timestamp | None = None
    last_seal: str | None = Field(None, description="Hex SHA-256")
    open_dates: list[Day]
    next_posting_date: Day


class TrialBalanceLine(Reply):
    code: str
    name: str
    type: str
    ccy: str
    normal_side: Literal["debit", "credit"]
    debits: Money
    credits: Money
    balance: Money = Field(description="On the account's normal side")


class TrialBalanceTotal(Reply):
    ccy: str
    accounts: int
    debits: Money
    credits: Money
    net: Money = Field(description="debits - credits: zero in every currency")


class TrialBalance(Reply):
    as_of: Day | None
    items: list[TrialBalanceLine]
    next_cursor: str | None
    totals: list[TrialBalanceTotal] = Field(description="Every account of the tenant, per currency")


class ReconException(Reply):
    kind: Literal["amount_mismatch", "missing_in_ledger", "missing_in_bank"]
    ref: str | None = Field(description="Statement ref, else the journal's")
    delta: Money = Field(description="Bank amount minus ledger amount (missing side: 0)")
    amount: Money = Field(description="The bank's amount, else the ledger's")
    line: int | None = Field(
        description="Line number in the statement file (null: missing_in_bank)"
    )


class ReconReport(Reply):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "The latest reconciliation run of an account and date. Amounts are "
            "signed as the bank sees them: money into the account is positive."
        }
    )

    date: Day
    account: str
    ledger_total: Money
    bank_total: Money
    matched: Annotated[int, Documented(minimum=0)]
    unmatched: Annotated[int, Documented(minimum=0)] = Field(description="Exceptions")
    exceptions: list[ReconException] = Field(description="One page of the exceptions, in order")
    next_cursor: str | None = Field(
        description="cursor of the next page of exceptions (null: this page is the last)"
    )
