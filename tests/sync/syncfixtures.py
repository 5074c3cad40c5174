"""Test helpers for the sync tests (imported by conftest and the test modules)."""

from __future__ import annotations

import contextlib
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import httpx
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from critresp.store.api import ANY_CURSOR


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring backend (never touches the OS)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.data[(service, username)]
        except KeyError:
            raise PasswordDeleteError("not found") from None


class WaitRecorder:
    """Injected ``sleep`` for ApiClient: records the backoff instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.calls.append(seconds)


FAULTS = (
    "drop_request",  # the request never reaches the server (ConnectError)
    "drop_response",  # forwarded and processed, then the answer is lost (ReadError)
    "500",  # synthetic 500, not forwarded
    "500_after",  # forwarded and processed, then answered 500
    "timeout",  # forwarded and processed, then ReadTimeout
    "timeout_before",  # ConnectTimeout, not forwarded
    "duplicate",  # the same request delivered twice to the server
)


@dataclass
class FaultTransport(httpx.BaseTransport):
    """Wraps a real transport and injects faults.

    ``plan(request) -> fault name | None`` decides per request; ``queue`` is a list
    of faults consumed first (for exact scenarios).
    """

    inner: httpx.BaseTransport = field(default_factory=httpx.HTTPTransport)
    plan: Callable[[httpx.Request], str | None] | None = None
    queue: list[str | None] = field(default_factory=list)
    only_path: str | None = None  # restrict faults to one path (e.g. "/api/v1/push")
    log: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, fault)
    counts: Counter = field(default_factory=Counter)

    def _fault_for(self, request: httpx.Request) -> str | None:
        if self.only_path and request.url.path != self.only_path:
            return None
        if self.queue:
            return self.queue.pop(0)
        if self.plan:
            return self.plan(request)
        return None

    def _forward(self, request: httpx.Request) -> httpx.Response:
        resp = self.inner.handle_request(request)
        resp.read()
        resp.close()
        return resp

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        fault = self._fault_for(request)
        self.log.append((request.method, request.url.path, fault))
        self.counts[fault] += 1
        if fault is None:
            return self._forward(request)
        if fault == "drop_request":
            raise httpx.ConnectError("injected: connection refused", request=request)
        if fault == "timeout_before":
            raise httpx.ConnectTimeout("injected: connect timeout", request=request)
        if fault == "500":
            return httpx.Response(500, json={"title": "injected", "detail": "synthetic 500"}, request=request)
        if fault == "429":
            return httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "slow down"}, request=request)
        if fault == "duplicate":
            self._forward(request)
            return self._forward(request)
        self._forward(request)  # the server processes it...
        if fault == "drop_response":
            raise httpx.ReadError("injected: connection reset while reading", request=request)
        if fault == "500_after":
            return httpx.Response(500, json={"title": "injected", "detail": "500 after commit"}, request=request)
        if fault == "timeout":
            raise httpx.ReadTimeout("injected: read timeout", request=request)
        raise AssertionError(f"unknown fault {fault}")

    def close(self) -> None:
        self.inner.close()


def random_plan(rng: random.Random, rate: float, faults: tuple[str, ...] = FAULTS) -> Callable[[httpx.Request], str | None]:
    def plan(request: httpx.Request) -> str | None:
        if rng.random() < rate:
            return rng.choice(faults)
        return None

    return plan


class MiniStore:
    """A tiny in-memory stand-in for ``critresp.store.Store``'s sync-support surface.

    Used only to exercise the engine against the real server in isolation; the
    end-to-end tests use the real Store.
    """

    def __init__(self) -> None:
        import uuid as _uuid

        self._client_id = _uuid.uuid4().hex
        self._seq = 0
        self.outbox: list[dict] = []
        self.cursor: str | None = None
        self.records: dict[str, dict] = {}
        self.state: dict = {}
        self.identity = None
        self.notices: list[str] = []
        self.lock = threading.Lock()
        self.batches = 0  # pull_batch blocks entered

    def client_id(self) -> str:
        return self._client_id

    def apply(self, actor, mutation):
        from critresp.store.views import ApplyResult

        with self.lock:
            self._seq += 1
            self.outbox.append({"seq": self._seq, "mutation_id": mutation.mutation_id, "mutation": mutation,
                                "actor": actor, "pending": True})
        return ApplyResult(ok=True, mutation_id=mutation.mutation_id, message="queued")

    def outbox_pending(self, limit: int = 500):
        from types import SimpleNamespace

        with self.lock:
            rows = [r for r in self.outbox if r["pending"]][:limit]
            return [SimpleNamespace(seq=r["seq"], mutation_id=r["mutation_id"], mutation=r["mutation"],
                                    actor=r["actor"]) for r in rows]

    def record_push_results(self, results) -> None:
        with self.lock:
            by_seq = {r["seq"]: r for r in self.outbox}
            for res in results:
                row = by_seq[res.seq]
                row["pending"] = False
                row["status"] = res.status
                if res.status == "rejected":
                    self.notices.append(f"{res.code}: {res.message}")

    def get_cursor(self):
        return self.cursor

    @contextlib.contextmanager
    def pull_batch(self):
        """All or nothing, like the real store's one transaction."""
        with self.lock:
            saved = (dict(self.records), self.cursor)
            self.batches += 1
        try:
            yield
        except BaseException:
            with self.lock:
                self.records, self.cursor = saved
            raise

    def apply_pull(self, changes, cursor, *, reset=False, more=False, expected_cursor=ANY_CURSOR):
        from critresp.store.api import CursorMoved, PullApplied

        with self.lock:
            if expected_cursor is not ANY_CURSOR and expected_cursor != self.cursor:
                raise CursorMoved("moved")
            n = 0
            changed = []
            for name in ("associates", "parties", "orders", "cases", "case_parties", "events", "enforcements", "macros"):
                for rec in getattr(changes, name):
                    if isinstance(rec, dict):  # a pulled page's events (PulledEvent)
                        key = f"{name}:{rec['id']}"
                    else:
                        key = f"{name}:{getattr(rec, 'id', None) or (rec.case_id + ':' + rec.party_id)}"
                    self.records[key] = rec
                    n += 1
                    if name == "cases":
                        changed.append(rec.id)
            self.cursor = cursor
            return PullApplied(changed_case_ids=tuple(changed), new_t0_case_ids=(), records=n)

    def set_sync_state(self, **kw) -> None:
        self.state.update(kw)

    def set_identity(self, actor) -> None:
        self.identity = actor

    def sync_status(self):
        from critresp.store.views import SyncStatus

        return SyncStatus(online=bool(self.state.get("online")), last_sync_at=self.state.get("synced_at"),
                          pending=sum(1 for r in self.outbox if r["pending"]), last_error=self.state.get("error"),
                          server_url=self.state.get("server_url"))

    def cases(self) -> dict:
        return {k.split(":", 1)[1]: v for k, v in self.records.items() if k.startswith("cases:")}

    def close(self) -> None:
        pass
