"""CredentialStore and the auth functions the CLI calls."""

from __future__ import annotations

import logging
import os
import random
from pathlib import Path

import httpx
import keyring.backend
import pytest
from keyring.backends import chainer, fail
from keyring.errors import KeyringError, KeyringLocked

from critresp.domain.clock import FixedClock
from critresp.sync import auth
from critresp.sync.client import ApiClient
from critresp.sync.credentials import ENV_VAR, SERVICE, CredentialStore
from critresp.sync.errors import AuthError, NoKeyringError
from syncfixtures import MemoryKeyring, WaitRecorder

TOKEN = "tok_SECRET-91b2e0c4aa77"
URL = "http://127.0.0.1:8765"


def me_factory(status: int = 200):
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if status != 200:
            return httpx.Response(status, json={"detail": "nope"})
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(200, json={"id": "a1", "name": "Dana Reyes", "role": "lead"})

    def factory(url, provider):
        return ApiClient(url, provider, transport=httpx.MockTransport(handler), sleep=WaitRecorder(),
                         rng=random.Random(0))

    return factory, calls


def test_env_wins_and_source_never_shows_the_value(memory_keyring):
    creds = CredentialStore(memory_keyring, env={ENV_VAR: TOKEN})
    memory_keyring.set_password(SERVICE, URL, "from-keyring")
    assert creds.get(URL) == TOKEN
    assert creds.source(URL) == "env"
    assert TOKEN not in repr(creds)


def test_keyring_roundtrip_keyed_by_server_url(memory_keyring):
    creds = CredentialStore(memory_keyring, env={})
    assert creds.source(URL) == "none"
    assert creds.get(URL) is None
    creds.set(URL + "/", TOKEN)
    assert memory_keyring.data == {(SERVICE, URL): TOKEN}
    assert creds.get(URL) == TOKEN
    src = creds.source(URL)
    assert src.startswith("keyring (") and TOKEN not in src
    assert creds.get("http://other:1") is None
    assert creds.delete(URL) is True
    assert creds.delete(URL) is False
    assert creds.get(URL) is None


def _assert_one_line_hint(exc: BaseException) -> None:
    msg = str(exc)
    assert "\n" not in msg
    assert ENV_VAR in msg
    assert "Secret Service" in msg or "gnome-keyring" in msg


def test_fail_backend_raises_one_line_no_keyring_error_and_never_falls_back(tmp_path):
    before = sorted(p for p in Path(os.environ["HOME"]).rglob("*"))
    creds = CredentialStore(fail.Keyring(), env={})
    with pytest.raises(NoKeyringError) as ei:
        creds.set(URL, TOKEN)
    _assert_one_line_hint(ei.value)
    with pytest.raises(NoKeyringError):
        creds.get(URL)
    assert creds.source(URL) == "none"
    assert not creds.has_backend()
    after = sorted(p for p in Path(os.environ["HOME"]).rglob("*"))
    assert before == after, "no plaintext fallback file was written"
    # the env var still works without a backend
    assert CredentialStore(fail.Keyring(), env={ENV_VAR: TOKEN}).get(URL) == TOKEN


def test_empty_chainer_is_no_backend(monkeypatch):
    monkeypatch.setattr(keyring.backend, "_limit", lambda kr: False)
    ch = chainer.ChainerBackend()
    assert list(ch.backends) == []
    with pytest.raises(NoKeyringError) as ei:
        CredentialStore(ch, env={}).set(URL, TOKEN)
    _assert_one_line_hint(ei.value)


class BrokenKeyring(MemoryKeyring):
    def __init__(self, exc: Exception) -> None:
        super().__init__()
        self.exc = exc

    def get_password(self, service, username):
        raise self.exc

    def set_password(self, service, username, password):
        raise self.exc


@pytest.mark.parametrize("exc", [KeyringError("dbus gone"), KeyringLocked("locked"), RuntimeError("boom")])
def test_backend_errors_become_no_keyring_error(exc):
    creds = CredentialStore(BrokenKeyring(exc), env={})
    with pytest.raises(NoKeyringError) as ei:
        creds.get(URL)
    assert ENV_VAR in str(ei.value) and "\n" not in str(ei.value)
    with pytest.raises(NoKeyringError):
        creds.set(URL, TOKEN)


def test_login_checks_token_before_storing(memory_keyring, caplog):
    caplog.set_level(logging.DEBUG)
    creds = CredentialStore(memory_keyring, env={})
    factory, calls = me_factory(401)
    with pytest.raises(AuthError):
        auth.login(URL, TOKEN, creds, factory)
    assert memory_keyring.data == {}
    factory, calls = me_factory(200)
    ident = auth.login(URL, f"  {TOKEN}\n", creds, factory)
    assert (ident.id, ident.name, str(ident.role)) == ("a1", "Dana Reyes", "lead")
    assert memory_keyring.data == {(SERVICE, URL): TOKEN}
    assert calls[0].url.path == "/api/v1/me"
    assert TOKEN not in caplog.text


def test_login_with_no_backend_stores_nothing_and_says_so():
    creds = CredentialStore(fail.Keyring(), env={})
    factory, _ = me_factory(200)
    with pytest.raises(NoKeyringError) as ei:
        auth.login(URL, TOKEN, creds, factory)
    _assert_one_line_hint(ei.value)


def test_auth_status_and_logout_never_show_the_token(memory_keyring):
    creds = CredentialStore(memory_keyring, env={})
    lines = auth.auth_status(URL, creds)
    assert any("critresp login" in ln for ln in lines)
    creds.set(URL, TOKEN)
    factory, _ = me_factory(200)
    lines = auth.auth_status(URL, creds, factory)
    text = "\n".join(lines)
    assert "keyring" in text and "Dana Reyes" in text and TOKEN not in text
    env_creds = CredentialStore(memory_keyring, env={ENV_VAR: TOKEN})
    text = "\n".join(auth.auth_status(URL, env_creds))
    assert ENV_VAR in text and TOKEN not in text
    msg = auth.logout(URL, env_creds)
    assert "Removed" in msg and ENV_VAR in msg and TOKEN not in msg
    assert memory_keyring.data == {}
    assert "No token" in auth.logout(URL, creds)
    none_lines = auth.auth_status(URL, CredentialStore(fail.Keyring(), env={}))
    assert any(ENV_VAR in ln for ln in none_lines)
    assert auth.auth_status(None, creds)[0].startswith("server: none")


def test_sync_once_without_token_is_a_one_line_failure(memory_keyring):
    code, line = auth.sync_once(URL, object(), CredentialStore(memory_keyring, env={}), FixedClock(
        __import__("datetime").datetime(2024, 1, 1)))
    assert code == 1 and "critresp login" in line and "\n" not in line
    code, line = auth.sync_once(URL, object(), CredentialStore(fail.Keyring(), env={}), FixedClock(
        __import__("datetime").datetime(2024, 1, 1)))
    assert code == 1 and ENV_VAR in line
