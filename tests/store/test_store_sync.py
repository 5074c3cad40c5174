"""Sync support: push results, pull with rebase, rejection notices that keep typed text."""

from __future__ import annotations

from datetime import timedelta

from critresp.domain import mutations as mu
from critresp.domain import records as R
from critresp.domain.taxonomy import CaseStatus, EnforcementLevel, Tier
from critresp.store import Store, event_id
from critresp.store.api import PushResult
from critresp.store.views import QueueQuery

from store_data import DANA, SAM, T0, case, event, link, party, simple_dataset


def _base_case(version: int = 5, **kw) -> R.CaseRecord:
    kw.setdefault("tier", 0)
    return case("CR-0000", version=version, **kw)


def _seed(store: Store) -> None:
    store.import_dataset(
        R.Dataset(
            parties=(party("C0"), party("S0", "shopper")),
            cases=(_base_case(),),
            case_parties=(link("CR-0000", "C0", "reporter"), link("CR-0000", "S0", "subject")),
            events=(event("E0", "CR-0000", body="initial report"),),
        )
    )


def test_optimistic_claim_then_rejection_restores_base_and_keeps_the_note(store: Store, clock) -> None:
    _seed(store)
    claim = mu.Claim(case_id="CR-0000")
    note = mu.AddNote(case_id="CR-0000", body="Spoke to the customer; she is safe now.")
    assert store.apply(DANA, claim).ok
    clock.advance(timedelta(seconds=30))
    assert store.apply(DANA, note).ok
    assert store.case_detail("CR-0000").assignee_id == DANA.id

    # the server: someone else claimed it first; the claim and note are rejected
    store.record_push_results(
        [
            PushResult(seq=1, mutation_id=claim.mutation_id, status="rejected", code="already_claimed", message="Claimed by Sam Ortiz"),
            PushResult(seq=2, mutation_id=note.mutation_id, status="rejected", code="already_claimed", message="Claimed by Sam Ortiz"),
        ]
    )
    d = store.case_detail("CR-0000")
    assert d.assignee_id is None and d.status is CaseStatus.NEW and d.pending == 0
    assert [t.id for t in d.timeline] == ["E0"]  # optimistic events are gone
    assert store.outbox_pending() == []
    notices = store.notices("CR-0000")
    assert {n.mutation_kind for n in notices} == {"claim", "add_note"}
    kept = [n for n in notices if n.mutation_kind == "add_note"][0]
    assert kept.draft == note.body and kept.message == "Claimed by Sam Ortiz" and not kept.read
    assert store.load_draft("CR-0000", f"rejected:{note.mutation_id}") == note.body
    row = store.queue_page(QueueQuery()).rows[0]
    assert row.notice == "Claimed by Sam Ortiz"
    store.mark_notice_read(kept.id)
    assert kept.id not in {n.id for n in store.notices("CR-0000", unread_only=True)}
    # full-text index no longer finds the rolled-back note
    assert store.queue_count(QueueQuery(search="safe now")) == 0


def test_pull_rebases_pending_mutations_on_the_new_base(store: Store, clock) -> None:
    _seed(store)
    note = mu.AddNote(case_id="CR-0000", body="my pending note")
    assert store.apply(DANA, note).ok
    # server changed the tier meanwhile; our note is still pending
    pulled = R.Dataset(cases=(_base_case(version=9, tier=1, title="Retitled"),))
    out = store.apply_pull(pulled, cursor="c-9")
    assert out.changed_case_ids == ("CR-0000",) and out.new_t0_case_ids == () and out.records == 1
    d = store.case_detail("CR-0000")
    assert d.tier is Tier.T1 and d.title == "Retitled" and d.version == 9
    assert [t.body for t in d.timeline if t.pending] == ["my pending note"]
    assert d.pending == 1
    assert store.get_cursor() == "c-9"


def test_rejected_claim_makes_later_pending_work_stay_pending_but_effects_follow_rules(store: Store) -> None:
    _seed(store)
    claim = mu.Claim(case_id="CR-0000")
    tier = mu.SetTier(case_id="CR-0000", tier=Tier.T1, reason="downgrade")
    assert store.apply(DANA, claim).ok and store.apply(DANA, tier).ok
    # pulled: Sam holds it now -> our pending tier change can no longer apply locally
    store.apply_pull(R.Dataset(cases=(_base_case(version=7, status="claimed", assignee=SAM, acknowledged_at=T0),)), "c7")
    d = store.case_detail("CR-0000")
    assert d.assignee_id == SAM.id and d.tier is Tier.T0
    assert d.pending == 2  # still in the outbox: the server decides


def test_ack_then_pull_settles_without_duplicates(store: Store, clock) -> None:
    _seed(store)
    claim = mu.Claim(case_id="CR-0000")
    assert store.apply(DANA, claim).ok
    store.record_push_results([PushResult(seq=1, mutation_id=claim.mutation_id, status="applied", version=10)])
    d = store.case_detail("CR-0000")
    assert d.pending == 0 and d.assignee_id == DANA.id
    assert all(not t.pending for t in d.timeline)
    assert store.sync_status().pending == 0
    # an unrelated pull of an older version must not lose the acknowledged claim
    store.apply_pull(R.Dataset(cases=(_base_case(version=8, title="older"),)), "c8")
    assert store.case_detail("CR-0000").assignee_id == DANA.id
    # the server's own record and event arrive: same event id replaces the local one
    server_case = _base_case(version=10, status="claimed", assignee=DANA, acknowledged_at=T0)
    ev = R.EventRecord(id=event_id(claim.mutation_id, 0), case_id="CR-0000", at=T0, kind="claimed",
                       summary="Claimed by Dana Reyes", version=10)
    store.apply_pull(R.Dataset(cases=(server_case,), events=(ev,)), "c10")
    d = store.case_detail("CR-0000")
    assert [t.id for t in d.timeline].count(ev.id) == 1 and d.assignee_id == DANA.id
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT settled FROM outbox").scalar() == 1
        assert conn.exec_driver_sql("SELECT local FROM timeline WHERE id = ?", (ev.id,)).scalar() == 0


def test_duplicate_push_results_are_idempotent(store: Store) -> None:
    _seed(store)
    m = mu.AddNote(case_id="CR-0000", body="x")
    store.apply(DANA, m)
    r = PushResult(seq=1, mutation_id=m.mutation_id, status="duplicate", version=None)
    store.record_push_results([r])
    store.record_push_results([r, PushResult(seq=1, mutation_id=m.mutation_id, status="rejected", code="x")])
    assert store.notices() == [] and store.case_detail("CR-0000").pending == 0


def test_pulled_party_status_and_new_t0(store: Store) -> None:
    _seed(store)
    m = mu.ProposeEnforcement(case_id="CR-0000", party_id="S0", level=EnforcementLevel.L3, rule="R", reason="r")
    store.apply(DANA, m)
    assert [p.account_status for p in store.case_detail("CR-0000").parties if p.id == "S0"] == ["active"]
    out = store.apply_pull(
        R.Dataset(parties=(party("S0", "shopper", status="suspended", version=3),), cases=(case("NEW-T0", tier=0, version=3),)),
        "c3",
    )
    assert out.new_t0_case_ids == ("NEW-T0",)
    assert [p.account_status for p in store.case_detail("CR-0000").parties if p.id == "S0"] == ["suspended"]
    # pulled again: no longer new
    assert store.apply_pull(R.Dataset(cases=(case("NEW-T0", tier=0, version=4),)), "c4").new_t0_case_ids == ()


def test_older_versions_do_not_overwrite(store: Store) -> None:
    store.import_dataset(R.Dataset(cases=(case("A", title="v5", version=5),)))
    store.import_dataset(R.Dataset(cases=(case("A", title="v3", version=3),)))
    assert store.case_detail("A").title == "v5"
    store.import_dataset(R.Dataset(cases=(case("A", title="v6", version=6),)))
    assert store.case_detail("A").title == "v6"


def test_sync_state_and_identity(store: Store, clock) -> None:
    st = store.sync_status()
    assert not st.online and st.last_sync_at is None and st.pending == 0
    store.set_sync_state(online=True, server_url="http://x", synced_at=T0)
    store.set_sync_state(online=False, error="timeout")
    st = store.sync_status()
    assert not st.online and st.last_error == "timeout" and st.server_url == "http://x" and st.last_sync_at == T0
    store.set_identity(DANA)
    assert store.identity() == DANA


def test_the_cursor_follows_committed_pulls_only(tmp_path, clock, monkeypatch) -> None:
    """``get_cursor`` returns what the last committed pull stored: a pull that fails
    leaves the previous cursor, and another store opened on the same file later
    reads the same one."""
    import pytest

    path = tmp_path / "c" / "store.db"
    s = Store.open(path, clock)
    try:
        assert s.get_cursor() is None
        s.apply_pull(simple_dataset(1), "c1")
        assert s.get_cursor() == "c1"
        with monkeypatch.context() as m:  # the page's transaction fails before its commit
            m.setattr(s, "_settle_and_rebase", lambda *a: (_ for _ in ()).throw(RuntimeError("disk I/O error")))
            with pytest.raises(RuntimeError):
                s.apply_pull(R.Dataset(events=(event("E-x", "CR-0000", body="lost"),)), "c2")
        assert s.get_cursor() == "c1"
        assert "E-x" not in {e.id for e in s.case_detail("CR-0000").timeline}
        s.apply_pull(R.Dataset(events=(event("E-y", "CR-0000", body="ok"),)), "c3")
        assert s.get_cursor() == "c3"
    finally:
        s.close()
    again = Store.open(path, clock)
    try:
        assert again.get_cursor() == "c3"
    finally:
        again.close()


def test_a_pull_is_refused_unwritten_when_another_store_moved_the_cursor(tmp_path, clock) -> None:
    """Two stores on one file (the console and ``critresp sync``): a page that follows
    a cursor the other one has since moved is refused (CursorMoved), nothing of it
    is written, and the store then reports the cursor the other one left."""
    import pytest

    from critresp.store.api import CursorMoved

    path = tmp_path / "two" / "store.db"
    s1, s2 = Store.open(path, clock), Store.open(path, clock)
    try:
        s1.apply_pull(simple_dataset(1), "c1")
        assert s2.get_cursor() == "c1"
        s2.apply_pull(R.Dataset(events=(event("E-2", "CR-0000", body="from the other"),)), "c2", expected_cursor="c1")
        with pytest.raises(CursorMoved):  # s1 pulled its page from c1 too
            s1.apply_pull(R.Dataset(events=(event("E-1", "CR-0000", body="stale page"),)), "c1b", expected_cursor="c1")
        assert s1.get_cursor() == "c2"
        assert {e.id for e in s1.case_detail("CR-0000").timeline} >= {"E-2"}
        assert "E-1" not in {e.id for e in s1.case_detail("CR-0000").timeline}
        s1.apply_pull(R.Dataset(events=(event("E-3", "CR-0000", body="next"),)), "c3", expected_cursor="c2")  # fine
        assert s1.get_cursor() == "c3"
    finally:
        s1.close()
        s2.close()


def test_pages_in_a_pull_batch_commit_together_or_not_at_all(tmp_path, clock) -> None:
    """``pull_batch``: the pages applied inside are one transaction. Another store on
    the file sees none of them until the block ends, then all of them and the last
    page's cursor; a block that raises leaves the store as it was (pages, cursor,
    and the first sync's dropped bulk indexes, which come back with the rollback)."""
    import sqlite3

    import pytest

    path = tmp_path / "batch" / "store.db"
    s, other = Store.open(path, clock), Store.open(path, clock)

    def indexes() -> set[str]:
        with sqlite3.connect(path) as con:
            return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}

    try:
        before = indexes()
        with pytest.raises(RuntimeError, match="disk I/O"):
            with s.pull_batch():
                # a first sync's first page with more after it drops the bulk indexes
                s.apply_pull(simple_dataset(2), "c1", more=True, expected_cursor=None)
                s.apply_pull(R.Dataset(events=(event("E-a", "CR-0000", body="second page"),)), "c2", more=True,
                             expected_cursor="c1")
                assert s.get_cursor() is None and other.get_cursor() is None  # (not committed yet)
                raise RuntimeError("disk I/O error")
        assert s.get_cursor() is None and other.get_cursor() is None
        assert other.case_detail("CR-0000") is None
        assert indexes() == before and not s._bulk_indexes_dropped

        with s.pull_batch():
            s.apply_pull(simple_dataset(2), "c1", more=True, expected_cursor=None)
            s.apply_pull(R.Dataset(events=(event("E-a", "CR-0000", body="second page"),)), "c2", more=True,
                         expected_cursor="c1")
            with s.pull_batch():  # nested: the same transaction
                s.apply_pull(R.Dataset(events=(event("E-b", "CR-0000", body="third page"),)), "c3", more=True,
                             expected_cursor="c2")
            assert other.get_cursor() is None
        assert other.get_cursor() == "c3"
        assert {"E-a", "E-b"} <= {e.id for e in other.case_detail("CR-0000").timeline}
        # the catch-up's last page, on its own: the search documents are built
        s.apply_pull(R.Dataset(events=(event("E-c", "CR-0000", body="last page zebrafinch"),)), "c4",
                     expected_cursor="c3")
        assert other.queue_count(QueueQuery(search="zebrafinch")) == 1
        assert indexes() == before
    finally:
        s.close()
        other.close()
