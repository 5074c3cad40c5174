"""ApiClient: retries, Retry-After, typed errors, payload validation, token hygiene.

These use httpx.MockTransport (a scripted server) so each HTTP answer is exact;
the end-to-end tests against the real server live in test_sync_e2e.py.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from critresp.domain.mutations import AddNote, Claim
from critresp.sync.client import ApiClient, RetryPolicy, parse_retry_after
from critresp.sync.errors import (
    AuthError,
    ForbiddenError,
    OfflineError,
    ProtocolError,
    RequestError,
    ServerError,
)
from syncfixtures import WaitRecorder

TOKEN = "tok_SECRET-4f9a2c7e91d0b3"
URL = "http://127.0.0.1:9"


def scripted(answers):
    """A MockTransport answering from a list (callables, Responses or exceptions)."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        a = answers[min(len(calls) - 1, len(answers) - 1)]
        if isinstance(a, Exception):
            raise a
        if callable(a):
            return a(request)
        return a

    return httpx.MockTransport(handler), calls


def make_client(transport, waits=None, token=TOKEN, **kw) -> ApiClient:
    return ApiClient(
        URL,
        (lambda: token),
        transport=transport,
        sleep=waits if waits is not None else WaitRecorder(),
        rng=random.Random(1),
        **kw,
    )


PULL_OK = {"changes": {}, "cursor": "c1", "has_more": False}


def test_4xx_validation_error_is_not_retried_and_carries_problem_detail():
    problem = httpx.Response(
        422,
        headers={"Content-Type": "application/problem+json"},
        json={"type": "about:blank", "title": "Invalid request", "status": 422, "detail": "limit must be <= 2000"},
    )
    transport, calls = scripted([problem])
    waits = WaitRecorder()
    client = make_client(transport, waits)
    with pytest.raises(RequestError) as ei:
        client.pull(None)
    assert len(calls) == 1
    assert waits.calls == []
    assert ei.value.status == 422
    assert ei.value.detail == "limit must be <= 2000"
    assert "limit must be <= 2000" in str(ei.value)


def test_fastapi_validation_list_detail_is_summarised():
    body = {"detail": [{"loc": ["body", "mutations", 0, "seq"], "msg": "Input should be a valid integer"}]}
    transport, calls = scripted([httpx.Response(400, json=body)])
    with pytest.raises(RequestError) as ei:
        make_client(transport).push("c", [(1, Claim(case_id="CR-1"))])
    assert len(calls) == 1
    assert "mutations.0.seq: Input should be a valid integer" in str(ei.value)


def test_401_is_auth_error_telling_to_login_and_not_retried():
    transport, calls = scripted([httpx.Response(401, json={"detail": "bad token"})])
    with pytest.raises(AuthError) as ei:
        make_client(transport).me()
    assert len(calls) == 1
    assert "critresp login" in str(ei.value)
    assert "\n" not in str(ei.value)


def test_403_is_forbidden_not_retried():
    transport, calls = scripted([httpx.Response(403, json={"detail": "lead only"})])
    with pytest.raises(ForbiddenError):
        make_client(transport).deliveries()
    assert len(calls) == 1


def test_missing_token_fails_before_any_request():
    transport, calls = scripted([httpx.Response(200, json=PULL_OK)])
    with pytest.raises(AuthError, match="critresp login"):
        make_client(transport, token=None).pull(None)
    assert calls == []


def test_retry_after_seconds_is_honoured_via_injected_wait():
    transport, calls = scripted([
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(503, headers={"Retry-After": "2"}),
        httpx.Response(200, json=PULL_OK),
    ])
    waits = WaitRecorder()
    page = make_client(transport, waits).pull(None)
    assert page.cursor == "c1"
    assert len(calls) == 3
    assert waits.calls == [7.0, 2.0]


def test_retry_after_http_date_and_cap():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    later = (now + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(later, now) == pytest.approx(30.0)
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0
    transport, _ = scripted([
        httpx.Response(503, headers={"Retry-After": "100000"}),
        httpx.Response(200, json=PULL_OK),
    ])
    waits = WaitRecorder()
    make_client(transport, waits, retry=RetryPolicy(retry_after_max=60)).pull(None)
    assert waits.calls == [60.0]


def test_5xx_backoff_is_exponential_jittered_and_capped_then_gives_up():
    transport, calls = scripted([httpx.Response(500, json={"detail": "boom"})])
    waits = WaitRecorder()
    policy = RetryPolicy(attempts=6, wait_initial=0.5, wait_max=3.0, wait_jitter=0.25)
    with pytest.raises(ServerError) as ei:
        make_client(transport, waits, retry=policy).pull(None)
    assert len(calls) == 6
    assert ei.value.status == 500
    assert len(waits.calls) == 5  # no wait after the last attempt
    bases = [0.5, 1.0, 2.0, 3.0, 3.0]
    for w, base in zip(waits.calls, bases):
        assert min(base, 3.0) <= w <= min(base + 0.25, 3.0) + 1e-9
    assert max(waits.calls) <= 3.0


def test_network_errors_and_timeouts_are_retried_then_offline():
    transport, calls = scripted([
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.Response(200, json=PULL_OK),
    ])
    waits = WaitRecorder()
    assert make_client(transport, waits).pull(None).cursor == "c1"
    assert len(calls) == 3 and len(waits.calls) == 2

    transport, calls = scripted([httpx.ConnectError("refused")])
    with pytest.raises(OfflineError, match="offline"):
        make_client(transport, retry=RetryPolicy(attempts=3)).pull(None)
    assert len(calls) == 3


def test_intake_is_not_retried_once_the_request_may_have_arrived():
    transport, calls = scripted([httpx.ReadError("reset")])
    with pytest.raises(OfflineError):
        make_client(transport).intake({"category": "x"})
    assert len(calls) == 1


def test_malformed_json_is_a_protocol_error():
    transport, _ = scripted([httpx.Response(200, content=b"{not json", headers={"Content-Type": "application/json"})])
    with pytest.raises(ProtocolError, match="invalid JSON"):
        make_client(transport).pull(None)


def test_schema_invalid_pull_is_a_protocol_error():
    bad_case = {"id": "CR-1", "tier": 9, "status": "nope"}  # missing fields, bad enum
    transport, _ = scripted([httpx.Response(200, json={"changes": {"cases": [bad_case]}, "cursor": "x", "has_more": False})])
    with pytest.raises(ProtocolError, match="nothing was saved"):
        make_client(transport).pull(None)


def test_push_result_for_unsent_mutation_is_rejected():
    m = Claim(case_id="CR-1")

    def answer(request):
        return httpx.Response(200, json={"results": [
            {"seq": 99, "mutation_id": str(m.mutation_id), "status": "applied"}]})

    transport, _ = scripted([answer])
    with pytest.raises(ProtocolError):
        make_client(transport).push("cid", [(1, m)])


def test_push_sends_seq_and_mutation_and_bearer_header():
    m = AddNote(case_id="CR-7", body="hello")
    seen = {}

    def answer(request: httpx.Request):
        import json

        seen["auth"] = request.headers["Authorization"]
        seen["body"] = json.loads(request.content)
        return httpx.Response(200, json={"results": [
            {"seq": 4, "mutation_id": str(m.mutation_id), "status": "applied", "version": 12}],
            "server_time": "2024-01-01T00:00:00Z"})

    transport, _ = scripted([answer])
    results = make_client(transport).push("client-A", [(4, m)])
    assert seen["auth"] == f"Bearer {TOKEN}"
    assert seen["body"]["client_id"] == "client-A"
    assert seen["body"]["mutations"][0]["seq"] == 4
    assert seen["body"]["mutations"][0]["mutation"]["kind"] == "add_note"
    assert results[0].status == "applied" and results[0].version == 12 and results[0].mutation_id == m.mutation_id


def test_long_poll_gets_a_longer_read_timeout():
    seen = {}

    def answer(request: httpx.Request):
        seen["timeout"] = request.extensions["timeout"]
        seen["wait"] = request.url.params.get("wait")
        return httpx.Response(200, json=PULL_OK)

    transport, _ = scripted([answer])
    make_client(transport, timeout=httpx.Timeout(5.0)).pull("abc", wait=20)
    assert seen["wait"] == "20.0"
    assert seen["timeout"]["read"] == pytest.approx(25.0)
    assert seen["timeout"]["connect"] == pytest.approx(5.0)


@pytest.mark.parametrize(
    "answers",
    [
        [httpx.Response(401)],
        [httpx.Response(500, json={"detail": f"echo Bearer {TOKEN}"})],
        [httpx.Response(422, json={"detail": f"bad header Bearer {TOKEN}", "title": TOKEN})],
        [httpx.ConnectError("refused")],
        [httpx.ReadTimeout("timeout")],
        [httpx.Response(200, content=b"<html>")],
        [httpx.Response(200, json={"changes": {"cases": [{"id": TOKEN}]}, "cursor": 1})],
    ],
    ids=["401", "500-echo", "422-echo", "connect", "timeout", "badjson", "badschema"],
)
def test_token_never_in_errors_reprs_or_logs(answers, caplog):
    caplog.set_level(logging.DEBUG)
    transport, calls = scripted(answers)
    client = make_client(transport, retry=RetryPolicy(attempts=2))
    with pytest.raises(Exception) as ei:
        client.pull(None)
    assert calls, "the request was made"
    exc = ei.value
    import traceback

    text = "".join(traceback.format_exception(exc))
    for blob in (str(exc), repr(exc), text, repr(client), caplog.text, repr(vars(exc))):
        assert TOKEN not in blob
    assert "\n" not in str(exc)


def test_malformed_token_never_sent_or_echoed(caplog):
    caplog.set_level(logging.DEBUG)
    bad = TOKEN + "\r\nX-Evil: 1"
    transport, calls = scripted([httpx.Response(200, json=PULL_OK)])
    with pytest.raises(AuthError) as ei:
        make_client(transport, token=bad).pull(None)
    assert calls == []
    assert TOKEN not in str(ei.value) and TOKEN not in caplog.text


def _event(**kw):
    e = {"id": "CR-1-e01", "case_id": "CR-1", "at": "2026-08-26T21:14:19.153311Z", "kind": "report",
         "summary": "Report from customer", "body": "He shouted at me", "actor_id": "P-1", "actor_name": "Ana P.",
         "internal": False, "data": {"channel": "email"}, "version": 3}
    e.update(kw)
    return {k: v for k, v in e.items() if v is not ...}


def test_pulled_events_are_validated_dicts_with_the_record_limits():
    full = _event()
    bare = _event(id="CR-1-e02", body=..., actor_id=..., actor_name=..., internal=..., data=..., version=...)
    offset = _event(id="CR-1-e03", at="2026-08-26T23:14:19+02:00")
    answer = {"changes": {"events": [full, bare, offset]}, "cursor": "c1", "has_more": False}
    transport, _ = scripted([httpx.Response(200, json=answer)])
    events = make_client(transport).pull(None).changes.events
    assert [type(e) for e in events] == [dict, dict, dict]
    assert events[0]["data"] == {"channel": "email"} and events[0]["internal"] is False and events[0]["version"] == 3
    assert set(events[1]) == {"id", "case_id", "at", "kind", "summary"}  # absent optional keys stay absent
    assert events[2]["at"] == datetime(2026, 8, 26, 21, 14, 19, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", [
    {"summary": "x" * 2001},
    {"body": "x" * 20001},
    {"id": "E" * 65},
    {"at": "yesterday"},
    {"at": "0001-01-01T00:00:00+05:00"},  # before year 1 in UTC
    {"at": "9999-12-31T23:00:00-05:00"},  # after year 9999 in UTC
    {"internal": "maybe"},
    {"data": ["not", "an", "object"]},
    {"case_id": None},
    {"kind": ...},
])
def test_an_invalid_pulled_event_is_a_protocol_error(bad):
    answer = {"changes": {"events": [_event(), _event(**{"id": "CR-1-e02", **bad})]}, "cursor": "c1", "has_more": False}
    transport, _ = scripted([httpx.Response(200, json=answer)])
    with pytest.raises(ProtocolError, match="nothing was saved"):
        make_client(transport).pull(None)
