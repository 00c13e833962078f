"""The routes of balance monitors: create, list, delete."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_monitors
from doublex.api import responses_monitors as r
from doublex.api.operation import Access, Operation, Response

OPERATIONS: list[Operation[Any]] = [
    Operation(
        "POST",
        "/api/monitors",
        "createMonitor",
        "Watch a balance: one event when a condition on it becomes true, one when it stops",
        handlers_monitors.create_monitor,
        args.CreateMonitorArgs,
        {"201": Response("Created, with the accounts where it holds already", r.MonitorInfo)},
        description=(
            "One account (`account`) or every account of a type (`account_type`); the "
            "`available` or `posted` balance; a `condition` (<, <=, >, >=) and a `threshold`. "
            "The ledger evaluates it in the transaction of every change that moves a "
            "covered balance (postings, holds, captures, voids, the expiry sweep) and "
            "writes `monitor.triggered` when the condition becomes true and "
            "`monitor.resolved` when it stops being true, exactly once per crossing (read "
            "them from GET /api/events). An account where the condition already holds fires "
            "`monitor.triggered` at creation. 422 (`DX063`) for a bad field, naming it; "
            "(`DX065`) past the tenant's monitors; 404 (`DX020`) for an unknown account."
        ),
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/monitors",
        "listMonitors",
        "The tenant's balance monitors, each with the accounts where it is triggered",
        handlers_monitors.list_monitors,
        args.NoArgs,
        {"200": Response("Every monitor, oldest first", r.MonitorList)},
        access=Access.READ,
    ),
    Operation(
        "DELETE",
        "/api/monitors/{monitor_id}",
        "deleteMonitor",
        "Stop watching: the monitor and its states go, and nothing more is announced",
        handlers_monitors.delete_monitor,
        args.MonitorPath,
        {"200": Response("The monitor as it was", r.MonitorInfo)},
        access=Access.ADMIN,
    ),
]
