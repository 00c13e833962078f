"""The ledger's limits in the OpenAPI document: named there, never restated.

SQL owns every size and count limit (ledger_private.api_limit; ledger.api_limits() lists
them). A model says which limit a JSON Schema keyword shows, `Documented(maxLength=
Limit("memo_length"))`, and a text that names one says where: `Text("up to {n} journals",
n=Limit("batch_requests"))`. The built document keeps them symbolic; `resolve` puts in the
values the ledger answers, when the document is served (document.Published). A limit
derived from others is written as the sum it is: `Limit("idempotency_key_length") -
Limit("client_id_length") - 1`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    """A limit of the ledger by name, or one less others and a constant (`a - b - 1`)."""

    terms: tuple[tuple[str, int], ...]
    constant: int = 0

    def __init__(self, name: str | None = None, *, terms: tuple[tuple[str, int], ...] = (),
                 constant: int = 0) -> None:  # fmt: skip
        object.__setattr__(self, "terms", ((name, 1),) if name is not None else terms)
        object.__setattr__(self, "constant", constant)

    def __sub__(self, other: Limit | int) -> Limit:
        if isinstance(other, Limit):
            terms = tuple((name, -factor) for name, factor in other.terms)
            return Limit(terms=self.terms + terms, constant=self.constant - other.constant)
        return Limit(terms=self.terms, constant=self.constant - other)

    def value(self, limits: Mapping[str, int]) -> int:
        """The number, from the ledger's limits by name (KeyError for a name it lacks)."""
        return sum(factor * limits[name] for name, factor in self.terms) + self.constant

    def names(self) -> set[str]:
        return {name for name, _ in self.terms}


@dataclass(frozen=True)
class Text:
    """A string that names limits: `template` with `{field}`s, each a Limit (str.format)."""

    template: str
    fields: tuple[tuple[str, Limit], ...]

    def __init__(self, template: str, **fields: Limit) -> None:
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "fields", tuple(sorted(fields.items())))

    def value(self, limits: Mapping[str, int]) -> str:
        return self.template.format(**{k: limit.value(limits) for k, limit in self.fields})

    def names(self) -> set[str]:
        return {name for _, limit in self.fields for name in limit.names()}


def resolve(node: Any, limits: Mapping[str, int]) -> Any:
    """A copy of a document (dicts, lists, scalars) with every Limit and Text given its value."""
    if isinstance(node, Limit | Text):
        return node.value(limits)
    if isinstance(node, dict):
        return {key: resolve(value, limits) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(item, limits) for item in node]
    return node


def names(node: Any) -> set[str]:
    """Every limit name a document refers to."""
    if isinstance(node, Limit | Text):
        return node.names()
    if isinstance(node, dict):
        return set().union(*(names(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(names(item) for item in node))
    return set()
