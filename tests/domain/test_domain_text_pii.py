from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critresp.domain.pii import display_name, identity_terms, mask_address, mask_email, mask_phone
from critresp.domain.text import cell_width, char_width, clean, one_line

BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("plain [bold red]markup[/] stays", "plain [bold red]markup[/] stays"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b[2J\x1b[H\x1b[?1049h", ""),
        ("a\x1b]0;title\x07b", "ab"),
        ("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("a\x9b31mb", "ab"),
        ("a\x1bcb", "ab"),
        ("a\x1b(Bb", "ab"),
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\r\nlf\rx", "cr\nlf\nx"),
        ("bell\x07 nul\x00 del\x7f c1\x85", "bell nul del c1"),
        ("\u202eevil\u202c \u2066iso\u2069", "evil iso"),
        ("unterminated \x1b]0;title", "unterminated 0;title"),
        ("trailing esc\x1b", "trailing esc"),
        ("emoji 😀 and 中文 kept", "emoji 😀 and 中文 kept"),
        (None, ""),
    ],
)
def test_clean(raw, expected):
    assert clean(raw) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=None), max_size=200))
def test_clean_never_leaves_controls(s):
    out = clean(s)
    assert "\x1b" not in out
    assert not BAD.search(out)
    assert clean(out) == out  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["\x1b", "[", "]", "0", ";", "m", "\x07", "\\", "P", "a", "\x9b", "\x9d", "\n", "\r"]), max_size=40))
def test_clean_on_escape_soup(parts):
    out = clean("".join(parts))
    assert "\x1b" not in out and not BAD.search(out)


def test_printable_text_is_untouched():
    s = "Zoë's [b]order[/b] #42: ½ price — “quoted” ‏"
    assert clean(s) == s


def test_one_line():
    assert one_line("  a\n\tb\x1b[1m  c  ") == "a b c"
    assert one_line("hello world", 5) == "hell…"
    assert one_line("hello", 5) == "hello"
    assert one_line("中文中文", 5) == "中文…"
    assert one_line("x", 0) == ""


@given(st.text(max_size=80), st.integers(min_value=1, max_value=40))
def test_one_line_fits(s, width):
    out = one_line(s, width)
    assert "\n" not in out and cell_width(out) <= width


@given(st.text(max_size=80))
def test_cell_width_is_the_sum_of_char_widths(s):
    # cell_width takes a shortcut for ASCII; it must agree with char_width everywhere
    assert cell_width(s) == sum(char_width(c) for c in s)


def test_mask_email():
    assert mask_email("dana.rivers@example.com") == "d•••@e•••.com"
    assert mask_email("x@localhost") == "x•••@l•••"
    assert mask_email("not-an-email") == "•••"
    assert mask_email("") == ""
    assert "rivers" not in mask_email("dana.rivers@example.com")


def test_mask_phone():
    assert mask_phone("+1 (555) 123-4567") == "•••-•••-••67"
    assert mask_phone("12") == "•••"
    assert mask_phone(None) == ""
    assert "4567" not in mask_phone("+1 (555) 123-4567")


def test_mask_address():
    assert mask_address("12 Oak Street, Apt 4, Springfield") == "•••, Springfield"
    assert mask_address("12 Oak Street, Springfield 62704") == "•••, Springfield •••••"
    assert mask_address("12 Oak Street") == "•••"
    assert mask_address(None) == ""


def test_display_name():
    assert display_name("Dana", "Rivers") == "Dana R."
    assert display_name("Dana", "") == "Dana"
    assert display_name("", "rivers") == "R."
    assert display_name(None, None) == "(no name)"
    assert display_name("Da\x1b[31mna", "\u202eRivers") == "Dana R."


def test_identity_terms():
    assert identity_terms("Dana", "Rivers", "+1 555", "d@x.com") == ("Dana", "Rivers", "Dana Rivers", "+1 555", "d@x.com")
    assert identity_terms("Dana", None) == ("Dana",)
