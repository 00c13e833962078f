"""The REST service: a thin aiohttp shell over the SQL API (see app.create_app)."""

from doublex.api.app import create_app

__all__ = ["create_app"]
