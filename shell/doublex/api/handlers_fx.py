"""FX routes: rates, settlements, the position. Parse, call the ledger, answer."""

from __future__ import annotations

from aiohttp import web

from doublex.api import payloads
from doublex.api.handlers import ledger, posting_status, respond


async def put_rate(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    rate = await ledger(request).upsert_fx_rate(
        base=request.match_info["base"],
        quote=request.match_info["quote"],
        rate=payloads.required_decimal(body, "rate"),
        valid_on=payloads.required_date(body, "valid_on"),
        source=payloads.text(body, "source"),
    )
    return respond(rate)


async def get_rate(request: web.Request) -> web.Response:
    query = request.query
    rate = await ledger(request).fx_rate(
        base=payloads.required_query(query, "base"),
        quote=payloads.required_query(query, "quote"),
        on=payloads.iso_date(query.get("on"), "on"),
    )
    return respond(rate)


async def post_transfer(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    result = await ledger(request).post_fx_transfer(
        idempotency_key=payloads.idempotency_key(request, body),
        from_account=payloads.text(body, "from_account", required=True) or "",
        to_account=payloads.text(body, "to_account", required=True) or "",
        amount=payloads.required_decimal(body, "amount"),
        fixed_side=payloads.text(body, "fixed_side", default="source"),
        rate=payloads.decimal_string(body, "rate"),
        effective_date=payloads.date_field(body, "effective_date"),
        memo=payloads.text(body, "memo"),
        ref=payloads.text(body, "ref"),
    )
    return respond(result, posting_status(result))


async def get_position(request: web.Request) -> web.Response:
    as_of = payloads.iso_date(request.query.get("as_of"), "as_of")
    reporting_ccy = request.query.get("reporting_ccy", "EUR")  # empty: the ledger's DX005
    items = await ledger(request).fx_position(as_of, reporting_ccy)
    return respond({"as_of": as_of, "reporting_ccy": reporting_ccy, "items": items})
