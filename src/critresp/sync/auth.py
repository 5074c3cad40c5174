"""Login / logout / status / one-shot sync, as called by the CLI.

None of these functions ever prints, returns or logs the token itself.
"""

from __future__ import annotations

from typing import Any, Callable

from ..domain.clock import Clock
from ..domain.state import Actor
from .client import ApiClient, TokenProvider
from .credentials import ENV_VAR, CredentialStore, normalize_server_url
from .engine import SyncEngine
from .errors import AuthError, CredentialError, SyncError

# Who the token belongs to (what GET /api/v1/me answers); what store.set_identity takes.
Identity = Actor

ClientFactory = Callable[[str, TokenProvider], ApiClient]

EXIT_OK = 0
EXIT_FAIL = 1  # offline, server error, bad payload
EXIT_AUTH = 1  # not logged in / token rejected / no keyring (one line says which)


def _default_factory(server_url: str, token_provider: TokenProvider) -> ApiClient:
    return ApiClient(server_url, token_provider)


def login(
    server_url: str,
    token: str,
    creds: CredentialStore,
    client_factory: ClientFactory | None = None,
) -> Identity:
    """Check ``token`` with GET /api/v1/me, then store it in the keyring.

    Raises AuthError (token rejected), OfflineError, NoKeyringError (nothing is
    stored), ... all SyncError subclasses with one-line messages.
    """
    url = normalize_server_url(server_url)
    token = (token or "").strip()
    if not token:
        raise AuthError("No token given: paste the token your lead created with `critresp admin create-token`")
    factory = client_factory or _default_factory
    client = factory(url, lambda: token)
    try:
        identity = client.me()
    finally:
        client.close()
    creds.set(url, token)
    return identity


def logout(server_url: str, creds: CredentialStore) -> str:
    """Remove the stored token; returns one line saying what happened."""
    url = normalize_server_url(server_url)
    lines = []
    try:
        removed = creds.delete(url)
    except CredentialError as exc:
        removed = False
        lines.append(str(exc))
    else:
        lines.append(f"Removed the token for {url} from the OS keyring." if removed
                     else f"No token for {url} in the OS keyring.")
    if creds.env_token():
        lines.append(f"{ENV_VAR} is still set in the environment: unset it to log out completely.")
    return " ".join(lines)


def auth_status(
    server_url: str | None,
    creds: CredentialStore,
    client_factory: ClientFactory | None = None,
    *,
    check: bool = False,
) -> list[str]:
    """Lines describing where the token comes from (never its value).

    With ``check=True`` (or a ``client_factory``) the token is also verified
    against GET /api/v1/me.
    """
    if not server_url:
        lines = ["server: none configured (run `critresp login --server URL`)"]
        if creds.env_token():
            lines.append(f"token: {ENV_VAR} is set in the environment")
        return lines
    url = normalize_server_url(server_url)
    lines = [f"server: {url}"]
    source = creds.source(url)
    if source == "env":
        lines.append(f"token: from the environment ({ENV_VAR})")
    elif source.startswith("keyring"):
        lines.append(f"token: stored in the OS {source}")
    else:
        lines.append("token: none: run `critresp login`")
        if not creds.has_backend():
            try:
                creds.backend()
            except CredentialError as exc:
                lines.append(f"keyring: {exc}")
        return lines
    if check or client_factory is not None:
        factory = client_factory or _default_factory
        client = factory(url, creds.token_provider(url))
        try:
            who = client.me()
            lines.append(f"identity: {who.name} ({who.role}, id {who.id})")
        except SyncError as exc:
            lines.append(f"identity: not verified: {exc}")
        finally:
            client.close()
    return lines


def sync_once(
    server_url: str,
    store: Any,
    creds: CredentialStore,
    clock: Clock,
    client_factory: ClientFactory | None = None,
) -> tuple[int, str]:
    """One headless round (``critresp sync``): push the outbox, pull until caught up.

    Returns ``(exit_code, summary_line)``: 0 on success, 1 on any failure.
    """
    url = normalize_server_url(server_url)
    try:
        token = creds.get(url)
    except CredentialError as exc:
        return EXIT_AUTH, f"sync failed: {exc}"
    if not token:
        return EXIT_AUTH, f"sync failed: not logged in to {url}: run `critresp login --server {url}`"
    factory = client_factory or _default_factory
    client = factory(url, creds.token_provider(url))
    engine = SyncEngine(store, client, clock, server_url=url)
    try:
        report = engine.run_once()
    finally:
        engine.close()
    if not report.ok:
        done = f" (pushed {report.pushed}, pulled {report.pulled} before it failed)" if (
            report.pushed or report.pulled) else ""
        return EXIT_FAIL, f"sync failed: {report.error}{done}"
    parts = [f"pushed {report.pushed}", f"rejected {report.rejected}", f"pulled {report.pulled} records"]
    if report.new_t0_case_ids:
        parts.append(f"{len(report.new_t0_case_ids)} new T0")
    line = "synced with " + url + ": " + ", ".join(parts)
    if report.notices:
        line += " | " + " | ".join(report.notices[:3])
        if len(report.notices) > 3:
            line += f" | (+{len(report.notices) - 3} more)"
    return EXIT_OK, line
