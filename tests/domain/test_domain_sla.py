from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from critresp.domain import sla
from critresp.domain.sla import SlaClocks, breach_state, format_remaining, next_due
from critresp.domain.taxonomy import Tier

C = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)
M = timedelta(minutes=1)
H = timedelta(hours=1)


def test_t0_deadlines_in_order():
    assert next_due(Tier.T0, C, None, None, None) == (C + 5 * M, "acknowledge")
    assert next_due(Tier.T0, C, C + M, None, None) == (C + H, "first_outreach")
    assert next_due(Tier.T0, C, C + M, C + 2 * M, None) == (C + 24 * H, "resolve")
    assert next_due(Tier.T0, C, C + M, C + 2 * M, C + 3 * M) == (None, None)


def test_resolved_without_outreach_has_nothing_due():
    assert next_due(Tier.T1, C, None, None, C + M) == (None, None)


def test_t2_t3_have_no_acknowledge_target():
    assert next_due(Tier.T2, C, None, None, None) == (C + 8 * H, "first_outreach")
    assert next_due(Tier.T3, C, None, C + H, None) == (C + timedelta(days=7), "resolve")


def test_tier_change_recomputes_from_created_at():
    t3 = SlaClocks.compute(Tier.T3, C)
    t0 = SlaClocks.compute(Tier.T0, C)
    assert t3.first_outreach_due == C + 24 * H
    assert t0.first_outreach_due == C + H
    assert t0.acknowledge_due == C + 5 * M and t3.acknowledge_due is None


def test_clocks_state_for_header():
    clocks = SlaClocks.compute(Tier.T1, C, acknowledged_at=C + 20 * M, first_outreach_at=C + H)
    assert clocks.state("acknowledge", C + 2 * H) == "met_late"
    assert clocks.state("first_outreach", C + 2 * H) == "met"
    assert clocks.state("resolve", C + 2 * H) == "ok"
    assert clocks.state("resolve", C + 48 * H) == "breached"
    assert SlaClocks.compute(Tier.T2, C).state("acknowledge", C) == "n/a"
    assert clocks.next_due() == (C + 48 * H, "resolve")


def test_clocks_of_case_like_object():
    class Rec:
        tier = Tier.T0
        created_at = C
        acknowledged_at = None
        first_outreach_at = None
        resolved_at = None

    assert SlaClocks.of(Rec()).next_due() == (C + 5 * M, "acknowledge")


def test_breach_state_thresholds():
    due = C + 5 * M  # T0 acknowledge: window 5 min, near under 75 s
    assert breach_state(due, C, Tier.T0, "acknowledge") == "ok"
    assert breach_state(due, due - timedelta(seconds=75), Tier.T0, "acknowledge") == "ok"
    assert breach_state(due, due - timedelta(seconds=74), Tier.T0, "acknowledge") == "near"
    assert breach_state(due, due, Tier.T0, "acknowledge") == "breached"
    assert breach_state(due, due + M, Tier.T0, "acknowledge") == "breached"
    # T3 resolve: 7 days -> near under 42 h
    due3 = C + timedelta(days=7)
    assert breach_state(due3, due3 - 43 * H, Tier.T3, "resolve") == "ok"
    assert breach_state(due3, due3 - 41 * H, Tier.T3, "resolve") == "near"
    assert breach_state(None, C, Tier.T3, None) == "ok"


def test_near_threshold_has_a_one_minute_floor():
    assert sla.near_threshold(Tier.T2, "acknowledge") == M  # no target at all
    assert sla.near_threshold(Tier.T0, "acknowledge") == timedelta(seconds=75)


@pytest.mark.parametrize(
    "delta,text",
    [
        (timedelta(minutes=4, seconds=12), "4m12s"),
        (timedelta(hours=1, minutes=5, seconds=59), "1h05m"),
        (timedelta(days=2, hours=3, minutes=1), "2d03h"),
        (-timedelta(minutes=3, seconds=20), "-3m20s"),
        (timedelta(seconds=42, milliseconds=900), "42s"),
        (timedelta(0), "0s"),
        (-timedelta(milliseconds=300), "0s"),
        (-timedelta(days=1, hours=2), "-1d02h"),
    ],
)
def test_format_remaining(delta, text):
    assert format_remaining(C + delta, C) == text


@given(st.integers(min_value=-(10**7), max_value=10**7))  # up to ~115 days
def test_format_remaining_is_compact_and_signed(seconds):
    text = format_remaining(C + timedelta(seconds=seconds), C)
    assert len(text) <= 8
    assert text.startswith("-") == (seconds < 0)
