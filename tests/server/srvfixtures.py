"""Helpers for the reference server tests: a real app on a tmp SQLite file, a settable
clock, and tokens for two associates and two leads."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from critresp.domain.clock import FixedClock
from critresp.server.settings import ServerSettings

T0 = datetime(2025, 3, 1, 22, 0, tzinfo=timezone.utc)

# Run the same tests on PostgreSQL: TEST_SERVER_DATABASE_URL=postgresql+psycopg://... (emptied per test)
PG_URL = os.environ.get("TEST_SERVER_DATABASE_URL")


@dataclass
class Env:
    client: TestClient
    app: Any
    clock: FixedClock
    settings: ServerSettings
    tokens: dict[str, str]

    @property
    def rt(self) -> Any:
        return self.app.state.runtime

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def intake(self, who: str = "A1", **over: Any) -> dict[str, Any]:
        body = {
            "category": "assault",
            "title": "Shopper threatened me at the door",
            "summary": "He said he would come back.",
            "reporter": {"role": "customer", "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
            "subject": {"role": "shopper", "first_name": "Bob", "last_name": "Ray", "phone": "+15550100"},
        }
        body.update(over)
        r = self.client.post("/api/v1/intake", headers=self.h(who), json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def push(self, who: str, *mutations: dict[str, Any], client_id: str = "client-1", start: int = 1) -> list[dict[str, Any]]:
        body = {
            "client_id": client_id,
            "mutations": [{"seq": start + i, "mutation": m} for i, m in enumerate(mutations)],
        }
        r = self.client.post("/api/v1/push", headers=self.h(who), json=body)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    def pull_all(self, who: str = "A1", cursor: str | None = None, limit: int = 500) -> tuple[dict[str, list[dict[str, Any]]], str]:
        """Pull until caught up; returns records by Dataset field and the final cursor."""
        out: dict[str, list[dict[str, Any]]] = {}
        while True:
            params: dict[str, Any] = {"limit": limit}
            if cursor:
                params["cursor"] = cursor
            r = self.client.get("/api/v1/pull", headers=self.h(who), params=params)
            assert r.status_code == 200, r.text
            data = r.json()
            for field, recs in data["changes"].items():
                out.setdefault(field, []).extend(recs)
            cursor = data["cursor"]
            if not data["has_more"]:
                return out, cursor

    def case(self, case_id: str) -> dict[str, Any]:
        recs, _ = self.pull_all()
        found = [c for c in recs.get("cases", []) if c["id"] == case_id]
        assert found, f"case {case_id} not pulled"
        return found[-1]


def mutation(kind: str, case_id: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "case_id": case_id, "mutation_id": str(uuid.uuid4()), **fields}


def make_settings(tmp_path: Path, **over: Any) -> ServerSettings:
    base: dict[str, Any] = {"data_dir": tmp_path / "srv", "delivery_worker": False, "lease_seconds": 600}
    base.update(over)
    if PG_URL:
        from sqlalchemy import create_engine

        from critresp.server.db import metadata

        engine = create_engine(PG_URL)
        metadata.drop_all(engine)
        engine.dispose()
        base["database_url"] = PG_URL
    return ServerSettings(**base)


def add_team(app: Any) -> dict[str, str]:
    core = app.state.runtime.core
    return {
        "A1": core.create_token("A1", "Dana Rivera", "associate"),
        "A2": core.create_token("A2", "Sam Okafor", "associate"),
        "L1": core.create_token("L1", "Lee Park", "lead"),
        "L2": core.create_token("L2", "Kim Novak", "lead"),
    }
