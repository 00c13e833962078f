"""`python -m doublex.cli`, as the workers of `serve --workers` run."""

from doublex.cli import main

main()
