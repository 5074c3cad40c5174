"""Mutation + outbox atomicity under SIGKILL."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from critresp.domain.clock import FixedClock
from critresp.store import Store
from critresp.store.migrations import CASE_DOC_TEXT

from store_data import T0, simple_dataset

WRITER = Path(__file__).with_name("crash_writer.py")


def test_killed_writer_never_loses_or_half_writes_a_mutation(tmp_path: Path) -> None:
    path = tmp_path / "data" / "store.db"
    s = Store.open(path, FixedClock(T0))
    s.import_dataset(simple_dataset(20))
    s.close()

    acknowledged: set[str] = set()
    rnd = random.Random(1234)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(WRITER.parent), os.environ.get("PYTHONPATH", "")])}
    for round_ in range(5):
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(path), str(round_)], stdout=subprocess.PIPE, text=True, env=env
        )
        want = rnd.randint(1, 40)
        got = 0
        assert proc.stdout is not None
        while got < want:
            line = proc.stdout.readline()
            assert line, "writer died on its own"
            acknowledged.add(line.strip())
            got += 1
        os.kill(proc.pid, signal.SIGKILL)  # somewhere in the middle of the next apply
        proc.wait()
        proc.stdout.close()

        con = sqlite3.connect(path)
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            outbox = {r[0]: r[1] for r in con.execute("SELECT mutation_id, kind FROM outbox")}
            # everything acknowledged on screen is in the outbox ...
            assert acknowledged <= set(outbox)
            # ... and every outbox row has its effect: timeline events and an audit row
            with_events = {r[0] for r in con.execute("SELECT DISTINCT mutation_id FROM timeline WHERE mutation_id IS NOT NULL")}
            audited = {r[0] for r in con.execute("SELECT mutation_id FROM audit")}
            assert set(outbox) == with_events == audited
            # pending counters agree with the outbox
            bad = con.execute(
                "SELECT c.id FROM cases c WHERE c.pending != "
                "(SELECT count(*) FROM outbox o WHERE o.case_id = c.id AND o.state = 'pending')"
            ).fetchall()
            assert bad == []
            # every case's full-text document holds exactly its title, summary and timeline texts
            # (notes are searchable exactly when they exist)
            stale = con.execute(
                f"SELECT c.id FROM cases c LEFT JOIN case_doc d ON d.rowid = c.rowid WHERE d.text IS NOT ({CASE_DOC_TEXT})"
            ).fetchall()
            assert stale == []
            assert con.execute("SELECT count(*) FROM case_doc").fetchone()[0] == con.execute(
                "SELECT count(*) FROM cases").fetchone()[0]
        finally:
            con.close()
    assert len(acknowledged) >= 5
