"""Database access, by job:

- `runner`: the connection pool and the one transaction runner (retries, the error map);
- `queries`: every statement the shell sends, named (`QUERIES`);
- `ledger`: the catalogue of SQL API calls (`Ledger`, one method per ledger function);
- `bulk`: the bulk paths (FX rate imports, the statement COPY);
- `instrument`: the metrics and spans of those calls, applied in one place;
- `coalesce`: the REST service's request coalescing of transfers (`Coalescer`).
"""

from doublex.db.bulk import IMPORT_CHUNK, LineProblem, RateLine, StatementRow
from doublex.db.ledger import Ledger
from doublex.db.queries import QUERIES
from doublex.db.runner import RetryPolicy, Row, Work

__all__ = [
    "IMPORT_CHUNK",
    "QUERIES",
    "Ledger",
    "LineProblem",
    "RateLine",
    "RetryPolicy",
    "Row",
    "StatementRow",
    "Work",
]
