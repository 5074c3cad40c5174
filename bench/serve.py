"""The reference server for the sync benchmark, in its own process.

    python -m bench.serve DATA_DIR

Starts ``critresp.server.runner.ServerThread`` (uvicorn on 127.0.0.1, any free
port) on an already seeded data directory, prints ``{"url": ...}`` on one line,
and serves until stdin is closed. A separate process, as in production: the
client's sync engine and the server do not share one interpreter lock.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from critresp.server import ServerSettings, ServerThread

    settings = ServerSettings(data_dir=Path(argv[0]), delivery_worker=False, demo=False)
    srv = ServerThread(settings).start()
    try:
        print(json.dumps({"url": srv.url}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
