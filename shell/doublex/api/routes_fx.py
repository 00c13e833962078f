"""The routes of FX: a pair's rate (set, read), a conversion between accounts, the open
position."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_fx
from doublex.api import responses_fx as r
from doublex.api.operation import Access, Operation, Response, link, posting

FX_LINKS = {
    "GetSourceJournal": link("getJournal", journal_id="$response.body#/source_journal_id"),
    "GetDestinationJournal": link(
        "getJournal", journal_id="$response.body#/destination_journal_id"
    ),
}

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "PUT",
        "/api/fx/rates/{base}/{quote}",
        "putFxRate",
        "Set the rate of a currency pair for a date (insert or replace)",
        handlers_fx.put_rate,
        args.RateSetArgs,
        {"200": Response("The stored rate", r.FxQuote)},
        access=Access.OPERATE,
    ),
    Operation(
        "GET",
        "/api/fx/rates",
        "getFxRate",
        "The rate of a pair on a date: direct, or inverted from the stored inverse pair",
        handlers_fx.get_rate,
        args.RateArgs,
        {"200": Response("The rate", r.FxQuote)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/fx/transfers",
        "postFxTransfer",
        "Convert between accounts of two currencies (two journals via clearing), idempotently",
        handlers_fx.post_transfer,
        args.FxTransferArgs,
        posting("Settled", "Duplicate: the original settlement", r.FxSettlement, FX_LINKS),
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/fx/position",
        "getFxPosition",
        "Open FX position per currency (clearing balances) in a reporting currency",
        handlers_fx.get_position,
        args.PositionArgs,
        {"200": Response("The position", r.FxPosition)},
        access=Access.READ,
    ),
]
