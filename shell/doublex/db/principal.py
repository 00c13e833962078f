"""Who a REST request acts for: its API key, for the request's own task.

The auth middleware (doublex.api.auth) sets `PRINCIPAL` from the `Authorization: Bearer`
header and resets it when the request ends; a Runner made for the service (`act_as`) hands
it to the database with every transaction, which verifies it (ledger_private.authorize).
Python never checks a key: it only reads the visible key id for spans and logs.
"""

from __future__ import annotations

from contextvars import ContextVar

# The API key of the request being served ('' = none). A ContextVar is per asyncio task:
# one request's key is never seen by another request's calls.
PRINCIPAL: ContextVar[str] = ContextVar("doublex_principal", default="")
KEY_ID_CHARS = 16  # dxk_ and 12 hex digits; a longer prefix is cut, never logged whole


def principal_key_id() -> str:
    """The visible key id of the current request's key (the part before the dot, at most
    KEY_ID_CHARS), or ''; never any of the secret after the dot."""
    key_id, dot, _ = PRINCIPAL.get().partition(".")
    return key_id[:KEY_ID_CHARS] if dot else ""
