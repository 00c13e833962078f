"""Authentication of REST requests: `Authorization: Bearer <key>` (RFC 6750).

Python parses the header's syntax only. A well-formed token goes to the database with every
transaction of the request (`doublex.db.principal.PRINCIPAL`, sent by the service's Runner),
and the ledger verifies it there (`ledger_private.authorize`: the key exists, is not revoked
or expired, belongs to the tenant, holds the capability). So a revoked key stops working at
its next transaction, and Python decides nothing with a key. (api/rate_limit.py keeps, per
key the database accepted, its rate limit for a few seconds and a keyed hash of its token,
never the token: that decides how often a key may call, never what it may do.)

Each operation declares its `Access` (routes_*.py): OPEN (health and the documentation), the
capability the ledger requires (for the OpenAPI document; the database enforces it), or
LOOPBACK (/metrics: loopback clients only unless DOUBLEX_METRICS_PUBLIC is set).
"""

from __future__ import annotations

import ipaddress
import re

from aiohttp import web

from doublex import errors
from doublex.api.operation import Access, Handler
from doublex.db.principal import PRINCIPAL

REALM = 'Bearer realm="doublex"'
INVALID_TOKEN = 'Bearer realm="doublex", error="invalid_token"'
# RFC 6750 b64token: the only syntax Python checks.
TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

# The aiohttp handler of each route → what it needs (filled by app.create_app).
ACCESS: web.AppKey[dict[Handler, Access]] = web.AppKey("access", dict)
METRICS_PUBLIC: web.AppKey[bool] = web.AppKey("metrics_public", bool)


class Unauthenticated(errors.RuleViolation):
    """401 DX040, with the WWW-Authenticate challenge the answer carries."""

    def __init__(self, message: str, challenge: str) -> None:
        super().__init__(errors.DX_ERRORS["DX040"], message)
        self.challenge = challenge


NOT_LOOPBACK = "metrics are served to loopback clients only (see DOUBLEX_METRICS_PUBLIC)"


def challenge(error: errors.LedgerError) -> str | None:
    """The WWW-Authenticate value of a 401 answer (a token was sent when the ledger refused
    it), or None."""
    if isinstance(error, Unauthenticated):
        return error.challenge
    return INVALID_TOKEN if error.http_status == 401 else None


def bearer_token(request: web.Request) -> str:
    """The request's token; Unauthenticated when there is none, more than one (a proxy
    that read one of them and the ledger that got the other would disagree about who called)
    or it is malformed."""
    headers = request.headers.getall("Authorization", [])
    if not headers:
        raise Unauthenticated("an API key is required: Authorization: Bearer <key>", REALM)
    if len(headers) > 1:
        raise Unauthenticated("send one Authorization header, not several", REALM)
    header = headers[0]
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be: Bearer <key>", REALM)
    token = token.strip()
    if TOKEN.fullmatch(token) is None:
        raise Unauthenticated("the API key is malformed", INVALID_TOKEN)
    return token


def is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Hand the request's key to the ledger calls it makes (PRINCIPAL, for this request's
    task only, reset when it ends); refuse a request that needs a key and sent none."""
    access = request.app[ACCESS].get(request.match_info.handler, Access.OPEN)
    if access is Access.OPEN:
        return await handler(request)
    if access is Access.LOOPBACK:
        if not request.app[METRICS_PUBLIC] and not is_loopback(request.remote):
            raise web.HTTPForbidden(text=NOT_LOOPBACK)
        return await handler(request)
    reset = PRINCIPAL.set(bearer_token(request))
    try:
        return await handler(request)
    finally:
        PRINCIPAL.reset(reset)
