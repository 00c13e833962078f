"""Response bodies of the tenant, its API keys and its audit log (doublex.api.responses)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from doublex.api.responses import Reply, Timestamp


class Tenant(Reply):
    name: str
    created_at: Timestamp
    created_by: str
    accounts: int
    active_keys: int


class ApiKey(Reply):
    key_id: str = Field(description="The key's visible id (the token's part before the dot)")
    name: str
    capabilities: list[str]
    expires_at: Timestamp | None
    created_at: Timestamp
    created_by: str | None = None
    requests_per_second: int = Field(description="Rate limit: requests per second")
    burst: int = Field(description="Rate limit: requests at once after a pause")


class ApiKeyCreated(ApiKey):
    token: str = Field(description="The key: shown this once, stored only as a hash")


class ApiKeyListItem(ApiKey):
    revoked_at: Timestamp | None = None
    revoked_by: str | None = None


class ApiKeyList(Reply):
    items: list[ApiKeyListItem]


class AuditEntry(Reply):
    audit_id: int
    at: Timestamp
    actor: str
    action: str
    object: str | None = None
    details: dict[str, Any] | None = None


class AuditPage(Reply):
    items: list[AuditEntry]
    next_cursor: str | None
