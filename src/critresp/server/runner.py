"""Running the server: ``run_server`` (blocking, for ``critresp serve``) and
``ServerThread`` (uvicorn on 127.0.0.1 in a background thread, for tests and
``critresp demo``)."""

from __future__ import annotations

import threading
from typing import Any

import uvicorn
from fastapi import FastAPI

from ..domain.clock import Clock
from .app import ServerRuntime, create_app
from .delivery import Provider
from .settings import ServerSettings


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, runtime: ServerRuntime) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.ready = threading.Event()

    async def startup(self, sockets: Any = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def handle_exit(self, sig: int, frame: Any) -> None:
        # end long-polls at once so shutdown does not wait for them
        self.runtime.close()
        super().handle_exit(sig, frame)


def _config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=5,
        access_log=False,
        server_header=False,
    )


def run_server(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8765, *, log_level: str = "info") -> None:
    """Serve until interrupted (SIGINT / SIGTERM)."""
    app = create_app(settings)
    server = _Server(_config(app, host, port, log_level), app.state.runtime)
    server.run()


class ServerThread:
    """The real server over real HTTP on ``host`` (default 127.0.0.1), port 0 = any free port.

    Use as a context manager (``with ServerThread(settings) as srv: srv.url``) or
    call ``start()`` / ``stop()``. ``runtime`` gives tests the database, clock and
    delivery worker of the running app.
    """

    def __init__(
        self,
        settings: ServerSettings,
        *,
        clock: Clock | None = None,
        provider: Provider | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self.app = create_app(settings, clock=clock, provider=provider)
        self.runtime: ServerRuntime = self.app.state.runtime
        self._server = _Server(_config(self.app, host, port, log_level), self.runtime)
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> "ServerThread":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._run, name="critresp-server", daemon=True)
        self._thread.start()
        if not self._server.ready.wait(timeout) or not self._server.started:
            self.stop()
            raise RuntimeError("critresp server did not start")
        for srv in self._server.servers:
            for sock in srv.sockets:
                self.port = sock.getsockname()[1]
                break
        return self

    def _run(self) -> None:
        try:
            self._server.run()
        finally:
            self._server.ready.set()

    def stop(self, timeout: float = 30.0) -> None:
        self.runtime.close()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
