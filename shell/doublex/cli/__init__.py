"""The `doublex` admin command line (click).

Commands stay thin: they parse options, call doublex.db (or localdb/migrate) and print the
result through doublex.cli.output. Each module adds one group of commands to `main`
(doublex.cli.root), which imports a module only when one of its commands runs.
"""

from doublex.cli.root import main

__all__ = ["main"]
