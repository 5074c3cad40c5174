"""Make untrusted text safe to put on a terminal.

``clean`` removes everything that could drive the terminal or reorder what the
associate sees (escape sequences, control characters, bidi overrides) and keeps
everything else literally: ``[bold red]`` stays text (markup escaping is the
UI's job, this module only removes control).
"""

from __future__ import annotations

import re
import unicodedata

# String sequences: OSC (ESC ]), DCS (ESC P), SOS (ESC X), PM (ESC ^), APC (ESC _),
# 7-bit or C1 introducer, terminated by BEL, ST (ESC \) or C1 ST (0x9c).
_STRING_SEQ = re.compile(
    r"(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)",
)
# Unterminated string sequence: drop only the introducer (the rest is plain text).
_STRING_INTRO = re.compile(r"\x1b[\]PX^_]")
# CSI: ESC [ or C1 0x9b, parameter bytes, intermediate bytes, final byte.
_CSI = re.compile(r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?")
# Other ESC sequences: ESC, intermediates, one final byte (ESC c, ESC ( B, ESC 7, ...).
_ESC_SEQ = re.compile(r"\x1b[\x20-\x2f]*[\x30-\x7e]?")
# C0 (except \t and \n), DEL, C1 controls, bidi embeddings / overrides / isolates.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NEWLINES = re.compile(r"\r\n?")
_WS = re.compile(r"\s+")


def clean(text: str | None) -> str:
    """Strip terminal control from untrusted text. None -> ""; CR/CRLF -> LF."""
    if not text:
        return ""
    s = _NEWLINES.sub("\n", text)
    s = _STRING_SEQ.sub("", s)
    s = _STRING_INTRO.sub("", s)
    s = _CSI.sub("", s)
    s = _ESC_SEQ.sub("", s)
    return _CONTROLS.sub("", s)


def char_width(ch: str) -> int:
    """Terminal cells of one character (0 for combining marks, 2 for wide/fullwidth)."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    return 1


def cell_width(text: str) -> int:
    if text.isascii():  # every ASCII character is one cell (see char_width)
        return len(text)
    return sum(char_width(c) for c in text)


def one_line(text: str | None, width: int | None = None) -> str:
    """Clean, collapse all whitespace (newlines included) to single spaces and, when
    ``width`` is given, cut to at most ``width`` terminal cells with a trailing ``…``."""
    s = _WS.sub(" ", clean(text)).strip()
    if width is None:
        return s
    if width <= 0:
        return ""
    if cell_width(s) <= width:
        return s
    out: list[str] = []
    used = 0
    for ch in s:
        w = char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"
