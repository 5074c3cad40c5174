"""RFC 9457 problem+json answers, the error handlers and the body size limit."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .service import ProblemError

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
PROBLEM_BASE = "urn:critresp:problem:"


def problem(status: int, title: str | None = None, detail: str = "", slug: str | None = None, **extra: Any) -> JSONResponse:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or phrase.lower().replace(" ", "-")),
        "title": title or phrase,
        "status": status,
        "detail": detail or title or phrase,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    """Pydantic errors reduced to JSON-safe loc / msg / type (no echoed input)."""
    out = []
    for e in errors[:50]:
        out.append(
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": str(e.get("msg", ""))[:500],
                "type": str(e.get("type", "")),
            }
        )
    return out


def summarize(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(e['loc']) or 'body'}: {e['msg']}" for e in errors[:5]]
    more = f" (+{len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_req: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.slug, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errs = validation_errors(list(exc.errors()))
        return problem(422, "Invalid request", summarize(errs), "validation", errors=errs)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else ""
        resp = problem(exc.status_code, None, detail)
        if exc.headers:
            for k, v in exc.headers.items():
                resp.headers[k] = v
        return resp

    @app.exception_handler(Exception)
    async def _bug(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return problem(500, "Internal server error", "The server hit a bug; it was logged", "internal")


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._send(scope, receive, send, problem(400, "Bad Content-Length", "Content-Length is not a number"))
                    return
                if declared > self.max_bytes:
                    await self._send(scope, receive, send, self._too_large())
                    return
        # read (at most max_bytes + 1) before the app sees anything
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._send(scope, receive, send, self._too_large())
                return
            chunks.append(chunk)
            more = msg.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _too_large(self) -> JSONResponse:
        return problem(413, "Request body too large", f"The request body is larger than {self.max_bytes} bytes", "too-large")

    @staticmethod
    async def _send(scope: Scope, receive: Receive, send: Send, resp: JSONResponse) -> None:
        await resp(scope, receive, send)
