"""The token through the real Secret Service keyring (secretstorage over D-Bus).

Skipped unless ``CRITRESP_OS_KEYRING=1``; CI runs it inside ``dbus-run-session``
with an unlocked gnome-keyring, e.g.::

    dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
        && CRITRESP_OS_KEYRING=1 pytest -m oskeyring tests/sync/test_os_keyring.py'
"""

from __future__ import annotations

import os
import uuid

import pytest

pytestmark = [
    pytest.mark.oskeyring,
    pytest.mark.skipif(os.environ.get("CRITRESP_OS_KEYRING") != "1", reason="set CRITRESP_OS_KEYRING=1 (needs Secret Service)"),
]


def test_token_roundtrip_through_secret_service():
    from keyring.backends import SecretService

    from critresp.sync.credentials import SERVICE, CredentialStore

    backend = SecretService.Keyring()
    creds = CredentialStore(backend, env={})
    url = f"http://127.0.0.1:1/{uuid.uuid4().hex}"  # unique entry, never a real server
    token = "tok_os_" + uuid.uuid4().hex
    try:
        creds.set(url, token)
        assert creds.get(url) == token
        # read back through a fresh backend object: really stored in the daemon
        assert SecretService.Keyring().get_password(SERVICE, url) == token
        src = creds.source(url)
        assert src.startswith("keyring (") and "SecretService" in src and token not in src
    finally:
        creds.delete(url)
    assert creds.get(url) is None
