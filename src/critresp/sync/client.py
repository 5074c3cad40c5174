"""HTTP client for the critresp sync protocol (``docs/sync-protocol.md``).

``ApiClient`` wraps a synchronous ``httpx.Client``:

- every call has a timeout (long-poll pulls get ``wait`` seconds on top);
- network errors, timeouts, 429 and 5xx are retried by ``stamina`` with capped,
  jittered exponential backoff, honouring ``Retry-After``; the waiting itself
  goes through the injectable ``sleep`` so tests can record it instead of
  spending wall time (``stamina.set_testing`` also works);
- 401 -> ``AuthError`` ("run `critresp login`"), 403 -> ``ForbiddenError``,
  other 4xx -> ``RequestError`` with the problem+json detail, never retried;
- answers are validated (``records.Dataset`` etc.) before anything is returned,
  so a malformed payload is a ``ProtocolError``, never a half-written row;
- the token is fetched from ``token_provider`` per request and set only as a
  request header: it never appears in exceptions, reprs or logs.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Literal, Sequence
from uuid import UUID

import httpx
import stamina
from pydantic import BaseModel, ConfigDict, ValidationError

from ..domain.mutations import Mutation, dump_mutation
from ..domain.records import CaseRecord, PulledDataset
from ..domain.state import Actor
from ..domain.taxonomy import AssociateRole
from ..store.api import PushResult
from .errors import (
    AuthError,
    ForbiddenError,
    OfflineError,
    ProtocolError,
    RequestError,
    ServerError,
    SyncError,
)

log = logging.getLogger("critresp.sync.client")

API = "/api/v1"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
MAX_PUSH_BATCH = 500
MAX_PULL_WAIT = 30.0

TokenProvider = Callable[[], "str | None"]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Capped, jittered exponential backoff (see stamina's formula)."""

    attempts: int = 6  # total attempts per call
    timeout: float | None = 90.0  # total wall time per call, waits included
    wait_initial: float = 0.25
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    wait_exp_base: float = 2.0
    retry_after_max: float = 120.0  # never wait longer than this for Retry-After

    def backoff(self, retry_num: int, rng: random.Random) -> float:
        jitter = rng.uniform(0, self.wait_jitter) if self.wait_jitter else 0.0
        try:
            base = self.wait_initial * (self.wait_exp_base ** (retry_num - 1))
        except OverflowError:  # pragma: no cover
            return self.wait_max
        return min(self.wait_max, base + jitter)


@dataclass(frozen=True)
class PullPage:
    changes: PulledDataset
    cursor: str
    has_more: bool


# --- wire models (validated at the trust boundary) ---------------------------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _MeWire(_Wire):
    id: str
    name: str
    role: AssociateRole = AssociateRole.ASSOCIATE


class _ResultWire(_Wire):
    seq: int
    mutation_id: UUID
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = None
    message: str | None = None
    version: int | None = None


class _PushWire(_Wire):
    results: list[_ResultWire]
    server_time: datetime | None = None


class _PullWire(_Wire):
    changes: PulledDataset
    cursor: str
    has_more: bool


# --- internal retry signal ------------------------------------------------------


class _RetryableStatus(Exception):
    """A 429 / 5xx answer; carries Retry-After (seconds) when the server sent one."""

    def __init__(self, status: int, retry_after: float | None, detail: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after
        self.detail = detail


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        secs = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        secs = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if secs != secs:  # NaN
        return None
    return max(0.0, secs)


def _one_line(text: Any, limit: int = 300) -> str:
    s = " ".join(str(text).split())
    s = "".join(ch for ch in s if ch.isprintable())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _problem_detail(resp: httpx.Response) -> tuple[str | None, str | None]:
    """(title, detail) from a problem+json or FastAPI error body, as safe one-liners."""
    try:
        body = resp.json()
    except (ValueError, UnicodeDecodeError):
        text = resp.text[:300] if resp.content else ""
        return None, (_one_line(text) or None)
    if not isinstance(body, dict):
        return None, _one_line(body)
    title = body.get("title")
    detail = body.get("detail")
    if isinstance(detail, list):  # FastAPI / pydantic validation errors
        parts = []
        for err in detail[:3]:
            if isinstance(err, dict):
                loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
                parts.append(f"{loc}: {err.get('msg', '')}" if loc else str(err.get("msg", "")))
            else:
                parts.append(str(err))
        detail = "; ".join(parts)
    elif detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail)[:300]
    return (_one_line(title) if title else None), (_one_line(detail) if detail else None)


def _validation_summary(exc: ValidationError) -> str:
    errs = exc.errors(include_url=False, include_input=False)
    if not errs:
        return "invalid payload"
    first = errs[0]
    loc = ".".join(str(x) for x in first.get("loc", ()))
    more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
    return _one_line(f"{loc}: {first.get('msg', '')}{more}")


def _valid_token(token: str) -> bool:
    return bool(token) and len(token) <= 4096 and all(33 <= ord(c) <= 126 for c in token)


class ApiClient:
    """Blocking client for one server. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
    ) -> None:
        url = httpx.URL(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.host:
            raise SyncError(f"Not an http(s) server URL: {_one_line(base_url, 200)}")
        self.base_url = str(url)
        self._token_provider = token_provider
        if timeout is None or not isinstance(timeout, httpx.Timeout):
            timeout = httpx.Timeout(timeout) if timeout is not None else DEFAULT_TIMEOUT
        if timeout.read is None or timeout.connect is None:
            # "every call has a timeout": fill holes from the default
            timeout = httpx.Timeout(
                connect=timeout.connect or DEFAULT_TIMEOUT.connect,
                read=timeout.read or DEFAULT_TIMEOUT.read,
                write=timeout.write or DEFAULT_TIMEOUT.write,
                pool=timeout.pool or DEFAULT_TIMEOUT.pool,
            )
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._sleep: Sleep = sleep or time.sleep
        self._rng = rng or random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "critresp-sync/1"},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"<ApiClient {self.base_url}>"

    # --- lifecycle ---------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- endpoints -----------------------------------------------------------------
    def healthz(self) -> bool:
        data = self._call("GET", "/healthz", auth=False)
        return isinstance(data, dict) and data.get("ok") is True

    def me(self) -> Actor:
        data = self._call("GET", f"{API}/me")
        me = self._validate(_MeWire, data, "/me")
        return Actor(id=me.id, name=me.name, role=me.role)

    def push(self, client_id: str, items: Sequence[tuple[int, Mutation]] | Iterable[Any]) -> list[PushResult]:
        """Push ``(seq, mutation)`` pairs (or outbox items with ``.seq``/``.mutation``).

        Safe to retry: the server deduplicates by ``mutation_id``.
        """
        pairs: list[tuple[int, Mutation]] = []
        for it in items:
            if isinstance(it, tuple):
                pairs.append((int(it[0]), it[1]))
            else:
                pairs.append((int(it.seq), it.mutation))
        if not pairs:
            return []
        if len(pairs) > MAX_PUSH_BATCH:
            raise ValueError(f"at most {MAX_PUSH_BATCH} mutations per push")
        body = {
            "client_id": client_id,
            "mutations": [{"seq": seq, "mutation": dump_mutation(m)} for seq, m in pairs],
        }
        data = self._call("POST", f"{API}/push", json_body=body)
        wire = self._validate(_PushWire, data, "/push")
        sent = {seq: m.mutation_id for seq, m in pairs}
        out: list[PushResult] = []
        for r in wire.results:
            if r.seq not in sent or sent[r.seq] != r.mutation_id:
                raise ProtocolError(
                    f"Server answered /push with a result for a mutation it was not sent (seq {r.seq})"
                )
            out.append(
                PushResult(
                    seq=r.seq,
                    mutation_id=r.mutation_id,
                    status=r.status,
                    code=r.code,
                    message=_one_line(r.message, 500) if r.message is not None else None,
                    version=r.version,
                )
            )
        return out

    def pull(self, cursor: str | None, *, limit: int = 1000, wait: float = 0.0) -> PullPage:
        limit = max(1, min(2000, int(limit)))
        wait = max(0.0, min(MAX_PULL_WAIT, float(wait)))
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        if wait > 0:
            params["wait"] = round(wait, 3)
        timeout = self._timeout
        if wait > 0:
            timeout = httpx.Timeout(
                connect=timeout.connect,
                read=(timeout.read or 0) + wait,
                write=timeout.write,
                pool=timeout.pool,
            )
        # the page's bytes go straight to pydantic's JSON parser: no dict-of-lists copy
        # of up to 2,000 records first (a third of the client's work in a full sync)
        body = self._call("GET", f"{API}/pull", params=params, timeout=timeout, raw=True)
        wire = self._validate(_PullWire, body, "/pull")
        return PullPage(changes=wire.changes, cursor=wire.cursor, has_more=wire.has_more)

    def intake(self, payload: dict[str, Any]) -> CaseRecord:
        """Report a new incident. Not idempotent: only retried when nothing reached the server."""
        data = self._call("POST", f"{API}/intake", json_body=payload, idempotent=False)
        return self._validate(CaseRecord, data, "/intake")

    def deliveries(self) -> list[dict[str, Any]]:
        """Lead only: the server's reply deliveries (raw JSON objects)."""
        data = self._call("GET", f"{API}/deliveries")
        if isinstance(data, dict):
            for key in ("deliveries", "items", "results"):
                if isinstance(data.get(key), list):
                    data = data[key]
                    break
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise ProtocolError("Server answered /deliveries with an unexpected shape")
        return data

    # --- core ------------------------------------------------------------------------
    @staticmethod
    def _validate(model: type[BaseModel], data: Any, what: str) -> Any:
        """``data``: parsed JSON, or the body's bytes (parsed and validated in one pass)."""
        try:
            if isinstance(data, bytes):
                return model.model_validate_json(data)
            return model.model_validate(data)
        except ValidationError as exc:
            if isinstance(data, bytes) and any(e.get("type") == "json_invalid" for e in exc.errors()):
                raise ProtocolError(f"Server sent invalid JSON for {API}{what}; nothing was saved") from None
            raise ProtocolError(
                f"Server sent an invalid {what} answer ({_validation_summary(exc)}); nothing was saved"
            ) from None

    def _auth_header(self) -> dict[str, str]:
        try:
            token = self._token_provider()
        except SyncError:
            raise
        except Exception as exc:  # a broken provider must not leak anything
            raise AuthError(
                f"Could not read the API token ({type(exc).__name__}): run `critresp login`"
            ) from None
        if not token:
            raise AuthError(f"Not logged in to {self.base_url}: run `critresp login`")
        token = token.strip()
        if not _valid_token(token):
            raise AuthError("The stored API token is malformed: run `critresp login`")
        return {"Authorization": f"Bearer {token}"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        timeout: httpx.Timeout | None = None,
        auth: bool = True,
        idempotent: bool = True,
        raw: bool = False,
    ) -> Any:
        """The parsed JSON answer (``raw=True``: the body's bytes, unparsed)."""
        policy = self._retry
        state = {"retries": 0, "pending_wait": 0.0}

        def should_retry(exc: Exception) -> bool | float:
            if isinstance(exc, _RetryableStatus):
                if not idempotent and exc.status != 429:
                    return False
                delay = exc.retry_after
                if delay is not None:
                    delay = min(delay, policy.retry_after_max)
            elif isinstance(exc, httpx.TransportError):
                if not idempotent and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    return False
                delay = None
            else:
                return False
            state["retries"] += 1
            if delay is None:
                delay = policy.backoff(state["retries"], self._rng)
            state["pending_wait"] = delay
            log.info(
                "%s %s failed (%s); retry %d/%d in %.2fs",
                method, path, _describe(exc), state["retries"], policy.attempts - 1, delay,
            )
            # The wait itself happens at the start of the next attempt (through the
            # injectable sleep), so a call that has used all its attempts stops at once.
            return 0.0

        try:
            for attempt in stamina.retry_context(
                on=should_retry,
                attempts=policy.attempts,
                timeout=policy.timeout,
                wait_initial=0.0,
                wait_max=0.0,
                wait_jitter=0.0,
            ):
                with attempt:
                    if state["pending_wait"] > 0:
                        wait, state["pending_wait"] = state["pending_wait"], 0.0
                        self._sleep(wait)
                    return self._once(method, path, params, json_body, timeout, auth, raw)
        except _RetryableStatus as exc:
            msg = f"Server {self.base_url} answered HTTP {exc.status} for {path}"
            if exc.detail:
                msg += f": {exc.detail}"
            raise ServerError(msg + " (gave up after retries)", status=exc.status) from None
        except httpx.TimeoutException as exc:
            raise OfflineError(
                f"Server {self.base_url} timed out ({type(exc).__name__}); working offline"
            ) from None
        except httpx.TransportError as exc:
            raise OfflineError(
                f"Cannot reach {self.base_url} ({_describe(exc)}); working offline"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: Any,
        timeout: httpx.Timeout | None,
        auth: bool,
        raw: bool = False,
    ) -> Any:
        headers = self._auth_header() if auth else {}
        token = headers.get("Authorization", "")[len("Bearer "):]
        try:
            return self._send(method, path, params, json_body, timeout, headers, raw)
        except (SyncError, _RetryableStatus) as exc:
            # a hostile or buggy server could echo the token back in its error text
            if token and token in str(getattr(exc, "detail", "") or "") + str(exc):
                raise _scrubbed(exc, token) from None
            raise

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json_body: Any,
        timeout: httpx.Timeout | None,
        headers: dict[str, str],
        raw: bool = False,
    ) -> Any:
        kwargs: dict[str, Any] = {"headers": headers, "params": params}
        if json_body is not None:
            kwargs["json"] = json_body
        if timeout is not None:
            kwargs["timeout"] = timeout
        resp = self._http.request(method, path, **kwargs)
        try:
            resp.read()
        finally:
            resp.close()
        status = resp.status_code
        if status == 429 or status >= 500:
            _, detail = _problem_detail(resp)
            raise _RetryableStatus(status, parse_retry_after(resp.headers.get("Retry-After")), detail)
        if status == 401:
            raise AuthError(f"The server {self.base_url} rejected the API token: run `critresp login`")
        if status == 403:
            _, detail = _problem_detail(resp)
            raise ForbiddenError(f"Not allowed: {detail or 'your role cannot do this'} ({path})")
        if status >= 400 or status < 200 or status >= 300:
            title, detail = _problem_detail(resp)
            what = detail or title or resp.reason_phrase
            ptype = None
            try:
                body = resp.json()
                if isinstance(body, dict) and isinstance(body.get("type"), str):
                    ptype = _one_line(body["type"], 200)
            except (ValueError, UnicodeDecodeError):
                pass
            raise RequestError(
                f"Server refused {method} {path} (HTTP {status}): {what}",
                status=status, title=title, detail=detail, type=ptype,
            )
        if raw:
            return resp.content
        try:
            return json.loads(resp.content)
        except (ValueError, UnicodeDecodeError):
            raise ProtocolError(
                f"Server sent invalid JSON for {path}; nothing was saved"
            ) from None


def _scrubbed(exc: Exception, token: str) -> Exception:
    """A copy of ``exc`` with every occurrence of ``token`` replaced."""
    red = "[redacted]"
    if isinstance(exc, _RetryableStatus):
        detail = exc.detail.replace(token, red) if exc.detail else exc.detail
        return _RetryableStatus(exc.status, exc.retry_after, detail)
    msg = str(exc).replace(token, red)
    if isinstance(exc, RequestError):
        return RequestError(
            msg, exc.status,
            title=exc.title.replace(token, red) if exc.title else None,
            detail=exc.detail.replace(token, red) if exc.detail else None,
            type=exc.type.replace(token, red) if exc.type else None,
        )
    if isinstance(exc, ServerError):
        return ServerError(msg, exc.status)
    return type(exc)(msg)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, _RetryableStatus):
        return f"HTTP {exc.status}"
    # httpx messages hold addresses and errno text, never headers
    msg = _one_line(str(exc), 120)
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
