"""The routes of holds: create, list, read, capture, void."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_holds
from doublex.api import responses_holds as r
from doublex.api.operation import Access, Operation, Response, link, posting

HOLD_LINKS = {
    "GetHold": link("getHold", hold_id="$response.body#/hold_id"),
    "CaptureHold": link("captureHold", hold_id="$response.body#/hold_id"),
    "VoidHold": link("voidHold", hold_id="$response.body#/hold_id"),
}
RESOLUTION_LINKS = {"GetHold": HOLD_LINKS["GetHold"]}
JOURNAL_OF_CAPTURE = {
    **RESOLUTION_LINKS,
    "GetJournal": link("getJournal", journal_id="$response.body#/journal_id"),
}
HOLDS_DESCRIPTION = (
    "Holds oldest first, a page at a time (`limit`, then `cursor` = the previous page's "
    "`next_cursor`); `account`: those with a leg on it; `status` as each hold reads now (a "
    "hold past its `expires_at` is expired whether or not the sweep marked it)."
)

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "POST",
        "/api/holds",
        "createHold",
        "Reserve a balanced set of legs without posting them, idempotently",
        handlers_holds.create_hold,
        args.HoldCreateArgs,
        posting("Held", "Duplicate: the original hold", r.HoldCreated, HOLD_LINKS),
        "The legs are checked as a journal's and count as pending on their accounts until "
        "the hold is captured, voided or expires: they reduce the available balance at once "
        "(422 DX010 below an account's min_balance, DX054 above its max_balance).",
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/holds",
        "listHolds",
        "Holds, oldest first, of one account and status when given",
        handlers_holds.list_holds,
        args.HoldsArgs,
        {"200": Response("A page", r.HoldPage)},
        HOLDS_DESCRIPTION,
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/holds/{hold_id}",
        "getHold",
        "One hold with its status, legs and resolution",
        handlers_holds.get_hold,
        args.HoldPath,
        {"200": Response("The hold", r.Hold)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/holds/{hold_id}/capture",
        "captureHold",
        "Post a hold as a journal, whole or in part, and release the rest, idempotently",
        handlers_holds.capture_hold,
        args.HoldCaptureArgs,
        {
            "201": Response("Captured", r.HoldResolution, links=JOURNAL_OF_CAPTURE),
            "200": Response("Duplicate: the original capture", r.HoldResolution),
        },
        "Capture, void and expiry are exclusive: 409 DX050 after a capture, DX051 after a "
        "void, DX052 after expiry; 422 DX053 for amounts that do not fit the hold.",
        access=Access.POST,
    ),
    Operation(
        "POST",
        "/api/holds/{hold_id}/void",
        "voidHold",
        "Release a hold without posting it, idempotently",
        handlers_holds.void_hold,
        args.HoldVoidArgs,
        {
            "200": Response(
                "Voided, or duplicate: the original void", r.HoldResolution, links=RESOLUTION_LINKS
            )
        },
        "Exclusive with capture and expiry: 409 DX050 after a capture, DX051 after a void, "
        "DX052 after expiry.",
        access=Access.POST,
    ),
]
