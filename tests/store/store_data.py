"""Hand-built records for store tests (no dependency on the demo generator)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from critresp.domain import records as R
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
DANA = Actor("a-dana", "Dana Reyes")
SAM = Actor("a-sam", "Sam Ortiz")
LEAD = Actor("a-lee", "Lee Park", AssociateRole.LEAD)


def party(pid: str, role: str = "customer", *, phone: str | None = None, address: str | None = None,
          devices: Iterable[str] = (), payments: Iterable[str] = (), status: str = "active",
          version: int = 0, first: str = "Ann", last: str = "Lee") -> R.PartyRecord:
    n = sum(map(ord, pid))
    return R.PartyRecord(
        id=pid, role=role, first_name=first, last_name=last, email=f"{pid.lower()}@example.com",
        phone=phone or f"555-01{n % 100:02d}-{n % 10000:04d}", address=address or f"{n} Elm St, Springfield",
        account_status=status, created_at=T0 - timedelta(days=100), devices=tuple(devices),
        payment_fingerprints=tuple(payments), version=version,
    )


def case(cid: str, *, tier: int = 2, status: str = "new", created: datetime | None = None,
         updated: datetime | None = None, title: str | None = None, summary: str = "", category: str = "rude_tone",
         assignee: Actor | None = None, version: int = 0, **kw) -> R.CaseRecord:
    created = created or T0
    return R.CaseRecord(
        id=cid, tier=tier, category=category, status=status, title=title or f"Case {cid}", summary=summary,
        created_at=created, updated_at=updated or created,
        assignee_id=assignee.id if assignee else None, assignee_name=assignee.name if assignee else None,
        resolved_at=kw.pop("resolved_at", created + timedelta(hours=1) if status == "resolved" else None),
        resolution_code=kw.pop("resolution_code", "no_violation" if status == "resolved" else None),
        version=version, **kw,
    )


def link(cid: str, pid: str, involvement: str = "subject") -> R.CasePartyRecord:
    return R.CasePartyRecord(case_id=cid, party_id=pid, involvement=involvement)


def event(eid: str, cid: str, *, kind: str = "report", body: str | None = None, summary: str = "Report",
          at: datetime | None = None, version: int = 0) -> R.EventRecord:
    return R.EventRecord(id=eid, case_id=cid, at=at or T0, kind=kind, summary=summary, body=body, version=version)


def simple_dataset(n: int = 3) -> R.Dataset:
    """n cases, each with a reporter customer and a subject shopper."""
    cases, parties, links, events = [], [], [], []
    for i in range(n):
        cid = f"CR-{i:04d}"
        cases.append(case(cid, tier=i % 4, created=T0 + timedelta(minutes=i)))
        parties += [party(f"C{i}", "customer"), party(f"S{i}", "shopper")]
        links += [link(cid, f"C{i}", "reporter"), link(cid, f"S{i}", "subject")]
        events.append(event(f"E{i}", cid, body=f"report number {i}"))
    return R.Dataset(parties=tuple(parties), cases=tuple(cases), case_parties=tuple(links), events=tuple(events))


def assert_documents_current(store) -> None:  # type: ignore[no-untyped-def]
    """Every case has its search document, each is its source text, the open cases'
    marker (migration 5) is on exactly the open cases, and the open cases' index
    (migration 6) holds exactly their documents."""
    from critresp.store.migrations import CASE_DOC_TEXT
    from critresp.store.queue import OPEN_DOC_TOKEN

    with store.engine.connect() as conn:
        stale = conn.exec_driver_sql(
            f"SELECT c.id FROM cases c LEFT JOIN case_doc d ON d.rowid = c.rowid WHERE d.text IS NOT ({CASE_DOC_TEXT})"
        ).fetchall()
        marked = {r[0] for r in conn.exec_driver_sql(
            "SELECT c.id FROM cases c WHERE c.rowid IN (SELECT rowid FROM case_doc WHERE case_doc MATCH ?)",
            (f'"{OPEN_DOC_TOKEN}"',)).fetchall()}
        opened = {r[0] for r in conn.exec_driver_sql("SELECT id FROM cases WHERE is_open = 1").fetchall()}
        # the open cases' own index (migration 6): exactly the open cases, each a copy
        copies = {r[0] for r in conn.exec_driver_sql(
            "SELECT c.id FROM open_doc o JOIN case_doc d ON d.rowid = o.rowid JOIN cases c ON c.rowid = o.rowid "
            "WHERE o.text IS d.text").fetchall()}
        in_index = conn.exec_driver_sql("SELECT count(*) FROM open_doc").scalar()
    assert stale == [] and marked == opened
    assert copies == opened and in_index == len(opened)
