"""A TCP site that caps the connections one client address may hold open.

aiohttp bounds a connection's time (the keep-alive timer, armed when it opens, closes one
that has not sent complete headers in time; see `serve.py`), but not how many connections
one client holds. A slow-loris client that opens hundreds of them would use up file
descriptors and memory before any of them times out. `GuardedSite` is aiohttp's `TCPSite`
with one difference: each accepted connection passes through `_Counted`, which closes it at
once when its address already holds `cap` connections, and otherwise hands every event on to
aiohttp's own protocol.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from aiohttp import web
from yarl import URL

from doublex import metrics


class ClientConnections:
    """Open connections per client address, at most `cap` each."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.open: Counter[str] = Counter()

    def admit(self, address: str) -> bool:
        if self.open[address] >= self.cap:
            return False
        self.open[address] += 1
        return True

    def release(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


class _Counted(asyncio.Protocol):
    """Counts one connection for its address; refuses it past the cap, else passes every
    event to aiohttp's protocol."""

    def __init__(self, inner: asyncio.Protocol, clients: ClientConnections) -> None:
        self._inner = inner
        self._clients = clients
        self._address: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not self._clients.admit(address):
            metrics.CONNECTIONS_REFUSED.inc()
            assert isinstance(transport, asyncio.Transport)
            transport.abort()
            return
        self._address = address
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._address is None:
            return
        self._clients.release(self._address)
        self._address = None
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class GuardedSite(web.BaseSite):
    """`web.TCPSite` with at most `clients.cap` open connections per client address."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        clients: ClientConnections,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(runner)
        self._app_server = runner.server
        self._host = host
        self._port = port
        self._clients = clients
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        return str(URL.build(scheme="http", host=self._host, port=self._port))

    async def start(self) -> None:
        await super().start()
        server = self._app_server
        assert server is not None
        clients = self._clients
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Counted(server(), clients),
            self._host,
            self._port,
            reuse_port=self._reuse_port,
        )
