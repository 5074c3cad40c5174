"""Command line: `critresp` and its subcommands.

Imports of heavy modules (Textual, SQLAlchemy, FastAPI) are deferred into the
command functions so `--help` and `--version` are instant and a cold start
only pays for what it uses.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from . import __version__

log = logging.getLogger("critresp.cli")

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A one-line, user-facing error; exit code attached."""

    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="critresp",
        description=(
            "Keyboard-first console for Trust & Safety Critical Response. "
            "With no command, opens the console on your local store and syncs with the server."
        ),
        epilog="Configuration: $CRITRESP_CONFIG or the platform config dir (see `critresp config`).",
    )
    p.add_argument("--version", action="version", version=f"critresp {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("console", help="open the console (the default)", description="Open the console on the local store.")

    d = sub.add_parser(
        "demo",
        help="console on a throwaway store with demo data and an embedded server",
        description=(
            "Start the reference server embedded on 127.0.0.1 in demo mode (generated cases, new incidents "
            "arriving live) and open the console against it, in a throwaway data dir. Never touches your real store."
        ),
    )
    d.add_argument("--cases", type=_positive_int, default=2000, help="number of demo cases (default 2000)")
    d.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default 7)")
    d.add_argument(
        "--rate", type=_rate, default=3.0, help="new incidents per minute from the demo server (default 3; 0 = none)"
    )
    d.add_argument("--lead", action="store_true", help="work as the demo lead (can approve L4/L5)")
    d.add_argument("--offline", action="store_true", help="no embedded server: local store only")
    d.add_argument("--keep", action="store_true", help="keep the throwaway data dir and print its path")

    e = sub.add_parser("export", help="export cases as CSV or JSON", description="Export cases for spreadsheets.")
    e.add_argument("--format", choices=("csv", "json"), required=True)
    e.add_argument("--output", "-o", type=Path, help="file to write (created 0600); default: standard output")
    e.add_argument("--all", action="store_true", help="include resolved cases (default: open cases only)")
    e.add_argument("--mine", action="store_true", help="only cases assigned to me")

    h = sub.add_parser(
        "handoff",
        help="end-of-shift hand-off report",
        description=(
            "End-of-shift hand-off: open cases I hold with their next SLA deadline, cases waiting for a "
            "lead's approval, replies I am waiting on, my notes this shift, unread sync notices, unsent actions."
        ),
    )
    h.add_argument("--format", choices=("text", "json"), default="text")
    h.add_argument("--output", "-o", type=Path, help="file to write (created 0600); default: standard output")
    h.add_argument("--hours", type=float, default=12.0, help="length of the shift for the notes section (default 12)")

    lg = sub.add_parser(
        "login",
        help="store an API token in the OS keyring",
        description=(
            "Check a token against the server and store it in the OS keyring. The token is read from a "
            "prompt (or standard input when piped), never from the command line."
        ),
    )
    lg.add_argument("--server", required=True, help="server base URL, e.g. https://critresp.example.internal")

    sub.add_parser("logout", help="remove the stored token", description="Remove the token from the OS keyring.")

    a = sub.add_parser("auth", help="authentication status", description="Authentication commands.")
    asub = a.add_subparsers(dest="auth_command", metavar="SUBCOMMAND")
    asub.add_parser("status", help="where the token comes from (never its value)")

    sub.add_parser(
        "sync", help="one headless sync round", description="Push the outbox and pull changes once; exit 1 on failure."
    )

    s = sub.add_parser("serve", help="run the reference API server", description="Run the reference sync API server.")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--db-url", help="SQLAlchemy URL (default: sqlite file in the data dir); postgresql+psycopg://...")
    s.add_argument("--demo", action="store_true", help="seed demo data and keep generating incidents")
    s.add_argument("--cases", type=_positive_int, default=2000, help="demo cases to seed (with --demo)")
    s.add_argument("--rate", type=_rate, default=3.0, help="new incidents per minute (with --demo)")

    ad = sub.add_parser("admin", help="server administration", description="Server administration.")
    adsub = ad.add_subparsers(dest="admin_command", metavar="SUBCOMMAND")
    ct = adsub.add_parser(
        "create-token", help="create an API token (printed once; only its hash is stored)"
    )
    ct.add_argument("--db-url", help="server database URL (default: the serve default)")
    ct.add_argument("--id", required=True, dest="associate_id", help="associate id, e.g. A-001")
    ct.add_argument("--name", required=True, help="display name")
    ct.add_argument("--role", choices=("associate", "lead"), default="associate")

    c = sub.add_parser("config", help="show the config file path and an example", description="Configuration help.")
    c.add_argument("--example", action="store_true", help="print an example config file")
    return p


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= v <= 6000:
        raise argparse.ArgumentTypeError("must be between 0 and 6000 per minute")
    return v


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return v


# --------------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(args, parser)
    except CliError as exc:
        _err(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback
        known = _known_error(exc)
        if known is not None:
            _err(known)
            return EXIT_FAIL
        log.exception("unexpected error")
        _err(f"unexpected error ({type(exc).__name__}); details are in the log file in your data dir")
        return EXIT_FAIL


def _err(msg: str) -> None:
    print(f"critresp: {msg}", file=sys.stderr)


def _known_error(exc: BaseException) -> str | None:
    """Map our typed errors to their one-line messages."""
    from .config import ConfigError

    if isinstance(exc, ConfigError):
        return str(exc)
    try:
        from .store import StoreError
    except ImportError:  # pragma: no cover
        StoreError = ()  # type: ignore[assignment]
    if StoreError and isinstance(exc, StoreError):
        return str(exc)
    try:
        from .sync.errors import SyncError
    except ImportError:  # pragma: no cover
        SyncError = ()  # type: ignore[assignment]
    if SyncError and isinstance(exc, SyncError):
        return str(exc)
    return None


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    cmd = args.command or "console"
    if cmd == "config":
        return cmd_config(args)
    settings = _settings()
    from .logsetup import setup_logging

    setup_logging(settings.log_path, settings.log_level)
    if cmd == "console":
        return cmd_console(settings)
    if cmd == "demo":
        from .demo_cmd import run_demo

        return run_demo(settings, args)
    if cmd == "export":
        return cmd_export(settings, args)
    if cmd == "handoff":
        return cmd_handoff(settings, args)
    if cmd == "login":
        return cmd_login(settings, args)
    if cmd == "logout":
        return cmd_logout(settings)
    if cmd == "auth":
        if args.auth_command != "status":
            parser.parse_args(["auth", "--help"])
        return cmd_auth_status(settings)
    if cmd == "sync":
        return cmd_sync(settings)
    if cmd == "serve":
        return cmd_serve(settings, args)
    if cmd == "admin":
        if args.admin_command != "create-token":
            parser.parse_args(["admin", "--help"])
        return cmd_create_token(settings, args)
    parser.error(f"unknown command {cmd}")
    return EXIT_USAGE


def _settings():
    from .config import load_settings

    return load_settings()


# --------------------------------------------------------------------------- commands


def cmd_config(args: argparse.Namespace) -> int:
    from .config import EXAMPLE_CONFIG, config_path

    if args.example:
        print(EXAMPLE_CONFIG, end="")
    else:
        path = config_path()
        state = "exists" if path.exists() else "not created yet"
        print(f"{path} ({state})")
    return EXIT_OK


def _open_store(settings, clock):
    from .paths import ensure_private_dir
    from .store import Store

    ensure_private_dir(settings.data_dir)

    def upgrading(number: int, what: str) -> None:
        print(f"critresp: upgrading the local store (step {number}: {what}); one-time, can take a minute on a "
              "large store...", file=sys.stderr, flush=True)

    return Store.open(settings.db_path, clock=clock, on_migrate=upgrading)


def _credentials():
    from .sync.credentials import CredentialStore

    return CredentialStore()


def _server_url(settings) -> str | None:
    return settings.server_url


def cmd_console(settings) -> int:
    from .domain.clock import SystemClock
    from .store.quick import open_for_console

    clock = SystemClock()
    # first paint from stdlib sqlite3; the full store opens in the background (store.quick)
    store = open_for_console(settings.db_path, lambda: _open_store(settings, clock))
    try:
        actor = store.identity() or settings.associate.actor()
        sync = None
        offline_reason = None
        url = _server_url(settings)
        if url:
            from .sync.credentials import NoKeyringError

            try:
                token = _credentials().get(url)
            except NoKeyringError as exc:
                token, offline_reason = None, str(exc)
            if token:
                from .sync.client import ApiClient
                from .sync.engine import SyncEngine

                client = ApiClient(url, lambda: token)
                sync = SyncEngine(store, client, clock)
            else:
                offline_reason = offline_reason or f"not logged in to {url}: run `critresp login --server {url}`"
        else:
            offline_reason = "no server configured: working on the local store (run `critresp login --server URL`)"
        if offline_reason:
            log.info("console offline: %s", offline_reason)
        return _run_app(settings, store=store, clock=clock, actor=actor, sync=sync, notice=offline_reason)
    finally:
        store.close()


def _run_app(settings, *, store, clock, actor, sync, notice=None, title_suffix="", views_path=None) -> int:
    from .app import CritrespApp

    app = CritrespApp(
        store=store,
        clock=clock,
        actor=actor,
        sync=sync,
        keymap=settings.keymap,
        theme=settings.theme,
        title_suffix=title_suffix,
        t0_bell=settings.t0_bell,
        views_path=views_path or (settings.data_dir / "views.json"),
        startup_notice=notice,
        page_size=settings.queue_page_size,
        sync_interval=settings.sync_interval,
        long_poll_seconds=settings.long_poll_seconds,
        freeze_heap=True,
    )
    from .tty_watch import watch_terminal

    def request_exit() -> None:  # from the watch's thread, without waiting for the app
        loop = app._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(app.exit, None, 129)

    try:
        watch = watch_terminal(sys.__stdin__.fileno(), request_exit=request_exit)  # the terminal Textual reads
    except (AttributeError, ValueError, OSError):  # no stdin, or a closed one
        watch = None
    try:
        app.run()
    finally:
        if watch is not None:
            watch.set()
        if sync is not None:
            sync.close()
    if app.fatal_error:
        _err(app.fatal_error)
        return EXIT_FAIL
    return app.return_code or EXIT_OK


def cmd_export(settings, args: argparse.Namespace) -> int:
    from .domain.clock import SystemClock
    from .paths import open_private
    from .store.views import QueueQuery, Scope

    clock = SystemClock()
    store = _open_store(settings, clock)
    try:
        me = (store.identity() or settings.associate.actor()).id
        query = QueueQuery(
            include_resolved=args.all,
            scope=Scope.MINE if args.mine else Scope.ALL,
            me=me,
        )
        if args.output:
            with open_private(args.output, "w", newline="" if args.format == "csv" else None) as fh:
                n = store.export_cases(args.format, fh, query)
            print(f"exported {n} cases to {args.output}", file=sys.stderr)
        else:
            n = store.export_cases(args.format, sys.stdout, query)
        return EXIT_OK
    finally:
        store.close()


def cmd_handoff(settings, args: argparse.Namespace) -> int:
    from .domain.clock import SystemClock
    from .handoff import build_handoff, write_handoff
    from .paths import open_private

    clock = SystemClock()
    store = _open_store(settings, clock)
    try:
        actor = store.identity() or settings.associate.actor()
        report = build_handoff(store, actor, clock, shift_hours=args.hours)
    finally:
        store.close()
    if args.output:
        with open_private(args.output, "w") as fh:
            write_handoff(report, args.format, fh)
        print(f"hand-off report written to {args.output}", file=sys.stderr)
    else:
        write_handoff(report, args.format, sys.stdout)
    return EXIT_OK


def _read_token() -> str:
    import getpass

    if sys.stdin.isatty():
        token = getpass.getpass("API token (input hidden): ")
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError("no token given: paste the token your lead created with `critresp admin create-token`")
    return token


def cmd_login(settings, args: argparse.Namespace) -> int:
    from .sync import auth
    from .domain.clock import SystemClock

    url = args.server.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise CliError("--server must start with http:// or https://", EXIT_USAGE)
    token = _read_token()
    creds = _credentials()
    identity = auth.login(url, token, creds)
    # remember the server and the identity for the console
    _remember_server(settings, url)
    store = _open_store(settings, SystemClock())
    try:
        store.set_identity(identity)
        store.set_sync_state(online=True, server_url=url)
    finally:
        store.close()
    print(f"Logged in to {url} as {identity.name} ({identity.role}); token stored in {creds.source(url)}.")
    return EXIT_OK


def _remember_server(settings, url: str) -> None:
    """Write server_url into the config file if it is not set there already."""
    from .config import config_path
    from .paths import ensure_private_dir, open_private

    path = config_path()
    if settings.server_url == url:
        return
    if os.environ.get("CRITRESP_SERVER_URL"):
        return
    ensure_private_dir(path.parent)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = [ln for ln in text.splitlines() if not ln.strip().startswith("server_url")]
    # top-level keys must come before any [table]
    out = [f'server_url = "{url}"'] + lines
    with open_private(path, "w") as fh:
        fh.write("\n".join(out) + "\n")


def cmd_logout(settings) -> int:
    from .sync import auth

    url = settings.server_url
    if not url:
        raise CliError("no server configured; nothing to log out of")
    msg = auth.logout(url, _credentials())
    print(msg)
    return EXIT_OK


def cmd_auth_status(settings) -> int:
    from .sync import auth

    url = settings.server_url
    for line in auth.auth_status(url, _credentials()):
        print(line)
    return EXIT_OK


def cmd_sync(settings) -> int:
    from .domain.clock import SystemClock
    from .sync import auth

    url = settings.server_url
    if not url:
        raise CliError("no server configured: run `critresp login --server URL` first")
    clock = SystemClock()
    store = _open_store(settings, clock)
    try:
        code, summary = auth.sync_once(url, store, _credentials(), clock)
    finally:
        store.close()
    print(summary, file=sys.stdout if code == 0 else sys.stderr)
    return code


def _server_settings(settings, args, *, demo: bool = False):
    from .paths import ensure_private_dir
    from .server.settings import ServerSettings

    sdir = ensure_private_dir(settings.data_dir / "server")
    return ServerSettings(
        data_dir=sdir,
        database_url=getattr(args, "db_url", None) or None,
        demo=demo,
        demo_cases=getattr(args, "cases", 0) if demo else 0,
        incident_rate=getattr(args, "rate", 0.0) if demo else 0.0,
    )


def cmd_serve(settings, args: argparse.Namespace) -> int:
    from .server.runner import run_server

    ss = _server_settings(settings, args, demo=args.demo)
    ss.ensure_dirs()
    print(f"critresp reference server on http://{args.host}:{args.port} (OpenAPI at /openapi.json)", file=sys.stderr)
    run_server(ss, host=args.host, port=args.port)
    return EXIT_OK


def cmd_create_token(settings, args: argparse.Namespace) -> int:
    from .server.admin import create_token

    ss = _server_settings(settings, args)
    ss.ensure_dirs()
    token = create_token(ss.db_url, args.associate_id, args.name, args.role, out=None)
    print(token)
    print(
        f"Token for {args.name} ({args.role}) created. It is shown only this once; only its hash is stored.",
        file=sys.stderr,
    )
    return EXIT_OK
