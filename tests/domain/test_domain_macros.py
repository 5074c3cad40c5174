from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critresp.domain import macros
from critresp.domain.macros import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MacroError,
    blocking,
    build_context,
    check_draft,
    render,
    render_text,
    sms_segments,
)
from critresp.domain.records import CaseRecord, MacroRecord, PartyRecord
from critresp.domain.state import Actor, CaseState
from critresp.domain.taxonomy import CaseStatus, Channel, PartyRole, Tier

NOW = datetime(2026, 3, 1, 22, 0, tzinfo=timezone.utc)
CASE = CaseState(id="CR-000042", tier=Tier.T1, category="discrimination", status=CaseStatus.CLAIMED, created_at=NOW)
DANA = PartyRecord(
    id="P-1", role=PartyRole.CUSTOMER, first_name="Dana", last_name="Rivers", email="dana@example.com",
    phone="+1 555 123 4567", address="1 Oak St, Springfield", created_at=NOW,
)
ANA = Actor("a-1", "Ana Lopez")


def ctx(recipient=DANA, case=CASE, channel="email", **extra):
    return build_context(case, recipient, ANA, channel, extra or None)


MACRO = MacroRecord(
    id="m-ack",
    title="Acknowledge report",
    channels=(Channel.EMAIL, Channel.SMS),
    email_subject="Your report {{ case.id }}",
    email_body=(
        "Hi {{ recipient.first_name }},\n"
        "{% if case.tier == 'T0' %}We are on it now.{% else %}Thanks for telling us.{% endif %}\n"
        "{% if channel == 'email' %}Reference: {{ case.id }} ({{ case.category_title }}){% endif %}\n"
        "{{ associate.first_name }}"
    ),
    sms_body="Hi {{ recipient.first_name }}, we got your report {{ case.id }}. - {{ associate.first_name }}",
)


# --------------------------------------------------------------------------- context / render


def test_context_fields():
    c = ctx()
    assert c["case"]["id"] == "CR-000042" and c["case"]["tier"] == "T1"
    assert c["case"]["category"] == "discrimination" and c["case"]["category_title"] == "Discrimination or slurs"
    assert c["case"]["order_id"] is None  # CaseState has no order
    assert c["recipient"] == {"first_name": "Dana", "role": "customer", "involvement": None}
    assert c["associate"] == {"first_name": "Ana"}
    assert c["channel"] == "email"
    assert c["appeal"]["deadline_days"] == macros.APPEAL_DEADLINE_DAYS and c["appeal"]["url"].startswith("https://")


def test_context_from_record_and_view_like_objects():
    rec = CaseRecord(
        id="CR-7", tier=Tier.T0, category="weapon", status=CaseStatus.NEW, title="t",
        created_at=NOW, updated_at=NOW, order_id="O-9",
    )

    class View:  # like store.views.PartyView: display name only
        display_name = "Sam K."
        role = PartyRole.SHOPPER
        involvement = "subject"

    c = build_context(rec, View(), {"name": "Lee Park"}, Channel.SMS, {"enforcement": {"level": "L2"}})
    assert c["case"]["order_id"] == "O-9" and c["case"]["tier"] == "T0"
    assert c["recipient"]["first_name"] == "Sam" and c["recipient"]["role"] == "shopper"
    assert c["associate"]["first_name"] == "Lee" and c["channel"] == "sms"
    assert render_text("{{ enforcement.level }} for {{ recipient.involvement }}", c) == "L2 for subject"


def test_render_email_and_sms():
    d = render(MACRO, Channel.EMAIL, ctx())
    assert d.subject == "Your report CR-000042"
    assert d.body == "Hi Dana,\nThanks for telling us.\nReference: CR-000042 (Discrimination or slurs)\nAna"
    assert (d.channel, d.macro_id) == (Channel.EMAIL, "m-ack")
    s = render(MACRO, "sms", ctx(channel="sms"))
    assert s.subject is None
    assert s.body == "Hi Dana, we got your report CR-000042. - Ana"


def test_block_lines_leave_no_blank_runs():
    src = "Hi {{ recipient.first_name }},\n\n{% if case.order_id %}\nAbout {{ case.order_id }}.\n{% endif %}\n\nThanks"
    assert render_text(src, ctx()) == "Hi Dana,\n\nThanks"


def test_plain_arithmetic_and_filters_still_work():
    assert render_text("{{ appeal.deadline_days * 2 }} {{ '-' * 3 }} {{ 2 ** 3 }} {{ case.id | lower }}", ctx()) == "28 --- 8 cr-000042"


def test_tier_prints_label_and_compares_as_number_or_label():
    assert render_text("{{ case.tier }}", ctx()) == "T1"
    src = "{% if case.tier <= 1 %}urgent{% endif %} {% if case.tier == 'T1' %}t1{% endif %} {% if case.tier == 1 %}one{% endif %}"
    assert render_text(src, ctx()) == "urgent t1 one"
    assert render_text("{% if case.tier == 'T0' or case.tier == 'x' %}no{% endif %}", ctx()) == ""


def test_conditional_on_tier_and_role():
    t0 = CASE.with_(tier=Tier.T0)
    assert "We are on it now." in render(MACRO, Channel.EMAIL, ctx(case=t0)).body
    src = "{% if recipient.role == 'shopper' %}Shopper{% else %}Customer{% endif %}"
    assert render_text(src, ctx()) == "Customer"


def test_unknown_placeholder_is_named():
    with pytest.raises(MacroError, match=r"^Unknown placeholder recipient\.nickname$"):
        render_text("Hi {{ recipient.nickname }}", ctx())
    with pytest.raises(MacroError, match=r"Unknown placeholder customer"):
        render_text("Hi {{ customer.first_name }}", ctx())
    # a typo in a condition is caught as well, not silently false
    with pytest.raises(MacroError, match=r"Unknown placeholder case\.teir"):
        render_text("{% if case.teir == 'T0' %}x{% endif %}", ctx())


@pytest.mark.parametrize("first", [None, "", "   "])
def test_missing_value_never_renders_hi_comma(first):
    with pytest.raises(MacroError, match=r"^Missing value for recipient\.first_name$"):
        render(MACRO, Channel.EMAIL, ctx(recipient={"first_name": first, "role": "customer"}))


def test_missing_recipient_entirely():
    with pytest.raises(MacroError, match="Missing value for recipient.first_name"):
        render(MACRO, Channel.SMS, ctx(recipient=None))


def test_missing_value_may_be_tested_or_defaulted():
    assert render_text("{% if case.order_id %}order {{ case.order_id }}{% else %}no order{% endif %}", ctx()) == "no order"
    assert render_text("{{ case.order_id | default('your order') }}", ctx()) == "your order"
    with pytest.raises(MacroError, match="Missing value for case.order_id"):
        render_text("{{ case.order_id }}", ctx())


def test_syntax_error_is_macro_error():
    with pytest.raises(MacroError, match="line 2"):
        render_text("ok\n{% if %}", ctx())
    with pytest.raises(MacroError):
        render_text("{{ case.id ", ctx())


def test_macro_without_text_for_channel():
    with pytest.raises(MacroError, match="no phone text"):
        render(MACRO, Channel.PHONE, ctx())
    no_subject = MACRO.model_copy(update={"email_subject": None})
    with pytest.raises(MacroError, match="no email subject"):
        render(no_subject, Channel.EMAIL, ctx())


@pytest.mark.parametrize(
    "src",
    [
        "{{ case.__class__ }}",
        "{{ case.__class__.__init__.__globals__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ recipient.first_name.__class__ }}",
        "{{ recipient.first_name.format.__globals__ }}",
        "{{ case.id | attr('__class__') }}",
        "{{ case._data }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ lipsum.__globals__ }}",
        "{{ self.__init__.__globals__ }}",
        "{{ range.__self__ }}",
        "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
        "{{ case.id.zfill(10**9) }}",
        "{{ case.id.center(1000000000) }}",
        "{{ case.id * 1000000000 }}",
        "{{ 999999 ** 64 ** 64 }}",
        "{{ 10 ** 100000 }}",
        "{{ case.id | center(1000000000) }}",
        "{{ '%01000000000d' | format(1) }}",
        "{{ '{:>1000000000}'.format(1) }}",
        "{{ 'x'['center'](1000000000) }}",
        "{{ case.id['zfill'](1000000000) }}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    ],
)
def test_sandbox_blocks_escapes(src):
    with pytest.raises(MacroError):
        render_text(src, ctx())


def test_rendered_data_is_not_re_evaluated():
    # a party who names themself "{{ case.id }}" stays literal text
    evil = {"first_name": "{{ associate.first_name }}{% raw %}", "role": "customer"}
    out = render_text("Hi {{ recipient.first_name }}", ctx(recipient=evil))
    assert out == "Hi {{ associate.first_name }}{% raw %}"
    # ...and the draft check then flags it: a literal placeholder must not be sent
    assert blocking(check_draft(out, Channel.SMS))


# --------------------------------------------------------------------------- SMS


def test_sms_gsm_basics():
    assert len(GSM7_BASIC) == 127  # 128 code points minus ESC
    assert sms_segments("") == macros.SmsInfo("GSM-7", 0, 0, 160)
    assert sms_segments("a" * 160) == macros.SmsInfo("GSM-7", 160, 1, 160)
    assert sms_segments("a" * 161) == macros.SmsInfo("GSM-7", 161, 2, 153)
    assert sms_segments("a" * 306).segments == 2
    assert sms_segments("a" * 307).segments == 3
    assert sms_segments("€" * 80) == macros.SmsInfo("GSM-7", 160, 1, 160)
    assert sms_segments("{}[]~|^\\").units == 16


def test_sms_escape_pair_not_split():
    # 152 plain + one extension char: 154 units > 153 in the first segment
    info = sms_segments("a" * 152 + "€" + "a" * 10)
    assert info.units == 164 and info.segments == 2
    info = sms_segments("a" * 152 + "€" + "a" * 152)
    assert info.units == 306 and info.segments == 3  # would be 2 if the pair could split


def test_sms_ucs2():
    assert sms_segments("é" * 10).encoding == "GSM-7"
    info = sms_segments("Hi Zoë ✓")
    assert info.encoding == "UCS-2" and info.units == 8 and info.per_segment == 70
    assert sms_segments("😀" * 35) == macros.SmsInfo("UCS-2", 70, 1, 70)
    assert sms_segments("x" * 70 + "ł").segments == 2
    assert sms_segments("x" * 66 + "😀" + "x").segments == 1  # 69 units
    # 134 units would fit 2 x 67, but the pair may not straddle segments 1 and 2
    assert sms_segments("x" * 66 + "😀" + "x" * 66).segments == 3
    assert sms_segments("ç").encoding == "UCS-2"  # only capital Ç is in the GSM basic set


def _brute_segments(costs: list[int], single: int, multi: int) -> int:
    """Fewest segments so that no character straddles two (dynamic programming)."""
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    n = len(costs)
    best = [0] + [math.inf] * n
    for end in range(1, n + 1):
        used = 0
        for start in range(end, 0, -1):
            used += costs[start - 1]
            if used > multi:
                break
            best[end] = min(best[end], best[start - 1] + 1)
    return int(best[n])


_sms_alphabet = st.sampled_from(sorted(GSM7_BASIC | GSM7_EXTENSION) + ["é", "ł", "✓", "😀", "\u00e7", "а"])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=_sms_alphabet, max_size=400))
def test_sms_segments_match_brute_force(text):
    info = sms_segments(text)
    gsm = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
    assert info.encoding == ("GSM-7" if gsm else "UCS-2")
    if gsm:
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        single, multi = 160, 153
    else:
        costs = [len(c.encode("utf-16-le")) // 2 for c in text]
        single, multi = 70, 67
    assert info.units == sum(costs)
    assert info.segments == _brute_segments(costs, single, multi)
    assert info.per_segment == (single if info.segments <= 1 else multi)


# --------------------------------------------------------------------------- checks


def codes(checks):
    return {c.code: c.severity for c in checks}


def test_clean_sms_has_info_only():
    checks = check_draft("Hi Dana, we got your report.", Channel.SMS)
    assert codes(checks) == {"sms_segments": "info"}
    assert not blocking(checks)


def test_long_sms_warns():
    checks = check_draft("x" * 153 * 4, Channel.SMS)
    assert codes(checks)["sms_long"] == "warn" and not blocking(checks)
    assert "sms_long" not in codes(check_draft("x" * 153 * 3, Channel.SMS))


def test_leftover_placeholder_blocks():
    for body in ["Hi {{ recipient.first_name }},", "Hi {% if x %}", "Hi {{ name", "{# todo #}"]:
        checks = check_draft(body, Channel.SMS)
        assert codes(checks)["unfilled_placeholder"] == "block", body
    c = [x for x in check_draft("Hi {{ recipient.first_name }}", Channel.SMS) if x.code == "unfilled_placeholder"][0]
    assert c.message == "Unfilled placeholder {{ recipient.first_name }}"
    assert "unfilled_placeholder" in codes(check_draft("ok", Channel.EMAIL, subject="Re {{ case.id }}"))
    assert not blocking(check_draft("braces { } are fine", Channel.SMS))


def test_enforcement_notice_needs_appeal():
    assert codes(check_draft("Your account is suspended.", Channel.EMAIL, subject="s", is_enforcement_notice=True))[
        "missing_appeal"
    ] == "block"
    ok = check_draft("Suspended. You can Appeal within 14 days.", Channel.EMAIL, subject="s", is_enforcement_notice=True)
    assert not blocking(ok)
    assert not blocking(check_draft("Your account is suspended.", Channel.EMAIL, subject="s"))


@pytest.mark.parametrize(
    "body,kind",
    [
        ("Dana told us what happened.", "name"),
        ("A complaint by dana rivers", "name"),
        ("Contact +1 (555) 123-4567 for details", "phone"),
        ("reply to DANA@example.com", "email"),
    ],
)
def test_reveals_reporter_blocks(body, kind):
    terms = ("Dana", "Rivers", "Dana Rivers", "+1 555 123 4567", "dana@example.com")
    checks = check_draft(body, Channel.SMS, reporter_terms=terms)
    c = [x for x in checks if x.code == "reveals_reporter"]
    assert c and c[0].severity == "block" and c[0].message.startswith("Draft reveals the reporter")
    assert kind in c[0].message
    # to the reporter themself it is fine, and internal notes may name them
    assert not blocking(check_draft(body, Channel.SMS, reporter_terms=terms, recipient_is_reporter=True))
    assert not blocking(check_draft(body, Channel.INTERNAL, reporter_terms=terms))


def test_reporter_terms_match_whole_words_only():
    checks = check_draft("Your order from Danable Foods", Channel.SMS, reporter_terms=("Dana",))
    assert "reveals_reporter" not in codes(checks)
    assert "reveals_reporter" in codes(check_draft("ok", Channel.EMAIL, subject="About Dana", reporter_terms=("Dana",)))


def test_empty_body_and_missing_subject_block():
    assert codes(check_draft("  \n", Channel.SMS))["empty_body"] == "block"
    assert codes(check_draft("hello", Channel.EMAIL))["missing_subject"] == "block"
    assert codes(check_draft("hello", Channel.EMAIL, subject="  "))["missing_subject"] == "block"
    assert not blocking(check_draft("hello", Channel.EMAIL, subject="Hi"))
    assert not blocking(check_draft("call script", Channel.PHONE))


def test_rendered_macro_passes_checks():
    d = render(MACRO, Channel.EMAIL, ctx())
    assert not blocking(check_draft(d.body, d.channel, subject=d.subject, reporter_terms=("Zed",)))


@pytest.mark.parametrize(
    "source",
    [
        '{{ ("%0500000d" % 1) | length }}',
        '{{ "%s%s" % ("a", "b") }}',
        '{{ "ab".replace("", "x") }}',
        '{{ ",".join(["a", "b"]) }}',
        '{{ "ab" | replace("a", "b") }}',
        '{{ ["a"] | join(",") }}',
    ],
)
def test_sandbox_refuses_text_multipliers(source: str) -> None:
    from critresp.domain.macros import render_text

    with pytest.raises(MacroError):
        render_text(source, {})


def test_enforcement_notice_blocked_until_the_enforcement_is_in_force() -> None:
    from critresp.domain.macros import blocking, check_draft

    body = "We have deactivated your account. You can appeal within 14 days."
    waiting = check_draft(body, "email", subject="Account", is_enforcement_notice=True, enforcement_in_force=False)
    assert blocking(waiting) and any(c.code == "enforcement_not_in_force" for c in waiting)
    approved = check_draft(body, "email", subject="Account", is_enforcement_notice=True, enforcement_in_force=True)
    assert not blocking(approved)
    # not an enforcement notice: the flag is irrelevant
    plain = check_draft("Thanks for your patience.", "email", subject="Update", enforcement_in_force=False)
    assert not blocking(plain)
