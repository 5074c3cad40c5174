"""Demo mode: seeded at startup (once), then new incidents keep arriving."""

from __future__ import annotations

import random
from pathlib import Path

from srvfixtures import T0, add_team, make_settings  # type: ignore[import-not-found]
from fastapi.testclient import TestClient

from critresp.domain.clock import FixedClock
from critresp.domain.records import Dataset
from critresp.server.app import create_app
from critresp.server.demo import new_incident


def _pull_everything(client: TestClient, h: dict[str, str], cursor: str | None = None) -> tuple[dict, str]:
    out: dict = {}
    while True:
        params: dict = {"limit": 2000}
        if cursor:
            params["cursor"] = cursor
        data = client.get("/api/v1/pull", headers=h, params=params).json()
        Dataset.model_validate(data["changes"])
        for k, v in data["changes"].items():
            out.setdefault(k, []).extend(v)
        cursor = data["cursor"]
        if not data["has_more"]:
            return out, cursor


def test_demo_seeds_once_and_generated_incidents_reach_waiting_clients(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo=True, demo_cases=12, incident_rate=0)
    clock = FixedClock(T0)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        tokens = add_team(app)
        h = {"Authorization": f"Bearer {tokens['A1']}"}
        data, cursor = _pull_everything(client, h)
        assert len(data["cases"]) == 12
        assert data["macros"] and data["associates"] and data["events"]
        assert all(c["version"] > 0 for c in data["cases"])

        ds = new_incident(app.state.runtime, random.Random(3))
        assert ds.cases[0].id == "CR-0000013"
        page = client.get("/api/v1/pull", headers=h, params={"cursor": cursor, "wait": 5}).json()
        assert [c["id"] for c in page["changes"]["cases"]] == ["CR-0000013"]

    # restart on the same database: no second seed, ids continue
    app2 = create_app(settings, clock=clock)
    with TestClient(app2) as client:
        assert app2.state.runtime.core.case_count() == 13
        ds = new_incident(app2.state.runtime, random.Random(4))
        assert ds.cases[0].id == "CR-0000014"


def test_incident_loop_keeps_creating_cases(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo=True, demo_cases=3, incident_rate=3000)  # one every ~20 ms
    app = create_app(settings)
    with TestClient(app) as client:
        tokens = add_team(app)
        h = {"Authorization": f"Bearer {tokens['A2']}"}
        seen: set[str] = set()
        cursor = None
        for _ in range(50):  # each pull long-polls until something new commits
            params: dict = {"limit": 2000, "wait": 10}
            if cursor:
                params["cursor"] = cursor
            data = client.get("/api/v1/pull", headers=h, params=params).json()
            cursor = data["cursor"]
            seen.update(c["id"] for c in data["changes"].get("cases", []))
            if len(seen) >= 5:
                break
        assert {"CR-0000004", "CR-0000005"} <= seen
