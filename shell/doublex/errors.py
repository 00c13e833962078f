"""The one map from PostgreSQL errors to DoubleX's typed exceptions.

`DX…` codes come from sql/errors.md (a test keeps the two identical). Everything the shell
raises to its callers is a `LedgerError`: handlers turn it into a problem document, the
CLI into a message and a non-zero exit.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import psycopg.errors
from psycopg_pool import PoolTimeout


@dataclass(frozen=True)
class ErrorKind:
    code: str
    name: str
    http_status: int


# code → (stable name, HTTP status). Keep in step with sql/errors.md.
DX_ERRORS: dict[str, ErrorKind] = {
    kind.code: kind
    for kind in (
        ErrorKind("DX001", "invalid_legs", 422),
        ErrorKind("DX002", "leg_count", 422),
        ErrorKind("DX003", "invalid_amount", 422),
        ErrorKind("DX004", "amount_precision", 422),
        ErrorKind("DX005", "unknown_currency", 422),
        ErrorKind("DX006", "unknown_account", 422),
        ErrorKind("DX007", "account_not_active", 422),
        ErrorKind("DX008", "currency_mismatch", 422),
        ErrorKind("DX009", "unbalanced_journal", 422),
        ErrorKind("DX010", "insufficient_funds", 422),
        ErrorKind("DX011", "idempotency_conflict", 409),
        ErrorKind("DX012", "invalid_idempotency_key", 422),
        ErrorKind("DX013", "journal_not_found", 404),
        ErrorKind("DX014", "already_reversed", 409),
        ErrorKind("DX015", "account_exists", 409),
        ErrorKind("DX016", "wrong_isolation", 503),
        ErrorKind("DX017", "append_only", 409),
        ErrorKind("DX018", "invalid_account", 422),
        ErrorKind("DX019", "invalid_argument", 422),
        ErrorKind("DX020", "account_not_found", 404),
        ErrorKind("DX021", "journal_sealed", 409),
        ErrorKind("DX022", "reversal_of_reversal", 422),
        ErrorKind("DX023", "account_status_conflict", 409),
        ErrorKind("DX024", "invalid_batch", 422),
        ErrorKind("DX025", "business_date_closed", 409),
        ErrorKind("DX026", "future_business_date", 422),
        ErrorKind("DX027", "invalid_ledger_settings", 422),
        ErrorKind("DX028", "trial_balance_not_zero", 409),
        ErrorKind("DX029", "invalid_business_date", 422),
        ErrorKind("DX030", "invalid_fx_rate", 422),
        ErrorKind("DX031", "same_currency", 422),
        ErrorKind("DX032", "fx_rate_not_found", 404),
        ErrorKind("DX033", "fx_amount_out_of_range", 422),
        ErrorKind("DX034", "fx_clearing_account_invalid", 409),
        ErrorKind("DX035", "invalid_statement", 422),
        ErrorKind("DX036", "statement_not_staged", 422),
        ErrorKind("DX037", "invalid_tolerance", 422),
        ErrorKind("DX038", "recon_not_found", 404),
        ErrorKind("DX039", "invalid_recon_argument", 422),
        ErrorKind("DX040", "unauthenticated", 401),
        ErrorKind("DX041", "capability_missing", 403),
        ErrorKind("DX042", "tenant_forbidden", 403),
        ErrorKind("DX043", "tenant_not_found", 404),
        ErrorKind("DX044", "invalid_capability", 422),
        ErrorKind("DX045", "api_key_not_found", 404),
        ErrorKind("DX046", "invalid_rate_limit", 422),
        ErrorKind("DX047", "posting_limit_exceeded", 422),
        ErrorKind("DX048", "demo_rate_limited", 429),
        ErrorKind("DX049", "hold_not_found", 404),
        ErrorKind("DX050", "hold_already_captured", 409),
        ErrorKind("DX051", "hold_voided", 409),
        ErrorKind("DX052", "hold_expired", 409),
        ErrorKind("DX053", "invalid_capture_amounts", 422),
        ErrorKind("DX054", "balance_above_maximum", 422),
        ErrorKind("DX055", "invalid_hold_argument", 422),
        ErrorKind("DX056", "invalid_condition", 422),
        ErrorKind("DX057", "condition_failed", 422),
        ErrorKind("DX058", "invalid_event_filter", 422),
        ErrorKind("DX059", "invalid_webhook", 422),
        ErrorKind("DX060", "webhook_not_found", 404),
        ErrorKind("DX061", "invalid_webhook_query", 422),
        ErrorKind("DX062", "too_many_webhooks", 409),
        ErrorKind("DX063", "invalid_monitor", 422),
        ErrorKind("DX064", "monitor_not_found", 404),
        ErrorKind("DX065", "too_many_monitors", 422),
        ErrorKind("DX066", "not_through_proxy", 409),
        ErrorKind("DX067", "tenant_moving", 503),
    )
}

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# The database's time limits (the roles' statement_timeout and lock_timeout, migration 0013):
# the statement was cancelled and rolled back.
TIMEOUT_SQLSTATES = {
    "57014": "the database cancelled the statement (statement timeout)",
    "55P03": "a lock wait ran out of time (lock timeout)",
}
# invalid_schema_name, undefined_function: the ledger's schema (or this version's functions)
# is not there, which only `doublex migrate` fixes. (Every call is a function of `ledger`.)
SCHEMA_MISSING_SQLSTATES = frozenset({"3F000", "42883"})


class LedgerError(Exception):
    """A request the ledger did not carry out; nothing was written."""

    code: str = "internal_error"
    name: str = "internal_error"
    http_status: int = 500

    def __init_subclass__(cls, *, code: str | None = None, http_status: int = 500) -> None:
        """`class X(LedgerError, code="x", http_status=503)`: the shell's own kinds, whose
        code is also their name."""
        super().__init_subclass__()
        if code is not None:
            cls.code = cls.name = code
            cls.http_status = http_status

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail
        self.hint = hint


class RuleViolation(LedgerError):
    """The SQL API rejected the request with one of its DX codes."""

    def __init__(self, kind: ErrorKind, message: str, **context: str | None) -> None:
        super().__init__(message, **context)
        self.code = kind.code
        self.name = kind.name
        self.http_status = kind.http_status


class InvalidInput(LedgerError, code="invalid_input", http_status=422):
    """A value PostgreSQL could not accept (malformed date, uuid or number)."""


class DatabaseUnavailable(LedgerError, code="database_unavailable", http_status=503):
    """The database cannot be reached; the request may be retried later."""


class RetriesExhausted(LedgerError, code="retries_exhausted", http_status=503):
    """Serialization conflicts persisted through every retry; nothing was written."""


class OutcomeUnknown(LedgerError, code="outcome_unknown", http_status=503):
    """The connection broke during COMMIT: replay the request with its idempotency key."""


class DeadlineExceeded(LedgerError, code="deadline_exceeded", http_status=503):
    """The request ran out of time: its deadline passed (retries included), or a statement or
    lock wait hit the database's timeout. A write may have committed just before the
    deadline struck: replay it with the same idempotency key."""


class RateLimited(LedgerError, code="rate_limited", http_status=429):
    """The request's API key is over its rate limit (api/rate_limit.py): refused before any
    ledger call, nothing written. `retry_after`: whole seconds until it may send again."""

    def __init__(self, message: str, *, retry_after: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class MigrationsPending(LedgerError, code="migrations_pending", http_status=503):
    """The database lacks the ledger's schema or functions: run `doublex migrate`."""


class InternalError(LedgerError):
    """An unexpected database error; details are logged, never sent to clients."""


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.Error) and exc.sqlstate in RETRYABLE_SQLSTATES


def from_database(exc: BaseException) -> LedgerError:
    """Translate a psycopg (or pool) exception into the LedgerError the caller sees."""
    if isinstance(exc, LedgerError):
        return exc
    if isinstance(exc, PoolTimeout):
        return DatabaseUnavailable("no database connection became available in time")
    if not isinstance(exc, psycopg.Error):
        return InternalError("unexpected error")
    sqlstate = exc.sqlstate or ""
    diag = exc.diag
    kind = DX_ERRORS.get(sqlstate)
    if kind is not None:
        return RuleViolation(
            kind,
            diag.message_primary or str(exc),
            field=diag.column_name,
            detail=diag.message_detail,
            hint=diag.message_hint,
        )
    if sqlstate in TIMEOUT_SQLSTATES:
        return DeadlineExceeded(
            TIMEOUT_SQLSTATES[sqlstate], hint="Retry later with the same idempotency key."
        )
    if isinstance(exc, psycopg.OperationalError) or sqlstate.startswith(("08", "57P")):
        return DatabaseUnavailable("the database is unavailable")
    if sqlstate in SCHEMA_MISSING_SQLSTATES:
        return MigrationsPending(
            "the database is not migrated to this version of DoubleX: run `doublex migrate`"
        )
    if sqlstate.startswith("22") or isinstance(exc, psycopg.DataError):
        # Class 22 from the server, or a value psycopg refuses to send (a NUL in a text).
        return InvalidInput(diag.message_primary or str(exc) or "invalid input value")
    return InternalError("unexpected database error")
