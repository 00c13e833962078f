"""/api/openapi.json is generated from the models; it keeps everything the hand-written
document had (tests/support/openapi_hand_written.json, as served at commit c545a49): every
path and method, every parameter, every response status with its media types, links and
problem responses, every example, and every constraint of every schema.

What generation may change: inline objects become named components ($ref), `"type":
[T, "null"]` becomes `anyOf: [T, null]`, and a response property the ledger may leave out
may also be null, and an enum may gain a value while keeping all of its own (a posting's
status gained `applied`, the answer to the earlier API's payload, #16). Anything else is a
difference the test names.

The document compared is the one served: its limits named in the models and resolved from
the ledger's ledger.api_limits() (test_api_limits.py shows that they follow the ledger).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doublex.api.app import OPENAPI_DOCUMENT, ROUTES
from doublex.api.document import build
from doublex.api.routes import OPERATIONS
from doublex.db import Ledger
from support.http import api, ok

BEFORE = Path(__file__).parent / "support" / "openapi_hand_written.json"
# Annotations, compared elsewhere (examples) or not at all (prose may be reworded).
ANNOTATIONS = {"description", "examples", "default", "title"}


@pytest.fixture(scope="module")
def old() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(BEFORE.read_text())
    return document


@pytest.fixture
async def new(ledger: Ledger) -> dict[str, Any]:
    """/api/openapi.json as a fresh service on a fresh ledger serves it."""
    async with api(ledger) as client:
        document: dict[str, Any] = await ok(await client.get("/api/openapi.json"))
    return document


def resolve(document: dict[str, Any], schema: Any) -> Any:
    if isinstance(schema, dict) and "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def normal(document: dict[str, Any], schema: Any) -> Any:
    """A schema with refs resolved, nullable written one way, annotations left out."""
    schema = resolve(document, schema)
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    types: set[str] = set()
    branches = schema.get("anyOf")
    if branches and {"type": "null"} in branches:
        kept = [b for b in branches if b != {"type": "null"}]
        types.add("null")
        schema = {k: v for k, v in schema.items() if k != "anyOf"}
        if len(kept) == 1:
            schema = {**resolve(document, kept[0]), **schema}
        else:
            schema["anyOf"] = kept
    for key, value in schema.items():
        if key in ANNOTATIONS or (key == "additionalProperties" and value is True):
            continue
        if key == "type":
            types |= set(value) if isinstance(value, list) else {value}
        elif key == "enum":
            out[key] = sorted(v for v in value if v is not None)
            types |= {"null"} if None in value else set()
        elif key == "properties":
            out[key] = {name: normal(document, prop) for name, prop in value.items()}
        elif key == "required":
            out[key] = sorted(value)
        elif isinstance(value, dict):
            out[key] = normal(document, value)
        elif isinstance(value, list) and key in ("anyOf", "oneOf", "allOf"):
            out[key] = [normal(document, item) for item in value]
        else:
            out[key] = value
    if types:
        out["type"] = sorted(types)
    return out


def differences(old: Any, new: Any, where: str, optional: bool = False) -> list[str]:
    """Where `new` does not say what `old` said. A property that is not required may add null
    in a response (`optional`)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [] if old == new else [f"{where}: {old!r} != {new!r}"]
    found: list[str] = []
    for key in old.keys() | new.keys():
        if key == "properties":
            required = set(old.get("required", []))
            for name, schema in old[key].items():
                if name not in new.get(key, {}):
                    found.append(f"{where}.{name}: missing")
                    continue
                found += differences(
                    schema, new[key][name], f"{where}.{name}", name not in required
                )
        elif (
            key == "type" and optional and set(new.get(key, [])) - set(old.get(key, [])) == {"null"}
        ):
            continue
        elif key == "enum" and isinstance(old.get(key), list) and isinstance(new.get(key), list):
            lost = [value for value in old[key] if value not in new[key]]
            if lost:
                found.append(f"{where}.{key}: {old[key]!r} lost {lost!r} in {new[key]!r}")
        elif key in ("items", "anyOf", "oneOf"):
            pairs = zip(old.get(key, []), new.get(key, []), strict=False)
            if key == "items":
                pairs = iter([(old.get(key), new.get(key))])
            elif len(old.get(key, [])) != len(new.get(key, [])):
                found.append(f"{where}.{key}: {old.get(key)!r} != {new.get(key)!r}")
            for index, (a, b) in enumerate(pairs):
                found += differences(a, b, f"{where}.{key}[{index}]")
        elif old.get(key) != new.get(key):
            found.append(f"{where}.{key}: {old.get(key)!r} != {new.get(key)!r}")
    return found


def examples(document: dict[str, Any], schema: Any, where: str) -> set[tuple[str, str]]:
    """(place, example as JSON) of every example in a schema, refs followed."""
    schema = resolve(document, schema)
    found: set[tuple[str, str]] = set()
    if isinstance(schema, dict):
        for example in schema.get("examples", []):
            found.add((where, json.dumps(example, sort_keys=True)))
        for name, prop in schema.get("properties", {}).items():
            found |= examples(document, prop, f"{where}.{name}")
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key, []):
                found |= examples(document, branch, where)
        if "items" in schema:
            found |= examples(document, schema["items"], f"{where}[]")
    return found


def test_every_operation_parameter_and_response_is_kept(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    assert new["openapi"] == old["openapi"] == "3.1.0"
    assert new["info"] == old["info"] and new["servers"] == old["servers"]
    found: list[str] = []
    for path, methods in old["paths"].items():
        for method, before in methods.items():
            where = f"{method.upper()} {path}"
            after = new["paths"].get(path, {}).get(method)
            if after is None:
                found.append(f"{where}: missing")
                continue
            for key in ("operationId", "summary", "description"):
                if before.get(key) != after.get(key):
                    found.append(f"{where}: {key} {before.get(key)!r} != {after.get(key)!r}")
            for status, response in before["responses"].items():
                now = after["responses"].get(status)
                if now is None:
                    found.append(f"{where} {status}: missing")
                    continue
                if (response["description"], response.get("links")) != (
                    now["description"],
                    now.get("links"),
                ):
                    found.append(f"{where} {status}: description or links differ")
                if set(response["content"]) != set(now["content"]):
                    found.append(f"{where} {status}: media types differ")
                for media, content in response["content"].items():
                    found += differences(
                        normal(old, content.get("schema")),
                        normal(new, now["content"].get(media, {}).get("schema")),
                        f"{where} {status} {media}",
                    )
            parameters = {(p["name"], p["in"]): p for p in after.get("parameters", [])}
            assert len(parameters) == len(after.get("parameters", []))
            for parameter in before.get("parameters", []):
                now = parameters.pop((parameter["name"], parameter["in"]), None)
                label = f"{where} {parameter['in']} {parameter['name']}"
                if now is None:
                    found.append(f"{label}: missing")
                    continue
                if parameter["required"] != now["required"]:
                    found.append(f"{label}: required {now['required']!r}")
                if parameter.get("description", now.get("description")) != now.get("description"):
                    found.append(f"{label}: description {now.get('description')!r}")
                found += differences(
                    normal(old, parameter["schema"]), normal(new, now["schema"]), label
                )
                if parameter["schema"].get("default") != now["schema"].get("default"):
                    found.append(f"{label}: default differs")
            found += [f"{where}: new parameter {name}" for name in parameters]
            if "requestBody" in before:
                body, now_body = before["requestBody"], after.get("requestBody", {})
                if body["required"] != now_body.get("required"):
                    found.append(f"{where}: requestBody.required differs")
                found += differences(
                    normal(old, body["content"]["application/json"]["schema"]),
                    normal(new, now_body["content"]["application/json"]["schema"]),
                    f"{where} body",
                )
            elif "requestBody" in after:
                found.append(f"{where}: a request body it did not have")
    assert found == [], "\n".join(found)
    assert {(m.upper(), p) for p, ms in new["paths"].items() for m in ms} == {
        (method, path) for method, path, _, _ in ROUTES
    }


def test_every_component_schema_and_constraint_is_kept(
    old: dict[str, Any], new: dict[str, Any]
) -> None:
    found: list[str] = []
    for name, schema in old["components"]["schemas"].items():
        if name not in new["components"]["schemas"]:
            found.append(f"{name}: missing")
            continue
        found += differences(
            normal(old, schema), normal(new, new["components"]["schemas"][name]), name
        )
    assert found == [], "\n".join(found)


def test_every_example_is_kept(old: dict[str, Any], new: dict[str, Any]) -> None:

    def everywhere(document: dict[str, Any]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for name, schema in document["components"]["schemas"].items():
            found |= examples(document, schema, name)
        for path, methods in document["paths"].items():
            for method, operation in methods.items():
                for parameter in operation.get("parameters", []):
                    place = f"{method} {path} {parameter['name']}"
                    found |= examples(document, parameter["schema"], place)
        return found

    before = everywhere(old)
    assert len(before) >= 10  # the five body examples and the field examples, at least
    assert before - everywhere(new) == set()


def test_the_document_is_built_from_the_operations() -> None:
    assert build(OPERATIONS) == OPENAPI_DOCUMENT
    assert len(OPERATIONS) == len(ROUTES) == 47  # 30; #17: 7; #18: 2 events, 5 webhooks, 3 monitors
    # No argument model leaks into the components: they become parameters and bodies.
    assert not any(name.endswith("Args") for name in OPENAPI_DOCUMENT["components"]["schemas"])
