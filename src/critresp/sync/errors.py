"""Typed, one-line sync errors.

Every message here is safe to show and to log: none of them ever contains the
API token (errors are built from status codes, problem+json details and
exception class names, never from request headers).
"""

from __future__ import annotations


class SyncError(Exception):
    """Base class. ``str(exc)`` is one line meant for the associate."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)


class OfflineError(SyncError):
    """The server could not be reached (network error or timeout) after retries."""


class ServerError(SyncError):
    """The server kept answering 5xx / 429 after retries."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(SyncError):
    """401: no token, or the server rejected it."""


class ForbiddenError(SyncError):
    """403: the token is fine but the role does not allow this call."""


class RequestError(SyncError):
    """A 4xx answer (validation error, not found, ...). Never retried.

    ``detail`` is the problem+json ``detail`` (or FastAPI's ``detail``), as text.
    """

    def __init__(
        self, message: str, status: int, title: str | None = None, detail: str | None = None,
        type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type  # problem+json "type" URI, e.g. urn:critresp:problem:cursor-reset

    @property
    def is_cursor_reset(self) -> bool:
        return self.status == 409 and bool(self.type) and self.type.endswith("cursor-reset")


class ProtocolError(SyncError):
    """The server answered something that is not valid JSON or not the expected shape."""


class CredentialError(SyncError):
    """The OS keyring failed."""


class NoKeyringError(CredentialError):
    """No usable keyring backend (and no CRITRESP_TOKEN)."""
