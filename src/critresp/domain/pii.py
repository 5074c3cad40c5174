"""Masked forms of party PII (always safe to show) and the display name.

Masks never reveal more than they state: an email keeps its first letter and
top-level domain, a phone its last two digits, an address its last component
(the city) with digits hidden. The clear value is only shown after an audited
RevealPii.
"""

from __future__ import annotations

import re

from .text import one_line

MASK = "•••"
_DIGIT = re.compile(r"\d")


def mask_email(email: str | None) -> str:
    """``dana.rivers@example.co.uk`` -> ``d•••@e•••.uk``."""
    e = one_line(email)
    local, at, domain = e.rpartition("@")
    if not at or not local or not domain:
        return MASK if e else ""
    host, dot, tld = domain.rpartition(".")
    masked_domain = f"{host[:1]}{MASK}.{tld}" if dot and host and tld else f"{domain[:1]}{MASK}"
    return f"{local[:1]}{MASK}@{masked_domain}"


def mask_phone(phone: str | None) -> str:
    """``+1 (555) 123-4567`` -> ``•••-•••-••67``: only the last two digits survive."""
    digits = "".join(_DIGIT.findall(phone or ""))
    if not digits:
        return ""
    if len(digits) < 4:
        return MASK
    return f"•••-•••-••{digits[-2:]}"


def mask_address(address: str | None) -> str:
    """``12 Oak Street, Apt 4, Springfield`` -> ``•••, Springfield``: only the last
    comma-separated component (the city) is kept, with any digits (postcode) hidden."""
    a = one_line(address)
    if not a:
        return ""
    parts = [p.strip() for p in a.split(",") if p.strip()]
    if len(parts) < 2:
        return MASK
    city = _DIGIT.sub("•", parts[-1])
    return f"{MASK}, {city}"


def display_name(first: str | None, last: str | None) -> str:
    """``("Dana", "Rivers")`` -> ``"Dana R."``; not treated as PII."""
    f = one_line(first)
    last_clean = one_line(last)
    initial = f"{last_clean[0].upper()}." if last_clean else ""
    name = " ".join(x for x in (f, initial) if x)
    return name or "(no name)"


def identity_terms(
    first: str | None = None,
    last: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> tuple[str, ...]:
    """Terms that identify a person (for ``macros.check_draft(reporter_terms=...)``):
    names, full name, phone, email -- empty ones left out."""
    parts = [one_line(first), one_line(last)]
    full = " ".join(p for p in parts if p)
    out: list[str] = []
    for t in (*parts, full if len(full.split()) > 1 else "", one_line(phone), one_line(email)):
        if t and t not in out:
            out.append(t)
    return tuple(out)
