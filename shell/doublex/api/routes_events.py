"""The routes of the event log: a page of it, and the live stream (Server-Sent Events)."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_events
from doublex.api import responses_events as r
from doublex.api.operation import Access, Operation, Response, page

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/events",
        "listEvents",
        "The tenant's event log after a position, in commit order",
        handlers_events.list_events,
        args.EventsArgs,
        {"200": Response("A page", r.EventPage)},
        description=(
            "Every committed change of the tenant as an event (its type, payload, actor), at "
            "its commit-ordered `position`. Read from `after=0`, then pass each full page's "
            "`next_cursor` (its last position) as `after`: an event whose transaction commits "
            "late still comes after the position you read, never before it. A page that is "
            "not full ends the log for now (`next_cursor` null): keep the last position and "
            "ask again. Each event type's payload is its schema in components/schemas. 422 "
            "(`DX058`) for a negative `after` or an unknown type."
        ),
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/events/stream",
        "streamEvents",
        "The tenant's event log as Server-Sent Events, live",
        handlers_events.stream_events,
        args.EventStreamArgs,
        {
            "200": page(
                "The stream: each event's id is its position, its name its type, its "
                "data the event as GET /api/events answers it",
                "text/event-stream",
            )
        },
        description=(
            "The events after `Last-Event-ID` (or `after`), then each new one as it is "
            "sequenced (polled every DOUBLEX_SSE_POLL_SECONDS), with a ping comment every "
            "DOUBLEX_SSE_PING_SECONDS. The stream ends after DOUBLEX_SSE_MAX_SECONDS, or when "
            "the key is revoked; reconnecting with Last-Event-ID resumes exactly after the "
            "last event received."
        ),
        access=Access.READ,
        stream=True,
    ),
]
