"""The routes of the ledger's books: accounts (their balance, limits, history and
statement), transfers (one, a batch) and journals (list, one, a reversal)."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers, handlers_eod, handlers_holds
from doublex.api import responses_ledger as r
from doublex.api.limits import Limit, Text
from doublex.api.operation import Access, Operation, Response, link, posting

JOURNAL_LINKS = {
    "GetJournal": link("getJournal", journal_id="$response.body#/journal_id"),
    "ReverseJournal": link("reverseJournal", journal_id="$response.body#/journal_id"),
}
ACCOUNT_LINKS = {
    "GetAccount": link("getAccount", code="$response.body#/code"),
    "GetBalance": link("getBalance", code="$response.body#/code"),
}

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "POST",
        "/api/accounts",
        "createAccount",
        "Open an account",
        handlers.create_account,
        args.CreateAccountArgs,
        {"201": Response("Created", r.Account, links=ACCOUNT_LINKS)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/accounts",
        "listAccounts",
        "List accounts by code",
        handlers.list_accounts,
        args.Page,
        {"200": Response("A page", r.AccountPage)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}",
        "getAccount",
        "One account",
        handlers.get_account,
        args.AccountPath,
        {"200": Response("The account", r.Account)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/balance",
        "getBalance",
        "Balance on the account's normal side",
        handlers.get_balance,
        args.BalanceArgs,
        {"200": Response("The balance", r.Balance)},
        access=Access.READ,
    ),
    Operation(
        "PUT",
        "/api/accounts/{code}/limits",
        "setAccountLimits",
        "Set (or clear) the account's minimum and maximum balance",
        handlers_holds.set_limits,
        args.LimitsArgs,
        {"200": Response("The account's balances with its new limits", r.AvailableBalance)},
        "Both limits at once (a limit left out is none). The ledger enforces them on the "
        "available balance for every writer from then on; recorded in the audit log.",
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/history",
        "getBalanceHistory",
        "Opening, debits, credits and closing per closed business date",
        handlers_eod.get_history,
        args.HistoryArgs,
        {"200": Response("One item per closed date, in order", r.BalanceHistory)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/statement",
        "getStatement",
        Text(
            "Opening balance, every leg of the period with its running balance, closing "
            "balance; a page of `limit` legs at a time, at most {n} days",
            n=Limit("statement_days"),
        ),
        handlers_eod.get_statement,
        args.StatementArgs,
        {"200": Response("A page of the statement, in order", r.Statement)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/transfers",
        "postTransfer",
        "Post a balanced journal, idempotently",
        handlers.post_transfer,
        args.TransferArgs,
        posting("Posted", "Duplicate: the original result", r.PostingResult, JOURNAL_LINKS),
        access=Access.POST,
    ),
    Operation(
        "POST",
        "/api/transfers/batch",
        "postTransferBatch",
        Text("Post up to {n} journals in one transaction", n=Limit("batch_requests")),
        handlers.post_transfer_batch,
        args.BatchArgs,
        {"200": Response("One result per request, in order", r.BatchResult)},
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/journals",
        "listJournals",
        "Journals by effective date",
        handlers.list_journals,
        args.JournalsArgs,
        {"200": Response("A page", r.JournalPage)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/journals/{journal_id}",
        "getJournal",
        "One journal with its legs",
        handlers.get_journal,
        args.JournalPath,
        {"200": Response("The journal", r.Journal)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/journals/{journal_id}/reverse",
        "reverseJournal",
        "Post the mirror journal, once",
        handlers.reverse_journal,
        args.ReverseArgs,
        posting(
            "Reversed",
            "Duplicate: the original reversal",
            r.PostingResult,
            {"GetJournal": JOURNAL_LINKS["GetJournal"]},
            again=False,
        ),
        access=Access.POST,
    ),
]
