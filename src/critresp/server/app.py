"""The reference sync server: ``create_app(settings) -> FastAPI``.

Nothing is created at import time: ``create_app`` opens the database (creating
tables), and the app's lifespan seeds demo data, starts the delivery worker and
the demo incident generator, and stops them again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, AsyncIterator, Literal

from fastapi import Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.responses import Response

from ..domain import mutations as mu
from ..domain.clock import Clock, SystemClock
from ..domain.records import CaseRecord
from ..domain.state import Actor
from .db import Database, WalCheckpointer
from .delivery import DeliveryWorker, Provider, RecordingProvider
from .hub import ChangeHub
from .problems import BodyLimitMiddleware, install_handlers, summarize, validation_errors
from .service import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    MAX_PUSH,
    IntakeRequest,
    ProblemError,
    ServerCore,
)
from .settings import ServerSettings

log = logging.getLogger(__name__)

API = "/api/v1"


# --------------------------------------------------------------------------- wire models


class PushItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seq: int = Field(ge=0, le=2**62)
    # a Mutation (see critresp.domain.mutations); parsed with parse_mutation
    mutation: dict[str, Any]


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: str = Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
    mutations: list[PushItem] = Field(max_length=MAX_PUSH)


class PushResultOut(BaseModel):
    seq: int
    mutation_id: str
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = None
    message: str | None = None
    version: int | None = None


class PushResponse(BaseModel):
    results: list[PushResultOut]
    server_time: str


class MeResponse(BaseModel):
    id: str
    name: str
    role: str


# --------------------------------------------------------------------------- runtime


class ServerRuntime:
    """Everything one app instance owns (reachable as ``app.state.runtime``)."""

    def __init__(self, settings: ServerSettings, clock: Clock, provider: Provider | None) -> None:
        settings.ensure_dirs()
        self.settings = settings
        self.clock = clock
        self.hub = ChangeHub()
        self.db = Database(settings.db_url, background_checkpoint=True)
        self.checkpointer = WalCheckpointer(self.db)
        self.db.set_on_commit(self._committed)
        self.core = ServerCore(self.db, clock, lease=timedelta(seconds=settings.lease_seconds))
        self.provider: Provider = provider or RecordingProvider(settings.delivery_log_path)
        self.worker = DeliveryWorker(
            self.db,
            self.provider,
            clock,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            poll_seconds=settings.delivery_poll_seconds,
        )
        self.core.set_on_reply(self.worker.wake)
        self.closing = False
        self.demo_lock = threading.Lock()
        self.tasks: list[asyncio.Task[Any]] = []

    def _committed(self, seq: int) -> None:
        self.hub.notify(seq)
        self.checkpointer.committed(seq)

    def close(self) -> None:
        self.closing = True
        self.hub.wake_all()


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_actor(request: Request) -> Actor:
    rt: ServerRuntime = request.app.state.runtime
    token = _bearer(request)
    actor = rt.core.authenticate(token) if token else None
    if actor is None:
        raise ProblemError(401, "Unauthorized", "A valid bearer token is required", "unauthorized")
    return actor


def create_app(
    settings: ServerSettings,
    *,
    clock: Clock | None = None,
    provider: Provider | None = None,
) -> FastAPI:
    rt = ServerRuntime(settings, clock or SystemClock(), provider)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt.closing = False
        if settings.demo:
            from .demo import incident_loop, seed_demo

            await run_in_threadpool(seed_demo, rt)
            if settings.incident_rate > 0:
                rt.tasks.append(asyncio.create_task(incident_loop(rt)))
        if settings.delivery_worker:
            rt.worker.start()
        rt.checkpointer.start()
        try:
            yield
        finally:
            rt.close()
            for t in rt.tasks:
                t.cancel()
            for t in rt.tasks:
                try:
                    await t
                except (asyncio.CancelledError, Exception):
                    pass
            rt.tasks.clear()
            await run_in_threadpool(rt.worker.stop)
            await run_in_threadpool(rt.checkpointer.stop)
            rt.db.dispose()

    app = FastAPI(
        title="critresp sync API",
        version="1",
        description="Reference server of the critresp sync protocol (docs/sync-protocol.md).",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    install_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)

    @app.get("/healthz")
    def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get(f"{API}/me", response_model=MeResponse)
    def me(actor: Actor = Depends(current_actor)) -> MeResponse:
        return MeResponse(id=actor.id, name=actor.name, role=actor.role.value)

    @app.post(f"{API}/push", response_model=PushResponse)
    def push(body: PushRequest, actor: Actor = Depends(current_actor)) -> PushResponse:
        parsed: list[tuple[int, mu.Mutation]] = []
        errors: list[dict[str, Any]] = []
        for i, item in enumerate(body.mutations):
            try:
                parsed.append((item.seq, mu.parse_mutation(item.mutation)))
            except ValidationError as exc:
                for e in validation_errors(list(exc.errors())):
                    e["loc"] = ["body", "mutations", str(i), "mutation", *e["loc"]]
                    errors.append(e)
        if errors:
            raise ProblemError(
                422, "Invalid mutation", "Nothing was applied: " + summarize(errors), "validation", errors=errors[:50]
            )
        results = rt.core.push(actor, body.client_id, parsed)
        return PushResponse(
            results=[PushResultOut(**r) for r in results], server_time=rt.clock.now().isoformat()
        )

    @app.get(f"{API}/pull")
    async def pull(
        actor: Actor = Depends(current_actor),
        cursor: str | None = Query(default=None, max_length=400),
        limit: int = Query(default=DEFAULT_PULL_LIMIT, ge=1, le=MAX_PULL_LIMIT),
        wait: float = Query(default=0.0, ge=0.0, le=30.0),
    ) -> Response:
        """Changes after ``cursor``: ``{"changes": Dataset, "cursor": str, "has_more": bool}``."""
        wait = min(wait, settings.max_wait_seconds)
        if wait <= 0:
            page = await run_in_threadpool(rt.core.pull, cursor, limit)
            return Response(page.body, media_type="application/json")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        token = rt.hub.subscribe()
        try:
            while True:
                token[1].clear()
                page = await run_in_threadpool(rt.core.pull, cursor, limit)
                remaining = deadline - loop.time()
                if page.count or remaining <= 0 or rt.closing:
                    return Response(page.body, media_type="application/json")
                try:
                    # re-check at least every second (changes made by another process)
                    await asyncio.wait_for(token[1].wait(), timeout=min(remaining, settings.recheck_seconds))
                except TimeoutError:
                    pass
        finally:
            rt.hub.unsubscribe(token)

    @app.post(f"{API}/intake", status_code=201, response_model=CaseRecord)
    def intake(body: IntakeRequest, actor: Actor = Depends(current_actor)) -> Response:
        out = rt.core.intake(actor, body)
        return Response(json.dumps(out), status_code=201, media_type="application/json")

    @app.get(f"{API}/deliveries")
    def deliveries(
        actor: Actor = Depends(current_actor),
        status: Literal["pending", "sending", "sent"] | None = None,
        limit: int = Query(default=200, ge=1, le=1000),
    ) -> dict[str, Any]:
        if not actor.is_lead:
            raise ProblemError(403, "Forbidden", "Only a lead can list deliveries", "forbidden")
        return {"deliveries": rt.core.list_deliveries(status, limit)}

    return app
