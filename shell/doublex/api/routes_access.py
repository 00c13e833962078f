"""The routes of the tenant and its access: the tenant, its API keys, its audit log."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_access
from doublex.api import responses_access as r
from doublex.api.operation import Access, Operation, Response

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/tenant",
        "getTenant",
        "The key's tenant: its name, creation, accounts and active keys",
        handlers_access.get_tenant,
        args.NoArgs,
        {"200": Response("The tenant", r.Tenant)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/keys",
        "createApiKey",
        "Create an API key of this tenant (its token is shown in this answer only)",
        handlers_access.create_key,
        args.CreateKeyArgs,
        {"201": Response("Created; keep the token, it is never shown again", r.ApiKeyCreated)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/keys",
        "listApiKeys",
        "The tenant's API keys (never their secrets)",
        handlers_access.list_keys,
        args.NoArgs,
        {"200": Response("Every key, revoked and expired ones too", r.ApiKeyList)},
        access=Access.ADMIN,
    ),
    Operation(
        "PATCH",
        "/api/keys/{key_id}",
        "setApiKeyRate",
        "Change an API key's rate limit: applies within DOUBLEX_KEY_RATE_SECONDS (5 s)",
        handlers_access.set_key_rate,
        args.KeyRateArgs,
        {"200": Response("The key with its new limit", r.ApiKeyListItem)},
        access=Access.ADMIN,
    ),
    Operation(
        "DELETE",
        "/api/keys/{key_id}",
        "revokeApiKey",
        "Revoke an API key: refused from its next transaction on",
        handlers_access.revoke_key,
        args.KeyPath,
        {"200": Response("The revoked key", r.ApiKeyListItem)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/audit",
        "listAudit",
        "Who did what: the tenant's audit log, oldest first",
        handlers_access.list_audit,
        args.AuditArgs,
        {"200": Response("A page", r.AuditPage)},
        access=Access.AUDIT,
    ),
]
