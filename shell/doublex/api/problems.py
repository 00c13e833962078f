"""application/problem+json responses (RFC 9457) with DoubleX's stable codes.

Every error response is built here: from a LedgerError (the DX codes of sql/errors.md and the
shell's own codes), from aiohttp's HTTP errors (404, 405, 413, 415), or from a request the
shell could not parse.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from doublex import errors, jsonio

PROBLEM_TYPE = "urn:doublex:problem:"
RETRY_AFTER = re.compile(r"Retry after (\d+) seconds")
CONTENT_TYPE = "application/problem+json"

TITLES: dict[int, str] = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class RequestProblem(Exception):
    """A request the shell refuses before it reaches the ledger (bad JSON, wrong types)."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field


def problem(
    status: int,
    code: str,
    name: str,
    detail: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + name,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        "errors": [{"field": field, "message": detail}] if field else [],
    }
    if extra:
        body.update(extra)
    return web.Response(
        status=status, body=jsonio.dumps(body), content_type=CONTENT_TYPE, headers=headers
    )


def from_ledger_error(exc: errors.LedgerError, challenge: str | None = None) -> web.Response:
    """The problem document of a refused call; `challenge`: the WWW-Authenticate of a 401."""
    headers = {"Retry-After": "1"} if exc.http_status == 503 else None
    if isinstance(exc, errors.RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif exc.http_status == 429:
        # The ledger says when (DX048's DETAIL: "Retry after N seconds.").
        wait = RETRY_AFTER.search(exc.detail or "")
        headers = {"Retry-After": wait.group(1) if wait else "60"}
    if challenge is not None:
        headers = {"WWW-Authenticate": challenge}
    detail = exc.message if not exc.detail else f"{exc.message} ({exc.detail})"
    extra = {"hint": exc.hint} if exc.hint else None
    return problem(exc.http_status, exc.code, exc.name, detail, exc.field, headers, extra)


def from_request_problem(exc: RequestProblem) -> web.Response:
    return problem(exc.status, exc.code, exc.code, exc.detail, exc.field)


HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def from_http_error(exc: web.HTTPException) -> web.Response:
    code = HTTP_CODES.get(exc.status, "http_error")
    detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
    return problem(exc.status, code, code, detail, headers=headers)


def internal_error(request_id: str) -> web.Response:
    return problem(
        500,
        "internal_error",
        "internal_error",
        f"an unexpected error occurred; it was logged with request id {request_id}",
    )
