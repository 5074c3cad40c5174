"""apply(): effect + timeline + audit + outbox in one transaction; rejections write nothing."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import text

from critresp.domain import mutations as mu
from critresp.domain import records as R
from critresp.domain.taxonomy import CaseStatus, EnforcementLevel, EnforcementStatus, PiiField
from critresp.store import ActionRejected, Store, event_id

from store_data import DANA, LEAD, SAM, T0, assert_documents_current, case, event, link, party, simple_dataset


def _counts(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
            for t in ("outbox", "audit", "timeline", "enforcement", "case_doc")
        }


def test_claim_writes_effect_events_audit_and_outbox(store: Store, clock) -> None:
    store.import_dataset(simple_dataset(2))
    m = mu.Claim(case_id="CR-0000")
    res = store.apply(DANA, m)
    assert res.ok and res.mutation_id == m.mutation_id
    d = store.case_detail("CR-0000")
    assert d.assignee_id == DANA.id and d.status is CaseStatus.CLAIMED and d.pending == 1
    assert d.acknowledged_at == T0
    ev = [t for t in d.timeline if t.kind == "claimed"]
    assert len(ev) == 1 and ev[0].pending and ev[0].id == event_id(m.mutation_id, 0)
    out = store.outbox_pending()
    assert [o.mutation_id for o in out] == [m.mutation_id]
    assert out[0].mutation == m and out[0].actor == DANA
    with store.engine.connect() as conn:
        audit = conn.exec_driver_sql("SELECT actor_id, action, case_id, mutation_id FROM audit").fetchall()
    assert audit == [(DANA.id, "claim", "CR-0000", str(m.mutation_id))]
    row = store.queue_page(__import__("critresp.store.views", fromlist=["QueueQuery"]).QueueQuery()).rows
    assert {r.id: r.pending for r in row}["CR-0000"] == 1
    assert store.sync_status().pending == 1


def test_rejection_writes_nothing(store: Store) -> None:
    store.import_dataset(simple_dataset(1))
    assert store.apply(DANA, mu.Claim(case_id="CR-0000")).ok
    before = _counts(store)
    res = store.apply(SAM, mu.Claim(case_id="CR-0000"))
    assert not res.ok and res.code == "already_claimed" and "Dana" in res.message
    assert _counts(store) == before
    assert store.case_detail("CR-0000").assignee_id == DANA.id


def test_unknown_case_is_not_found(store: Store) -> None:
    res = store.apply(DANA, mu.Claim(case_id="nope"))
    assert not res.ok and res.code == "not_found"


def test_same_mutation_twice_is_recorded_once(store: Store) -> None:
    store.import_dataset(simple_dataset(1))
    m = mu.AddNote(case_id="CR-0000", body="once")
    assert store.apply(DANA, m).ok
    assert store.apply(DANA, m).ok
    assert _counts(store)["outbox"] == 1
    assert [t.body for t in store.case_detail("CR-0000").timeline].count("once") == 1


def test_enforcement_is_pending_and_does_not_touch_account_status(store: Store) -> None:
    store.import_dataset(simple_dataset(1))
    m = mu.ProposeEnforcement(case_id="CR-0000", party_id="S0", level=EnforcementLevel.L3, rule="R-7", reason="threats")
    assert store.apply(DANA, m).ok
    d = store.case_detail("CR-0000")
    (e,) = d.enforcements
    assert e.id == m.enforcement_id and e.status is EnforcementStatus.ACTIVE and e.pending
    assert e.requested_by_name == DANA.name
    shopper = [p for p in d.parties if p.id == "S0"][0]
    assert shopper.account_status == "active"  # only pulled server data changes it


def test_l4_needs_a_lead_and_decision_updates_the_row(store: Store) -> None:
    store.import_dataset(simple_dataset(1))
    m = mu.ProposeEnforcement(case_id="CR-0000", party_id="S0", level=EnforcementLevel.L4, rule="R-1", reason="x")
    assert store.apply(DANA, m).ok
    assert store.case_detail("CR-0000").status is CaseStatus.PENDING_APPROVAL
    assert not store.apply(DANA, mu.DecideEnforcement(case_id="CR-0000", enforcement_id=m.enforcement_id, approve=True)).ok
    assert store.apply(LEAD, mu.DecideEnforcement(case_id="CR-0000", enforcement_id=m.enforcement_id, approve=True)).ok
    (e,) = store.case_detail("CR-0000").enforcements
    assert e.status is EnforcementStatus.ACTIVE and e.decided_by_name == LEAD.name


def test_reveal_pii_is_audited_and_outboxed(store: Store) -> None:
    store.import_dataset(R.Dataset(parties=(party("C1", phone="555-0100-4242"),), cases=(case("A"),), case_parties=(link("A", "C1", "reporter"),)))
    d = store.case_detail("A")
    assert "4242" not in d.parties[0].phone_masked[:-2] and d.parties[0].phone_masked.endswith("42")
    assert store.reveal_pii(SAM, "A", "C1", PiiField.PHONE) == "555-0100-4242"
    assert store.reveal_pii(SAM, "A", "C1", "full_name") == "Ann Lee"
    with store.engine.connect() as conn:
        audit = conn.exec_driver_sql("SELECT actor_id, action, detail FROM audit ORDER BY id").fetchall()
        outbox = conn.exec_driver_sql("SELECT kind, payload FROM outbox ORDER BY seq").fetchall()
    assert [(a[0], a[1]) for a in audit] == [(SAM.id, "reveal_pii")] * 2
    assert "phone" in audit[0][2]
    assert [o[0] for o in outbox] == ["reveal_pii"] * 2
    assert json.loads(outbox[0][1])["field"] == "phone"
    # a reveal does not claim the case nor move it in the "updated" order
    d2 = store.case_detail("A")
    assert d2.assignee_id is None and d2.updated_at == d.updated_at


def test_reveal_of_a_party_not_on_the_case_is_refused_and_not_audited(store: Store) -> None:
    store.import_dataset(R.Dataset(parties=(party("C1"), party("X9")), cases=(case("A"),), case_parties=(link("A", "C1"),)))
    with pytest.raises(ActionRejected):
        store.reveal_pii(SAM, "A", "X9", "email")
    assert _counts(store)["audit"] == 0 and _counts(store)["outbox"] == 0


def test_resolve_moves_case_out_of_open_queue(store: Store) -> None:
    from critresp.store.views import QueueQuery

    store.import_dataset(simple_dataset(2))
    assert store.apply(DANA, mu.Resolve(case_id="CR-0001", code="no_violation")).ok
    ids = [r.id for r in store.queue_page(QueueQuery()).rows]
    assert ids == ["CR-0000"]
    rows = store.queue_page(QueueQuery(include_resolved=True)).rows
    assert [r.id for r in rows][-1] == "CR-0001" and rows[-1].due_at is None


def test_notes_are_searchable_right_away(store: Store) -> None:
    from critresp.store.views import QueueQuery

    store.import_dataset(simple_dataset(3))
    assert store.queue_count(QueueQuery(search="zebracrossing")) == 0
    store.apply(DANA, mu.AddNote(case_id="CR-0002", body="customer mentioned zebracrossing"))
    assert [r.id for r in store.queue_page(QueueQuery(search="zebracross")).rows] == ["CR-0002"]


def test_concurrent_writers_and_readers_from_threads(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from critresp.store.views import QueueQuery

    store.import_dataset(simple_dataset(8))

    def work(i: int) -> bool:
        cid = f"CR-{i % 8:04d}"
        ok = store.apply(DANA, mu.AddNote(case_id=cid, body=f"note {i}")).ok
        store.queue_page(QueueQuery(), limit=5)
        store.case_detail(cid)
        return ok

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(60)))
    assert all(results)
    assert store.sync_status().pending == 60
    assert sum(r.pending for r in store.queue_page(QueueQuery()).rows) == 60


def test_case_documents_follow_pulls_local_notes_and_rejections(store: Store) -> None:
    """The per-case full-text document is rebuilt by every write that changes its text."""
    from critresp.store.api import PushResult
    from critresp.store.migrations import CASE_DOC_TEXT
    from critresp.store.views import QueueQuery

    def hits(q: str) -> list[str]:
        return [r.id for r in store.queue_page(QueueQuery(search=q + " ", include_resolved=True)).rows]

    data = simple_dataset(3)
    store.import_dataset(data)
    # words from different events of one case: a case matches when it has all of them
    store.import_dataset(R.Dataset(events=(
        event("E-1", "CR-0001", body="shopper left the groceries at the curb"),
        event("E-2", "CR-0001", body="customer called about melted icecream"),
    )))
    assert hits("curb icecream") == ["CR-0001"]
    # a pulled title change replaces the old words
    old = next(c for c in data.cases if c.id == "CR-0002")
    assert hits("Case CR 0002") == ["CR-0002"]
    store.apply_pull(R.Dataset(cases=(old.model_copy(update={"title": "Pallet of watermelons", "version": 5}),)), "c1")
    assert hits("watermelons") == ["CR-0002"]
    assert hits("Case CR 0002") == []
    # a local note is searchable at once; refused by the server, it is gone from the case and the index
    store.apply(DANA, mu.AddNote(case_id="CR-0000", body="kiwifruit complaint"))
    assert hits("kiwifruit") == ["CR-0000"]
    entry = store.outbox_pending()[0]
    store.record_push_results([PushResult(seq=entry.seq, mutation_id=entry.mutation.mutation_id, status="rejected",
                                          code="conflict", message="no")])
    store.apply_pull(R.Dataset(), "c2")
    assert all(e.body != "kiwifruit complaint" for e in store.case_detail("CR-0000").timeline)
    assert hits("kiwifruit") == []
    with store.engine.connect() as conn:
        stale = conn.exec_driver_sql(
            f"SELECT c.id FROM cases c LEFT JOIN case_doc d ON d.rowid = c.rowid WHERE d.text IS NOT ({CASE_DOC_TEXT})"
        ).fetchall()
    assert stale == []


def test_search_documents_of_a_catch_up_are_built_after_its_last_page(tmp_path, clock) -> None:
    from critresp.store.migrations import CASE_DOC_TEXT
    from critresp.store.views import QueueQuery

    def hits(s: Store, q: str) -> set[str]:
        return {r.id for r in s.queue_page(QueueQuery(search=q + " ", include_resolved=True)).rows}

    def stale(s: Store) -> int:
        with s.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*) FROM search_stale").scalar()

    path = tmp_path / "s.db"
    s = Store.open(path, clock)
    data = simple_dataset(4)
    s.apply_pull(R.Dataset(cases=data.cases[:2], parties=data.parties, case_parties=data.case_parties[:4]), "p1",
                 more=True)
    s.apply_pull(R.Dataset(events=(event("E-1", "CR-0000", body="pineapple crate"),)), "p2", more=True)
    assert stale(s) > 0 and hits(s, "pineapple") == set()  # mid catch-up: not yet
    s.apply_pull(R.Dataset(cases=data.cases[2:], case_parties=data.case_parties[4:]), "p3")  # the last page
    assert stale(s) == 0
    assert hits(s, "pineapple") == {"CR-0000"} and hits(s, "CR") == {"CR-0000", "CR-0001", "CR-0002", "CR-0003"}
    # the first build walks the cases in storage order: one document per case, each its source text
    with s.engine.connect() as conn:
        docs = conn.exec_driver_sql(
            f"SELECT c.id, d.text = ({CASE_DOC_TEXT}) FROM cases c JOIN case_doc d ON d.rowid = c.rowid"
        ).fetchall()
    assert sorted(docs) == [(f"CR-000{i}", 1) for i in range(4)]
    # interrupted after a page with more to come: the next open finishes the documents
    s.apply_pull(R.Dataset(events=(event("E-2", "CR-0003", body="mango bruised"),)), "p4", more=True)
    assert hits(s, "mango") == set()
    s.close()
    s = Store.open(path, clock)
    try:
        assert stale(s) == 0 and hits(s, "mango") == {"CR-0003"}
    finally:
        s.close()


def test_a_local_note_during_a_first_sync_keeps_every_document_right(tmp_path, clock) -> None:
    """The first sync builds all documents after its last page; a case written
    locally meanwhile already has one, and pages after that are tracked case by case."""
    from critresp.store.migrations import CASE_DOC_TEXT

    s = Store.open(tmp_path / "s.db", clock)
    try:
        data = simple_dataset(4)
        s.apply_pull(R.Dataset(cases=data.cases, parties=data.parties, case_parties=data.case_parties,
                               associates=data.associates), "p1", more=True)
        assert s.apply(DANA, mu.AddNote(case_id="CR-0000", body="papaya on the porch")).ok
        s.apply_pull(R.Dataset(events=(event("E-1", "CR-0000", body="lychee bag torn"),
                                       event("E-2", "CR-0002", body="durian smell"))), "p2", more=True)
        s.apply_pull(R.Dataset(events=(event("E-3", "CR-0003", body="quince"),)), "p3")  # the last page
        with s.engine.connect() as conn:
            docs = conn.exec_driver_sql(
                f"SELECT c.id, d.text = ({CASE_DOC_TEXT}) FROM cases c JOIN case_doc d ON d.rowid = c.rowid"
            ).fetchall()
            left = conn.exec_driver_sql("SELECT count(*) FROM search_stale").scalar()
        assert sorted(docs) == [(f"CR-000{i}", 1) for i in range(4)] and left == 0
    finally:
        s.close()


def test_bulk_row_builders_match_the_generic_conversion() -> None:
    """The pull path builds storage tuples directly; they must be exactly what the
    generic dict -> column-converter path stores, and cover every column."""
    from critresp.store import convert as cv
    from critresp.store import store as st

    data = simple_dataset(5)
    for c in data.cases:
        generic = cv.case_record_values(c)
        assert tuple(generic) == cv.CASE_ROW_COLS
        convs = [st._converter(st.C.c[k]) for k in cv.CASE_ROW_COLS]
        expected = tuple(v if f is None else f(v) for v, f in zip(generic.values(), convs))
        assert cv.case_record_row(c) == expected
    assert set(cv.CASE_ROW_COLS) <= {c.name for c in st.C.columns}
    # parties and orders: every column of the table is written (the rest are the table's own)
    assert set(st._PARTY_COLS) == {c.name for c in st.P.columns}
    assert set(st._ORDER_COLS) == {c.name for c in st.O.columns}


def test_a_first_sync_writes_without_the_queue_indexes_and_rebuilds_them(tmp_path, clock) -> None:
    """A multi-page first sync drops the secondary indexes it would otherwise update
    row by row; the queue still answers meanwhile, and the indexes are back after the
    last page, or at the next open when the sync was interrupted."""
    from critresp.store.store import _bulk_indexes
    from critresp.store.views import QueueQuery

    wanted = {i.name for i in _bulk_indexes()}

    def indexes(s: Store) -> set[str]:
        with s.engine.connect() as conn:
            return {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}

    data = simple_dataset(4)
    first = R.Dataset(cases=data.cases[:2], parties=data.parties, case_parties=data.case_parties[:4],
                      associates=data.associates)
    rest = R.Dataset(cases=data.cases[2:], case_parties=data.case_parties[4:])
    for interrupted in (False, True):
        path = tmp_path / f"s{interrupted}.db"
        s = Store.open(path, clock)
        try:
            assert wanted <= indexes(s)
            s.apply_pull(first, "p1", more=True)
            assert not wanted & indexes(s)  # dropped while the first sync writes
            assert {r.id for r in s.queue_page(QueueQuery(include_resolved=True)).rows} == {"CR-0000", "CR-0001"}
            if interrupted:
                s.close()
                s = Store.open(path, clock)  # finishes what the first sync left: indexes and documents
                assert wanted <= indexes(s)
                s.apply_pull(rest, "p2")
            else:
                s.apply_pull(rest, "p2")  # the last page
            assert wanted <= indexes(s)
            assert {r.id for r in s.queue_page(QueueQuery(include_resolved=True, search="CR ")).rows} == {
                "CR-0000", "CR-0001", "CR-0002", "CR-0003"}
        finally:
            s.close()


def _as_pulled(*events: R.EventRecord) -> R.PulledDataset:
    """What the sync client hands the store: the page's JSON validated into a
    ``PulledDataset`` (its events are dicts)."""
    return R.PulledDataset.model_validate_json(R.Dataset(events=events).model_dump_json())


@pytest.mark.parametrize("form", [R.Dataset, _as_pulled], ids=["records", "pulled dicts"])
def test_a_pulled_event_rebuilds_its_document_only_when_its_text_changed(store: Store, form) -> None:
    from critresp.store.migrations import CASE_DOC_TEXT
    from critresp.store.views import QueueQuery

    def hits(q: str) -> list[str]:
        return [r.id for r in store.queue_page(QueueQuery(search=q + " ", include_resolved=True)).rows]

    def page(e: R.EventRecord) -> R.Dataset:
        return R.Dataset(events=(e,)) if form is R.Dataset else _as_pulled(e)

    store.import_dataset(simple_dataset(2))
    store.apply_pull(page(event("E-9", "CR-0001", body="tangerine crate")), "c1")
    assert hits("tangerine") == ["CR-0001"]
    # the same event again (an echo): nothing to rebuild, still found
    store.apply_pull(page(event("E-9", "CR-0001", body="tangerine crate").model_copy(update={"version": 7})), "c2")
    assert hits("tangerine") == ["CR-0001"]
    # its text changed: the old words go, the new ones come
    store.apply_pull(page(event("E-9", "CR-0001", body="grapefruit crate").model_copy(update={"version": 8})), "c3")
    assert hits("tangerine") == [] and hits("grapefruit") == ["CR-0001"]
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql(
            f"SELECT count(*) FROM cases c JOIN case_doc d ON d.rowid = c.rowid WHERE d.text IS NOT ({CASE_DOC_TEXT})"
        ).scalar() == 0


def test_pulled_event_dicts_are_stored_as_their_records_would_be(tmp_path, clock) -> None:
    """The client's pulled pages carry events as validated dicts (PulledEvent), an
    import carries records: both must end in identical timeline rows, absent
    optional keys taking the record's defaults and any UTC offset the same instant."""
    from datetime import timezone as tz

    plus2 = tz(timedelta(hours=2))
    events = (
        event("E-1", "CR-0000", body="first", at=T0 + timedelta(seconds=1.5)),
        R.EventRecord(id="E-2", case_id="CR-0001", at=(T0 + timedelta(minutes=3)).astimezone(plus2), kind="note",
                      actor_id="A-1", actor_name="Ana", summary="Note", body="[bold]x[/] \x1b[2J", internal=True,
                      data={"channel": "sms", "n": 2, "nested": {"k": [1, None]}}, version=9),
        R.EventRecord(id="E-3", case_id="CR-0001", at=T0, kind="claimed", summary="Claimed", internal=False),
    )
    as_dicts = R.PulledDataset.model_validate_json(R.Dataset(events=events).model_dump_json(exclude_defaults=True))
    assert "internal" not in as_dicts.events[0] and "data" not in as_dicts.events[0]  # defaults left out on the wire
    rows = []
    for name, page in (("records", R.Dataset(events=events)), ("dicts", as_dicts)):
        s = Store.open(tmp_path / name / "store.db", clock)
        try:
            s.import_dataset(simple_dataset(2))
            s.apply_pull(page, "c1")
            with s.engine.connect() as conn:
                rows.append(conn.exec_driver_sql(
                    "SELECT * FROM timeline WHERE id LIKE 'E-%' ORDER BY id").fetchall())
            assert [e.id for e in s.case_detail("CR-0001").timeline if e.id.startswith("E-")] == ["E-3", "E-2"]
        finally:
            s.close()
    assert len(rows[0]) == 3 and rows[0] == rows[1]


def test_open_cases_are_found_by_search_as_they_open_and_close(store: Store) -> None:
    """A search of open cases narrows in the full-text index by a word every open
    case's document holds (migration 5); it follows every open and close: a local
    resolve, a pulled resolve, a pulled reopen, a local reopen. The results always
    equal the cases that match and are open, and every document is its source text."""
    from critresp.store.views import QueueQuery

    data = simple_dataset(4)
    store.import_dataset(data)
    store.import_dataset(R.Dataset(events=tuple(
        event(f"E-{i}", f"CR-000{i}", body=f"melon crate {i}") for i in range(4))))

    def open_hits() -> set[str]:
        return {r.id for r in store.queue_page(QueueQuery(search="melon")).rows}

    def expected() -> set[str]:
        every = store.queue_page(QueueQuery(search="melon", include_resolved=True)).rows
        return {r.id for r in every if r.status is not CaseStatus.RESOLVED}

    assert open_hits() == expected() == {"CR-0000", "CR-0001", "CR-0002", "CR-0003"}
    assert_documents_current(store)
    assert store.apply(DANA, mu.Resolve(case_id="CR-0001", code="no_violation")).ok  # resolved here
    assert open_hits() == expected() == {"CR-0000", "CR-0002", "CR-0003"}
    assert_documents_current(store)
    resolved = case("CR-0002", status="resolved", version=7)  # resolved elsewhere, pulled
    store.apply_pull(R.Dataset(cases=(resolved,)), "c1")
    assert open_hits() == expected() == {"CR-0000", "CR-0003"}
    assert_documents_current(store)
    reopened = case("CR-0002", status="investigating", version=8)  # reopened elsewhere, pulled
    store.apply_pull(R.Dataset(cases=(reopened,)), "c2")
    assert open_hits() == expected() == {"CR-0000", "CR-0002", "CR-0003"}
    assert_documents_current(store)
    assert store.apply(DANA, mu.Reopen(case_id="CR-0001", reason="new evidence")).ok  # reopened here
    assert open_hits() == expected() == {"CR-0000", "CR-0001", "CR-0002", "CR-0003"}
    assert_documents_current(store)
    # the count agrees, and resolved cases are still found when asked for
    assert store.queue_count(QueueQuery(search="melon")) == 4
    assert {r.id for r in store.queue_page(QueueQuery(search="melon", include_resolved=True)).rows} == {
        "CR-0000", "CR-0001", "CR-0002", "CR-0003"}


def test_the_open_marker_follows_a_catch_up_a_first_sync_and_a_rejection(tmp_path, clock) -> None:
    from critresp.store.api import PushResult
    from critresp.store.views import QueueQuery

    s = Store.open(tmp_path / "s.db", clock)
    try:
        data = simple_dataset(4)
        # a first sync over three pages: a case resolved on page 2, reopened on page 3
        s.apply_pull(R.Dataset(cases=data.cases, parties=data.parties, case_parties=data.case_parties,
                               associates=data.associates), "p1", more=True)
        s.apply_pull(R.Dataset(cases=(case("CR-0001", status="resolved", version=3),),
                               events=(event("E-1", "CR-0001", body="plum jam"),)), "p2", more=True)
        s.apply_pull(R.Dataset(cases=(case("CR-0001", status="investigating", version=4),),
                               events=(event("E-2", "CR-0002", body="plum pie"),)), "p3")
        assert {r.id for r in s.queue_page(QueueQuery(search="plum")).rows} == {"CR-0001", "CR-0002"}
        assert_documents_current(s)
        # a later catch-up over two pages: resolved on its first page, text on its last
        s.apply_pull(R.Dataset(cases=(case("CR-0002", status="resolved", version=9),)), "p4", more=True)
        s.apply_pull(R.Dataset(events=(event("E-3", "CR-0003", body="plum tart"),)), "p5")
        assert {r.id for r in s.queue_page(QueueQuery(search="plum")).rows} == {"CR-0001", "CR-0003"}
        assert_documents_current(s)
        # a local resolve the server refuses: the case is open again, and found again
        assert s.apply(DANA, mu.Resolve(case_id="CR-0003", code="no_violation")).ok
        assert {r.id for r in s.queue_page(QueueQuery(search="plum")).rows} == {"CR-0001"}
        entry = s.outbox_pending()[0]
        s.record_push_results([PushResult(seq=entry.seq, mutation_id=entry.mutation.mutation_id, status="rejected",
                                          code="conflict", message="no")])
        s.apply_pull(R.Dataset(), "p6")
        assert {r.id for r in s.queue_page(QueueQuery(search="plum")).rows} == {"CR-0001", "CR-0003"}
        assert_documents_current(s)
    finally:
        s.close()
