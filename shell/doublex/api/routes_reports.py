"""The routes of the reports: the trial balance, a date's reconciliation (JSON and the
HTML page), the business calendar."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers, handlers_eod, handlers_recon
from doublex.api import responses_reports as r
from doublex.api.operation import PROBLEM, Access, Operation, Response, page
from doublex.api.responses import Problem

RECON_REPORT_DESCRIPTION = (
    "The latest run of one account and date. Without `account` the answer is the one account "
    "reconciled that date; when several accounts were reconciled that date it is 422 "
    "(problem document, code `invalid_request`, field `account`) whose detail lists their "
    "codes and asks for `account`. 404 (`DX038`) when no run exists for that date, or for "
    "that account on that date; 404 (`DX020`) for an unknown account. The exceptions come a "
    "page at a time (`limit`, then `cursor` = the previous page's `next_cursor`)."
)

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/reports/balances",
        "getTrialBalance",
        "The trial balance: every account's debits, credits and balance, and totals per currency",
        handlers.trial_balance,
        args.TrialBalanceArgs,
        {"200": Response("A page of accounts, and the totals of all of them", r.TrialBalance)},
        "Accounts by code, a page at a time (`limit`, then `cursor` = the previous page's "
        "`next_cursor`); `totals` cover every account of the tenant, per currency, and net "
        "to zero. `as_of`: the legs effective on or before that date.",
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/reports/recon",
        "getReconReport",
        "A date's reconciliation of one account: totals, counts, exceptions (404: no run)",
        handlers_recon.recon_summary,
        args.ReconArgs,
        {
            "200": Response("The reconciliation", r.ReconReport),
            "404": Response("No run for that date (DX038)", Problem, PROBLEM),
            "422": Response(
                "Several accounts were reconciled that date and `account` was left out (the "
                "detail lists them), or a malformed parameter",
                Problem,
                PROBLEM,
            ),
        },
        RECON_REPORT_DESCRIPTION,
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/reports/recon.html",
        "getReconReportHtml",
        "The reconciliation report of a date as a self-contained HTML page",
        handlers_recon.recon_html,
        args.ReconPageArgs,
        {"200": page("The page", "text/html")},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/eod",
        "getEodStatus",
        "Business calendar: business date, latest close, open dates",
        handlers_eod.get_eod_status,
        args.NoArgs,
        {"200": Response("The status", r.EodStatus)},
        access=Access.READ,
    ),
]
