"""Bad input gets 4xx problem+json, never a 5xx; tokens are stored hashed only."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from srvfixtures import Env, make_settings, mutation  # type: ignore[import-not-found]
from fastapi.testclient import TestClient
from sqlalchemy import select

from critresp.server import db as D
from critresp.server.admin import create_token, revoke_tokens
from critresp.server.app import create_app
from critresp.server.db import Database


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:critresp:problem:")
    assert body["title"] and body["detail"]
    return body


def test_oversized_body_is_413_problem(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, max_body_bytes=4096))
    token = app.state.runtime.core.create_token("A1", "Dana Rivera", "associate")
    h = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        big = {"client_id": "c", "mutations": [{"seq": 1, "mutation": mutation("add_note", "X", body="x" * 5000)}]}
        assert_problem(client.post("/api/v1/push", headers=h, json=big), 413)

        # streamed without a Content-Length: still refused
        def chunks():
            for _ in range(10):
                yield b" " * 1000

        r = client.post("/api/v1/push", headers={**h, "content-type": "application/json"}, content=chunks())
        assert_problem(r, 413)
        # under the limit it is an ordinary request
        ok = client.post("/api/v1/push", headers=h, json={"client_id": "c", "mutations": []})
        assert ok.status_code == 200 and ok.json()["results"] == []


def test_one_bad_mutation_refuses_the_whole_batch(env: Env) -> None:
    case = env.intake()
    good = mutation("claim", case["id"])
    bad = mutation("set_tier", case["id"], tier=9)
    r = env.client.post(
        "/api/v1/push",
        headers=env.h("A1"),
        json={"client_id": "c", "mutations": [{"seq": 1, "mutation": good}, {"seq": 2, "mutation": bad}]},
    )
    body = assert_problem(r, 422)
    assert body["errors"] and all(e["loc"][:4] == ["body", "mutations", "1", "mutation"] for e in body["errors"])
    # nothing was applied: the good one is new when sent again
    assert env.push("A1", good)[0]["status"] == "applied"


@pytest.mark.parametrize(
    "payload",
    [
        {"client_id": "c", "mutations": [{"seq": 1, "mutation": {"kind": "explode", "case_id": "X"}}]},
        {"client_id": "c", "mutations": [{"seq": 1, "mutation": {"kind": "claim"}}]},
        {"client_id": "c", "mutations": [{"seq": -1, "mutation": {"kind": "claim", "case_id": "X"}}]},
        {"client_id": "", "mutations": []},
        {"mutations": []},
        {"client_id": "c", "mutations": [{"seq": 1, "mutation": {}}] * 501},
        {"client_id": "c", "mutations": "all of them"},
        [],
        "claim",
        None,
    ],
)
def test_malformed_push_is_422_problem(env: Env, payload: Any) -> None:
    assert_problem(env.client.post("/api/v1/push", headers=env.h("A1"), json=payload), 422)


def test_not_json_is_a_4xx_problem(env: Env) -> None:
    h = {**env.h("A1"), "content-type": "application/json"}
    assert_problem(env.client.post("/api/v1/push", headers=h, content=b"{not json"), 422)
    assert_problem(env.client.post("/api/v1/push", headers=h, content=b'{"client_id": "\xff"}'), 400)


@pytest.mark.parametrize(
    "change",
    [
        {"category": "not_a_category"},
        {"title": ""},
        {"title": "   "},
        {"tier": 7},
        {"reporter": {"role": "customer"}},  # new party without a name or contact
        {"reporter": {"role": "customer", "first_name": "Ann"}},  # no email or phone
        {"subject": {"role": "alien", "first_name": "Zed", "email": "z@example.com"}},
        {"subject": {"id": "P-nobody"}},
        {"order_id": "O-nope"},
        {"extra": "field"},
    ],
)
def test_invalid_intake_is_422_problem(env: Env, change: dict[str, Any]) -> None:
    body = {
        "category": "assault",
        "title": "t",
        "reporter": {"role": "customer", "first_name": "Ann", "email": "a@example.com"},
        "subject": {"role": "shopper", "first_name": "Bob", "phone": "+1555"},
        **change,
    }
    assert_problem(env.client.post("/api/v1/intake", headers=env.h("A1"), json=body), 422)


def test_reporter_and_subject_must_differ(env: Env) -> None:
    case = env.intake(reporter={"id": "P-same", "role": "customer", "first_name": "Ann", "email": "a@example.com"})
    assert case["status"] == "new"
    r = env.client.post(
        "/api/v1/intake",
        headers=env.h("A1"),
        json={"category": "rude_tone", "title": "t", "reporter": {"id": "P-same"}, "subject": {"id": "P-same"}},
    )
    assert_problem(r, 422)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer " + "x" * 2000}],
)
def test_missing_or_bad_token_is_401_problem(env: Env, headers: dict[str, str]) -> None:
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/pull"), ("POST", "/api/v1/push"), ("POST", "/api/v1/intake")):
        r = env.client.request(method, path, headers=headers, json={"client_id": "c", "mutations": []})
        body = assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "Bearer"
        assert "x" * 50 not in json.dumps(body)


def test_unknown_paths_and_methods_are_problems(env: Env) -> None:
    assert_problem(env.client.get("/api/v1/nothing", headers=env.h("A1")), 404)
    assert_problem(env.client.delete("/api/v1/push", headers=env.h("A1")), 405)
    assert env.client.get("/openapi.json").json()["paths"]["/api/v1/push"]


def test_tokens_are_stored_as_sha256_only(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.ensure_dirs()
    out = io.StringIO()
    token = create_token(settings.db_url, "L9", "Robin Lead", "lead", out=out)
    assert token in out.getvalue()  # shown once, to the admin
    assert len(token) >= 40

    db = Database(settings.db_url)
    try:
        with db.read() as conn:
            rows = conn.execute(select(D.tokens)).mappings().all()
    finally:
        db.dispose()
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([dict(r) for r in rows], default=str)
    raw = b"".join(p.read_bytes() for p in (tmp_path / "srv").iterdir() if p.is_file())
    assert token.encode() not in raw

    app = create_app(settings)
    with TestClient(app) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
        assert me == {"id": "L9", "name": "Robin Lead", "role": "lead"}
        assert revoke_tokens(settings.db_url, "L9") == 1
        assert_problem(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_junk_never_produces_a_5xx(env: Env) -> None:
    """A spread of hostile inputs; TestClient re-raises any server bug, so a 5xx fails here."""
    h = env.h("A1")
    case = env.intake()
    junk_mutations: list[Any] = [
        mutation("claim", "x" * 65),
        mutation("send_reply", case["id"], channel="email", recipient_party_id="P-x", body=""),
        mutation("send_reply", case["id"], channel="internal", recipient_party_id="P-x", body="hi"),
        mutation("decide_enforcement", case["id"], enforcement_id="not-a-uuid", approve=True),
        mutation("propose_enforcement", case["id"], party_id="P-x", level=4, rule="", reason="r"),
        {"kind": "claim", "case_id": case["id"], "mutation_id": "zzz"},
        {"kind": "claim", "case_id": case["id"], "created_at": "yesterday"},
        {"kind": "add_note", "case_id": case["id"], "body": "\x1b[2J\u202e evil", "mutation_id": "0" * 32},
    ]
    for m in junk_mutations:
        r = env.client.post("/api/v1/push", headers=h, json={"client_id": "c", "mutations": [{"seq": 1, "mutation": m}]})
        assert r.status_code in (200, 422), r.text
    # business-invalid but well-formed mutations are per-mutation rejections
    results = env.push(
        "A1",
        mutation("send_reply", case["id"], channel="email", recipient_party_id="P-x", subject="s", body="b"),
        mutation("decide_enforcement", case["id"], enforcement_id="9b0c7a3e-4a43-4f6e-9d55-0c0a3f9d7e11", approve=True),
        mutation("reverse_enforcement", case["id"], enforcement_id="9b0c7a3e-4a43-4f6e-9d55-0c0a3f9d7e11", reason="r"),
        mutation("reveal_pii", case["id"], party_id="P-x", field="email"),
    )
    assert [r["status"] for r in results] == ["rejected"] * 4
    for params in ({"cursor": "\x00"}, {"cursor": "A" * 401}, {"cursor": "MXx8fHw"}, {"limit": "1e9"}):
        r = env.client.get("/api/v1/pull", headers=h, params=params)
        assert 400 <= r.status_code < 500
    for path in ("/api/v1/intake", "/api/v1/push"):
        for content in (b"", b"null", b"[]", b"{}", b'{"a":' * 2000, "\ud800".encode("utf-8", "surrogatepass")):
            r = env.client.post(path, headers={**h, "content-type": "application/json"}, content=content)
            assert 400 <= r.status_code < 500, (path, content[:20], r.status_code)


def test_hostile_cursor_and_dates_answer_4xx_not_5xx(env) -> None:
    import base64

    epoch_cursor = env.client.get("/api/v1/pull", headers=env.h("A1")).json()["cursor"]
    raw = base64.urlsafe_b64decode(epoch_cursor + "=" * (-len(epoch_cursor) % 4)).decode()
    version, epoch = raw.split("|")[:2]
    for seq in (str(10**30), "-1"):
        bad = base64.urlsafe_b64encode(f"{version}|{epoch}|{seq}|0|".encode()).decode().rstrip("=")
        r = env.client.get("/api/v1/pull", headers=env.h("A1"), params={"cursor": bad})
        assert r.status_code == 400, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    for when in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        m = {"kind": "claim", "case_id": "CR-1", "mutation_id": "8f0c7a3e-4a43-4f6e-9d55-0c0a3f9d7e11", "created_at": when}
        r = env.client.post(
            "/api/v1/push", headers=env.h("A1"), json={"client_id": "c", "mutations": [{"seq": 1, "mutation": m}]}
        )
        assert r.status_code == 422, r.text
    nul = {"kind": "claim", "case_id": "CR-\u0000", "mutation_id": "8f0c7a3e-4a43-4f6e-9d55-0c0a3f9d7e12"}
    r = env.client.post(
        "/api/v1/push", headers=env.h("A1"), json={"client_id": "c\u0000", "mutations": [{"seq": 1, "mutation": nul}]}
    )
    assert r.status_code == 422
