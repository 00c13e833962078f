"""GET /api/docs: a readable page rendered on the server from the OpenAPI document (as
served: its limits resolved, see document.Published).

Self-contained (inline CSS, no script, nothing fetched from the internet)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from aiohttp import web

from doublex.api.args import NoArgs
from doublex.api.document import PUBLISHED

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}.lead{color:#545b6a;margin:0 0 24px}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;margin:0 0 14px;
        padding:14px 18px}
.verb{display:inline-block;min-width:52px;font-weight:700;color:#fff;border-radius:4px;
      padding:1px 8px;margin-right:8px;text-align:center}
.get{background:#2f7d4f}.post{background:#2b5fb4}.put{background:#a05a00}
code,pre{font:13px ui-monospace,monospace}pre{background:#f1f3f6;padding:8px;overflow:auto}
table{border-collapse:collapse;width:100%;margin:6px 0}
td,th{border-top:1px solid #eceef2;padding:4px 6px;text-align:left;vertical-align:top}
th{color:#545b6a;font-weight:600}details{margin-top:6px}
"""


def _schema_name(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_schema_name(s) for s in schema["anyOf"])
    return str(schema.get("type", "object"))


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else 'no'}</td>"
        f"<td>{escape(p.get('description', _schema_name(p.get('schema', {}))))}</td></tr>"
        for p in op.get("parameters", [])
    )
    params = (
        f"<table><tr><th>parameter</th><th>in</th><th>required</th><th></th></tr>{rows}</table>"
        if rows
        else ""
    )
    body = ""
    if "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        body = f"<p>Body: <code>{escape(_schema_name(schema))}</code> (application/json)</p>"
    responses = ", ".join(
        f"<code>{escape(code)}</code> {escape(resp['description'])}"
        for code, resp in op["responses"].items()
    )
    access = op.get("x-capability", "open")
    needs = (
        "no key"
        if access == "open"
        else "loopback clients (no key)"
        if access == "loopback"
        else f"a key with <code>{escape(access)}</code>"
    )
    return (
        f"<section><div><span class='verb {method}'>{method.upper()}</span>"
        f"<code>{escape(path)}</code> — {escape(op['summary'])}</div>"
        f"<p>Needs: {needs}</p>{params}{body}<p>Responses: {responses}</p></section>"
    )


def render(document: dict[str, Any]) -> str:
    """The page of an OpenAPI document (document.build)."""
    info = document["info"]
    operations = "".join(
        _operation(path, method, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    )
    schemas = "".join(
        f"<details><summary><code>{escape(name)}</code></summary>"
        f"<pre>{escape(json.dumps(schema, indent=2))}</pre></details>"
        for name, schema in document["components"]["schemas"].items()
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(info['title'])}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{escape(info['title'])} <small>{escape(info['version'])}</small></h1>"
        f"<p class='lead'>{escape(info['description'])} The machine-readable document is at "
        "<a href='/api/openapi.json'>/api/openapi.json</a>.</p>"
        f"{operations}<h2>Schemas</h2><section>{schemas}</section></main></body></html>"
    )


async def serve(request: web.Request, _: NoArgs) -> web.Response:
    published = request.app[PUBLISHED]
    await published.resolve(request)
    return web.Response(text=published.page, content_type="text/html")
