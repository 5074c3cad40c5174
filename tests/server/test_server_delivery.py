"""Replies are delivered exactly once: across retries, crashes and restarts."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from srvfixtures import T0, add_team, make_settings, mutation  # type: ignore[import-not-found]
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from critresp.domain.clock import FixedClock
from critresp.server import db as D
from critresp.server.app import create_app
from critresp.server.db import Database
from critresp.server.delivery import Delivery, RecordingProvider


class Crash(Exception):
    """Stands for the process dying at this point."""


class CrashAfterSend(RecordingProvider):
    """Records the send (file + table) and then 'dies' before the transaction commits."""

    def deliver(self, delivery: Delivery, conn: Any) -> str:
        super().deliver(delivery, conn)
        raise Crash()


def _intake_and_reply(client: TestClient, tokens: dict[str, str], reply_id: str) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {tokens['A1']}"}
    case = client.post(
        "/api/v1/intake",
        headers=h,
        json={
            "category": "rude_tone",
            "title": "Rude shopper",
            "reporter": {"id": "P-rep", "role": "customer", "first_name": "Ann", "email": "ann@example.com"},
            "subject": {"role": "shopper", "first_name": "Bob", "phone": "+1555"},
        },
    ).json()
    reply = mutation(
        "send_reply",
        case["id"],
        reply_id=reply_id,
        channel="email",
        recipient_party_id="P-rep",
        subject="About your order",
        body="Hi Ann, we are looking into it.",
    )
    body = {"client_id": "c1", "mutations": [{"seq": 1, "mutation": reply}]}
    r1 = client.post("/api/v1/push", headers=h, json=body).json()["results"][0]
    r2 = client.post("/api/v1/push", headers=h, json=body).json()["results"][0]  # retried push
    assert (r1["status"], r2["status"]) == ("applied", "duplicate")
    return case


def _counts(app: Any, reply_id: str) -> tuple[int, int, str]:
    db = app.state.runtime.db
    with db.read() as conn:
        n_deliveries = conn.execute(
            select(func.count()).select_from(D.deliveries).where(D.deliveries.c.reply_id == reply_id)
        ).scalar_one()
        n_log = conn.execute(
            select(func.count()).select_from(D.delivery_log).where(D.delivery_log.c.reply_id == reply_id)
        ).scalar_one()
        status = conn.execute(select(D.deliveries.c.status).where(D.deliveries.c.reply_id == reply_id)).scalar_one()
    return n_deliveries, n_log, status


def test_crash_after_send_then_restart_delivers_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, delivery_lease_seconds=30)
    log_path = settings.delivery_log_path
    clock = FixedClock(T0)
    reply_id = "5f1d7a52-8c1e-4a55-a9b4-3f0c2b9b8e01"

    # first life: the provider sends, then the process dies before marking it sent
    app1 = create_app(settings, clock=clock, provider=CrashAfterSend(log_path))
    tokens = add_team(app1)
    with TestClient(app1) as client:
        _intake_and_reply(client, tokens, reply_id)
        assert app1.state.runtime.worker.run_once() == 0
        assert _counts(app1, reply_id) == (1, 0, "sending")  # claimed, not marked sent
    assert RecordingProvider(log_path).logged_reply_ids() == [reply_id]

    # second life (new app, new provider instance, same database and log file)
    app2 = create_app(settings, clock=clock, provider=RecordingProvider(log_path))
    with TestClient(app2):
        worker = app2.state.runtime.worker
        assert worker.run_once() == 0  # the old claim's lease still runs
        clock.advance(timedelta(seconds=31))
        assert worker.run_once() == 1
        assert worker.run_once() == 0
        assert _counts(app2, reply_id) == (1, 1, "sent")
    assert RecordingProvider(log_path).logged_reply_ids() == [reply_id]


def test_crash_after_claim_then_restart_delivers_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, delivery_lease_seconds=30)
    clock = FixedClock(T0)
    reply_id = "0d4b2d1e-2f4a-4c3e-8a8e-7a1c9b2e6f10"
    app1 = create_app(settings, clock=clock)
    tokens = add_team(app1)
    with TestClient(app1) as client:
        _intake_and_reply(client, tokens, reply_id)
        assert app1.state.runtime.worker.claim(reply_id) is True  # ... and the process dies here
        assert app1.state.runtime.worker.claim(reply_id) is False  # nobody else can take it meanwhile

    app2 = create_app(settings, clock=clock)
    with TestClient(app2) as client:
        clock.advance(timedelta(seconds=31))
        assert app2.state.runtime.worker.run_once() == 1
        assert _counts(app2, reply_id) == (1, 1, "sent")
        lead = {"Authorization": f"Bearer {tokens['L1']}"}
        listed = client.get("/api/v1/deliveries", headers=lead).json()["deliveries"]
        assert [(d["reply_id"], d["status"], d["attempts"]) for d in listed] == [(reply_id, "sent", 2)]
        r = client.get("/api/v1/deliveries", headers={"Authorization": f"Bearer {tokens['A1']}"})
        assert r.status_code == 403 and r.json()["status"] == 403
    assert RecordingProvider(settings.delivery_log_path).logged_reply_ids() == [reply_id]


class SignallingProvider(RecordingProvider):
    def __init__(self, log_path: Path) -> None:
        super().__init__(log_path)
        self.called = threading.Event()

    def deliver(self, delivery: Delivery, conn: Any) -> str:
        ref = super().deliver(delivery, conn)
        self.called.set()
        return ref


def test_background_worker_delivers_without_being_asked(tmp_path: Path) -> None:
    # poll every 60 s: only the commit's wake-up can make it deliver within the test
    settings = make_settings(tmp_path, delivery_worker=True, delivery_poll_seconds=60)
    reply_id = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    provider = SignallingProvider(settings.delivery_log_path)
    app = create_app(settings, provider=provider)
    tokens = add_team(app)
    with TestClient(app) as client:
        _intake_and_reply(client, tokens, reply_id)
        assert provider.called.wait(20)
    # the app stopped (worker joined): the delivery transaction is over
    db = Database(settings.db_url)
    try:
        with db.read() as conn:
            status = conn.execute(select(D.deliveries.c.status).where(D.deliveries.c.reply_id == reply_id)).scalar_one()
    finally:
        db.dispose()
    assert status == "sent"
    assert RecordingProvider(settings.delivery_log_path).logged_reply_ids() == [reply_id]
