"""DoubleX: a Postgres-native double-entry ledger with a thin Python shell."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("doublex")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
