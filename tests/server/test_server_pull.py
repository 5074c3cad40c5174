"""Pull: paging, cursor, versions, long-poll over real HTTP."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

import httpx
import pytest
from srvfixtures import T0, Env, add_team, make_settings, mutation  # type: ignore[import-not-found]

from critresp.domain.clock import FixedClock
from critresp.domain.records import Dataset
from critresp.server.runner import ServerThread


def test_pull_pages_cover_every_change_exactly_once_in_seq_order(env: Env) -> None:
    for _ in range(4):
        env.intake()
    full, final = env.pull_all(limit=1000)
    expected = {(f, r.get("id") or f"{r['case_id']}:{r['party_id']}") for f, recs in full.items() for r in recs}

    seen: list[tuple[str, str]] = []
    versions: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        data = env.client.get("/api/v1/pull", headers=env.h("A2"), params=params).json()
        Dataset.model_validate(data["changes"])  # the records shape
        n = sum(len(v) for v in data["changes"].values())
        assert n <= 3
        pages += 1
        for f, recs in data["changes"].items():
            for r in recs:
                seen.append((f, r.get("id") or f"{r['case_id']}:{r['party_id']}"))
                versions.append(r["version"])
        cursor = data["cursor"]
        if not data["has_more"]:
            break
    assert pages > 3
    assert len(seen) == len(set(seen))
    assert set(seen) == expected
    assert cursor == final

    # caught up: an empty page keeps the cursor
    empty = env.client.get("/api/v1/pull", headers=env.h("A2"), params={"cursor": cursor}).json()
    assert empty["changes"] == {} and empty["has_more"] is False and empty["cursor"] == cursor

    # a later change to an already-pulled entity comes again with a higher version
    case_id = next(r for f, r in seen if f == "cases")
    old_version = max(c["version"] for c in full["cases"] if c["id"] == case_id)
    env.push("A1", mutation("claim", case_id))
    later, _ = env.pull_all("A2", cursor=cursor)
    assert [c["id"] for c in later["cases"]] == [case_id]
    assert later["cases"][0]["version"] > old_version
    assert later["cases"][0]["assignee_id"] == "A1"
    assert {e["kind"] for e in later["events"]} == {"claimed"}


def test_versions_follow_commit_order(env: Env) -> None:
    a = env.intake()
    b = env.intake()
    assert b["version"] > a["version"]
    r = env.push("A1", mutation("claim", a["id"]))
    assert r[0]["version"] > b["version"]


def test_bad_cursors_are_problems_not_crashes(env: Env) -> None:
    r = env.client.get("/api/v1/pull", headers=env.h("A1"), params={"cursor": "not-a-cursor!!"})
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("invalid-cursor")

    foreign = base64.urlsafe_b64encode(b"1|otherdb|5|3|X").decode().rstrip("=")
    r = env.client.get("/api/v1/pull", headers=env.h("A1"), params={"cursor": foreign})
    assert r.status_code == 409 and r.json()["type"].endswith("cursor-reset")

    for params in ({"limit": 0}, {"limit": 5000}, {"wait": -1}, {"wait": 31}, {"wait": "soon"}):
        r = env.client.get("/api/v1/pull", headers=env.h("A1"), params=params)
        assert r.status_code == 422, params
        assert r.json()["status"] == 422


def test_long_poll_wakes_on_intake_over_real_http(tmp_path: Path) -> None:
    # recheck every 60 s: an answer before that can only come from the commit notification
    settings = make_settings(tmp_path, recheck_seconds=60.0)
    with ServerThread(settings, clock=FixedClock(T0)) as srv:
        tokens = add_team(srv.app)
        headers = {"Authorization": f"Bearer {tokens['A1']}"}
        with httpx.Client(base_url=srv.url, headers=headers, timeout=60) as http:
            assert http.get("/healthz").json() == {"ok": True}
            assert http.get("/api/v1/me").json()["id"] == "A1"
            cursor = http.get("/api/v1/pull").json()["cursor"]

            answer: dict = {}

            def wait_for_change() -> None:
                with httpx.Client(base_url=srv.url, headers=headers, timeout=60) as c2:
                    answer.update(c2.get("/api/v1/pull", params={"cursor": cursor, "wait": 30}).json())

            t = threading.Thread(target=wait_for_change)
            t.start()
            assert srv.runtime.hub.wait_for_waiters(1, timeout=20), "the pull never started waiting"
            r = http.post(
                "/api/v1/intake",
                json={
                    "category": "stalking",
                    "title": "Shopper keeps driving past my house",
                    "statement": "Third time this week.",
                    "reporter": {"role": "customer", "first_name": "Ann", "email": "ann@example.com"},
                    "subject": {"role": "shopper", "first_name": "Bob", "phone": "+15550100"},
                },
            )
            assert r.status_code == 201
            t.join(40)
            assert not t.is_alive()
            cases = answer["changes"]["cases"]
            assert [c["id"] for c in cases] == [r.json()["id"]]
            assert cases[0]["tier"] == 0 and cases[0]["summary"] == "Third time this week."


def test_push_and_pull_over_real_http(tmp_path: Path) -> None:
    with ServerThread(make_settings(tmp_path)) as srv:
        tokens = add_team(srv.app)
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            h1 = {"Authorization": f"Bearer {tokens['A1']}"}
            h2 = {"Authorization": f"Bearer {tokens['A2']}"}
            case = http.post(
                "/api/v1/intake",
                headers=h1,
                json={
                    "category": "rude_tone",
                    "title": "Rude shopper",
                    "reporter": {"role": "customer", "first_name": "Ann", "email": "a@example.com"},
                    "subject": {"role": "shopper", "first_name": "Bob", "phone": "+1555"},
                },
            ).json()
            m = mutation("claim", case["id"])
            body = {"client_id": "c", "mutations": [{"seq": 7, "mutation": m}]}
            assert http.post("/api/v1/push", headers=h1, json=body).json()["results"][0]["status"] == "applied"
            assert http.post("/api/v1/push", headers=h1, json=body).json()["results"][0]["status"] == "duplicate"
            other = http.post(
                "/api/v1/push", headers=h2, json={"client_id": "d", "mutations": [{"seq": 1, "mutation": mutation("claim", case["id"])}]}
            ).json()["results"][0]
            assert other["code"] == "already_claimed" and "Dana Rivera" in other["message"]
            page = http.get("/api/v1/pull", headers=h2, params={"limit": 2000}).json()
            assert [c["assignee_id"] for c in page["changes"]["cases"]] == ["A1"]
            assert http.get("/api/v1/pull").status_code == 401


@pytest.mark.parametrize("limit", [1, 2000])
def test_pull_limit_bounds(env: Env, limit: int) -> None:
    env.intake()
    data = env.client.get("/api/v1/pull", headers=env.h("A1"), params={"limit": limit}).json()
    assert sum(len(v) for v in data["changes"].values()) <= limit
    assert data["has_more"] is (limit == 1)
