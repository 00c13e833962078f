"""The `doublex` admin command line (click).

Commands stay thin: they parse options, call doublex.db (or localdb/migrate) and print the
result through doublex.cli.output. Each module below adds one group of commands to `main`.
"""

from doublex.cli import (  # noqa: F401
    access,
    demo,
    eod,
    events,
    fx,
    holds,
    ledger,
    monitors,
    observe,
    recon,
    statement,
    system,
    webhooks,
)
from doublex.cli.root import main

__all__ = ["main"]
