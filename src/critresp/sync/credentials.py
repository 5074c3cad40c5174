"""Where the API token lives: the OS keyring, or the ``CRITRESP_TOKEN`` env var.

- keyring entry: service ``"critresp"``, username = the server URL;
- ``CRITRESP_TOKEN`` wins over the keyring (for CI and headless boxes);
- with no usable keyring backend we raise ``NoKeyringError`` with a one-line
  hint; there is never a silent plaintext fallback;
- nothing here ever returns the token in a message: ``source()`` names where it
  comes from, never its value.
"""

from __future__ import annotations

import os
from typing import Callable, Mapping

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from .errors import CredentialError, NoKeyringError

SERVICE = "critresp"
ENV_VAR = "CRITRESP_TOKEN"

NO_BACKEND_HINT = (
    f"No usable OS keyring to store the API token: set {ENV_VAR} in the environment, "
    "or install and unlock a Secret Service keyring (gnome-keyring / KWallet; "
    "pip install secretstorage), or configure keyrings.alt if you accept plaintext-file risk."
)


def normalize_server_url(url: str) -> str:
    return url.strip().rstrip("/")


def _is_unusable(backend: KeyringBackend) -> bool:
    """Backends that cannot hold a secret: fail, null, or a chainer with nothing to chain."""
    try:
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover
        return False
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return True
    if isinstance(backend, chainer.ChainerBackend):
        try:
            chained = list(backend.backends)
        except Exception:
            return True
        return not any(not _is_unusable(b) for b in chained)
    return False


def backend_name(backend: KeyringBackend) -> str:
    try:
        name = backend.name
    except Exception:
        name = type(backend).__name__
    return " ".join(str(name).split()) or type(backend).__name__


class CredentialStore:
    """Token storage per server URL.

    ``backend``: a keyring backend instance (tests inject an in-memory one);
    default is ``keyring.get_keyring()``, resolved lazily on first use.
    ``env``: the environment mapping (default ``os.environ``).
    """

    def __init__(self, backend: KeyringBackend | None = None, env: Mapping[str, str] | None = None) -> None:
        self._backend = backend
        self._env = env if env is not None else os.environ

    def __repr__(self) -> str:
        return "<CredentialStore>"

    # --- backend -----------------------------------------------------------
    def backend(self) -> KeyringBackend:
        """The usable keyring backend, or NoKeyringError."""
        if self._backend is None:
            try:
                self._backend = keyring.get_keyring()
            except Exception:
                raise NoKeyringError(NO_BACKEND_HINT) from None
        if _is_unusable(self._backend):
            raise NoKeyringError(NO_BACKEND_HINT)
        return self._backend

    def has_backend(self) -> bool:
        try:
            self.backend()
        except NoKeyringError:
            return False
        return True

    def env_token(self) -> str | None:
        value = self._env.get(ENV_VAR)
        if value is None:
            return None
        value = value.strip()
        return value or None

    # --- token -------------------------------------------------------------
    def get(self, server_url: str) -> str | None:
        """The token for ``server_url``: env first, then the keyring; None if none stored.

        Raises NoKeyringError when there is no env token and no usable backend.
        """
        env = self.env_token()
        if env:
            return env
        backend = self.backend()
        try:
            value = backend.get_password(SERVICE, normalize_server_url(server_url))
        except keyring.errors.KeyringLocked:
            raise NoKeyringError(
                f"The OS keyring is locked: unlock it (e.g. log in to the desktop session) or set {ENV_VAR}"
            ) from None
        except keyring.errors.KeyringError as exc:
            raise NoKeyringError(
                f"The OS keyring failed ({type(exc).__name__}): " + NO_BACKEND_HINT
            ) from None
        except Exception as exc:  # e.g. dbus errors from secretstorage
            raise NoKeyringError(
                f"The OS keyring failed ({type(exc).__name__}): " + NO_BACKEND_HINT
            ) from None
        return value or None

    def set(self, server_url: str, token: str) -> None:
        backend = self.backend()
        try:
            backend.set_password(SERVICE, normalize_server_url(server_url), token)
        except keyring.errors.KeyringLocked:
            raise NoKeyringError(
                f"The OS keyring is locked: unlock it or set {ENV_VAR}"
            ) from None
        except Exception as exc:
            raise NoKeyringError(
                f"Could not store the token in the OS keyring ({type(exc).__name__}): " + NO_BACKEND_HINT
            ) from None

    def delete(self, server_url: str) -> bool:
        """Remove the stored token; False when there was none."""
        backend = self.backend()
        try:
            backend.delete_password(SERVICE, normalize_server_url(server_url))
        except keyring.errors.PasswordDeleteError:
            return False
        except Exception as exc:
            raise CredentialError(
                f"Could not remove the token from the OS keyring ({type(exc).__name__})"
            ) from None
        return True

    def source(self, server_url: str) -> str:
        """"env", "keyring (<backend name>)" or "none". Never the value."""
        if self.env_token():
            return "env"
        try:
            backend = self.backend()
            value = backend.get_password(SERVICE, normalize_server_url(server_url))
        except Exception:
            return "none"
        if value:
            return f"keyring ({backend_name(backend)})"
        return "none"

    def token_provider(self, server_url: str) -> Callable[[], str | None]:
        """A callable for ``ApiClient``: reads the token afresh on every request."""

        def provide() -> str | None:
            return self.get(server_url)

        return provide
