"""End-of-shift hand-off report from the local store."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from critresp.domain.clock import FixedClock
from critresp.domain.mutations import AddNote, Claim, SendReply
from critresp.domain.records import AssociateRecord, CasePartyRecord, CaseRecord, Dataset, PartyRecord
from critresp.domain.state import Actor
from critresp.domain.taxonomy import CaseStatus, Channel, Involvement, PartyRole, Tier
from critresp.handoff import build_handoff, write_handoff
from critresp.store import Store

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
ME = Actor("A-1", "Ana Lopez")


def _store(path: Path) -> Store:
    clock = FixedClock(NOW)
    store = Store.open(path / "critresp.db", clock=clock)
    parties = [
        PartyRecord(id=f"P-{i}", role=PartyRole.CUSTOMER if i % 2 else PartyRole.SHOPPER, first_name="Pat",
                    last_name=f"Doe{i}", email=f"p{i}@example.com", phone="+15550100", address="1 Main St, Town",
                    created_at=NOW - timedelta(days=30))
        for i in range(4)
    ]
    cases = [
        CaseRecord(id=f"CR-{i}", tier=Tier(i % 4), category="rude_tone", status=CaseStatus.NEW,
                   title=f"Case {i} \x1b[2J[bold]x[/]", created_at=NOW - timedelta(hours=i + 1),
                   updated_at=NOW - timedelta(hours=i + 1))
        for i in range(4)
    ]
    links = [CasePartyRecord(case_id=f"CR-{i}", party_id=f"P-{i}", involvement=Involvement.SUBJECT) for i in range(4)]
    store.import_dataset(Dataset(associates=(AssociateRecord(id=ME.id, name=ME.name),), parties=tuple(parties),
                                 cases=tuple(cases), case_parties=tuple(links)))
    store.set_identity(ME)
    assert store.apply(ME, Claim(case_id="CR-1")).ok
    assert store.apply(ME, Claim(case_id="CR-2")).ok
    assert store.apply(ME, AddNote(case_id="CR-1", body="Promised the reporter a call back by 9am")).ok
    assert store.apply(ME, SendReply(case_id="CR-2", channel=Channel.EMAIL, recipient_party_id="P-2",
                                     subject="Update", body="We are looking into it.")).ok
    return store


def test_handoff_lists_my_cases_followups_and_notes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        report = build_handoff(store, ME, FixedClock(NOW), shift_hours=12)
    finally:
        store.close()
    assert {c.id for c in report.my_open_cases} == {"CR-1", "CR-2"}
    assert [c.id for c in report.awaiting_reply] == ["CR-2"]
    assert [n.case_id for n in report.my_notes_this_shift] == ["CR-1"]
    assert "call back" in report.my_notes_this_shift[0].text
    assert report.outbox_pending == 4
    out = io.StringIO()
    write_handoff(report, "text", out)
    text = out.getvalue()
    assert "## Open cases I hold (2)" in text and "CR-2" in text
    assert "\x1b" not in text  # untrusted titles are cleaned for the terminal
    data = json.loads(_json(report))
    assert data["outbox_pending"] == 4


def _json(report) -> str:
    out = io.StringIO()
    write_handoff(report, "json", out)
    return out.getvalue()


def test_handoff_command_writes_a_private_file(tmp_path: Path, critresp_bin: Path) -> None:
    _store(tmp_path / "data").close()
    target = tmp_path / "handoff.md"
    res = subprocess.run(
        [str(critresp_bin), "handoff", "-o", str(target)],
        env={**os.environ, "CRITRESP_DATA_DIR": str(tmp_path / "data")}, capture_output=True, text=True, timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Shift hand-off: Ana Lopez" in target.read_text()
