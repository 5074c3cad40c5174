"""`critresp demo`: the console on a throwaway store, against an embedded server.

The reference server starts on 127.0.0.1 (any free port) in demo mode, seeded
with generated cases and creating new incidents at ``--rate`` per minute. A
token for the demo associate is created in memory and handed to the sync
client directly (never written to disk, the keyring or argv). Everything lives
in a fresh 0700 temp dir that is deleted on exit unless ``--keep``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("critresp.demo")


def run_demo(settings, args: argparse.Namespace) -> int:
    from .cli import _run_app
    from .demo.generator import demo_associates
    from .domain.clock import SystemClock
    from .domain.state import Actor
    from .paths import ensure_private_dir
    from .store import Store

    root = Path(tempfile.mkdtemp(prefix="critresp-demo-"))  # created 0700
    clock = SystemClock()
    team = demo_associates()
    me = next(a for a in team if (a.role.value == "lead") == bool(args.lead))
    actor = Actor(id=me.id, name=me.name, role=me.role)
    server = None
    store = None
    sync = None
    try:
        store = Store.open(ensure_private_dir(root / "client") / "critresp.db", clock=clock)
        store.set_identity(actor)
        if args.offline:
            _fill_locally(store, args, clock)
            notice = "Offline demo: local store only, no server."
        else:
            print(
                f"critresp demo: starting the embedded server with {args.cases} cases...", file=sys.stderr, flush=True
            )
            server, token = _start_server(root, args)
            from .sync.client import ApiClient
            from .sync.engine import SyncEngine

            store.set_sync_state(online=False, server_url=server.url)
            client = ApiClient(server.url, lambda: token)
            sync = SyncEngine(store, client, clock)
            notice = f"Demo server at {server.url}: {args.rate:g} new incidents per minute."
        return _run_app(
            settings,
            store=store,
            clock=clock,
            actor=actor,
            sync=sync,
            notice=notice,
            title_suffix="DEMO",
            views_path=root / "views.json",
        )
    finally:
        if store is not None:
            store.close()
        if server is not None:
            server.stop()
        if args.keep:
            print(f"critresp demo: data kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


def _fill_locally(store, args, clock) -> None:
    from .demo.generator import generate

    for chunk in generate(args.cases, seed=args.seed, now=clock.now()):
        store.import_dataset(chunk)


def _start_server(root: Path, args):
    from .demo.generator import demo_associates
    from .paths import ensure_private_dir
    from .server.admin import create_token
    from .server.runner import ServerThread
    from .server.settings import ServerSettings

    ss = ServerSettings(
        data_dir=ensure_private_dir(root / "server"),
        demo=True,
        demo_cases=args.cases,
        demo_seed=args.seed,
        incident_rate=args.rate,
    )
    server = ServerThread(ss, log_level="error").start(timeout=600)
    me = next(a for a in demo_associates() if (a.role.value == "lead") == bool(args.lead))
    token = create_token(ss.db_url, me.id, me.name, me.role, out=None)
    return server, token
