"""The event log: a page after a position (GET /api/events) and the live stream of
Server-Sent Events (GET /api/events/stream, aiohttp-sse).

A stream starts after `Last-Event-ID` (a reconnecting EventSource sends the last id it got)
or else `after`, and sends each event with its position as the SSE id and its type as the
SSE event name; it polls the log every `poll_seconds` once it has caught up, pings every
`ping_seconds` (a comment line, so proxies keep the connection), and ends after
`max_seconds`: the client reconnects with Last-Event-ID and misses nothing. Each poll is a
ledger call as the request's key, so a revoked key ends the stream at its next poll. The
first page is read before the stream opens: a bad filter or key answers as a problem
document, not as a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import web
from aiohttp_sse import sse_response

from doublex import errors, jsonio
from doublex.api import args
from doublex.api.handlers import ledger, respond

STREAM_PAGE = 100  # events per poll of a stream


@dataclass(frozen=True)
class StreamLimits:
    """DOUBLEX_SSE_POLL_SECONDS, DOUBLEX_SSE_PING_SECONDS, DOUBLEX_SSE_MAX_SECONDS."""

    poll_seconds: float = 0.5
    ping_seconds: float = 15.0
    max_seconds: float = 300.0


STREAM_LIMITS: web.AppKey[StreamLimits] = web.AppKey("stream_limits", StreamLimits)


def _types(text: str | None) -> list[str] | None:
    """`types=a,b` as a list (the ledger checks the names: DX058)."""
    return None if text is None else text.split(",")


async def list_events(request: web.Request, a: args.EventsArgs) -> web.Response:
    items = await ledger(request).list_events(a.after, _types(a.types), a.limit)
    next_cursor = str(items[-1]["position"]) if len(items) == a.limit else None
    return respond({"items": items, "next_cursor": next_cursor})


async def stream_events(request: web.Request, a: args.EventStreamArgs) -> web.StreamResponse:
    limits = request.app[STREAM_LIMITS]
    types = _types(a.types)
    position = a.last_event_id if a.last_event_id is not None else a.after
    items = await ledger(request).list_events(position, types, STREAM_PAGE)
    loop = asyncio.get_running_loop()
    ends = loop.time() + limits.max_seconds
    async with sse_response(request, ping_interval=limits.ping_seconds) as stream:
        with contextlib.suppress(ConnectionResetError):  # the client went away
            while True:
                for item in items:
                    data = jsonio.dumps(item).decode()
                    await stream.send(data, id=str(item["position"]), event=item["type"])
                    position = item["position"]
                if loop.time() >= ends:
                    break
                if len(items) < STREAM_PAGE:
                    await asyncio.sleep(min(limits.poll_seconds, max(0.0, ends - loop.time())))
                try:
                    items = await ledger(request).list_events(position, types, STREAM_PAGE)
                except errors.LedgerError:
                    break  # e.g. the key was revoked: the stream ends (headers are sent)
    return stream
