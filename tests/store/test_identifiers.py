"""Party identifiers (phone, address, device, payment) normalised for link detection."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from critresp.store import convert as cv

from store_data import party


def test_normalised_forms() -> None:
    assert cv.norm_phone("+1 (415) 555-0100") == "4155550100" == cv.norm_phone("415.555.0100")
    assert cv.norm_phone("") == "" and cv.norm_phone(None) == ""  # type: ignore[arg-type]
    assert cv.norm_address("12  Main St., Apt #4") == "12 main st apt 4" == cv.norm_address("12 MAIN ST APT 4")
    assert cv.norm_address("Straße 5, Köln") == "strasse 5 köln"
    assert cv.norm_address(" ,.; ") == "" and cv.norm_token("  Dev-ABC ") == "dev-abc"


@given(st.text())
def test_address_words_are_the_runs_of_word_characters(v: str) -> None:
    # the earlier definition: non-word runs become spaces, then whitespace is collapsed
    assert cv.norm_address(v) == " ".join(re.sub(r"[^\w]+", " ", v.casefold()).split())


def test_party_identifier_pairs_sorted_unique_and_short_phones_dropped() -> None:
    p = party("C1").model_copy(update={
        "phone": "+1 415 555 0100", "address": "1 Elm St.", "devices": ("D-1", " d-1 ", ""),
        "payment_fingerprints": ("FP-9",),
    })
    assert cv.party_identifier_pairs(p) == [
        ("address", "1 elm st"), ("device", "d-1"), ("payment", "fp-9"), ("phone", "4155550100")]
    assert all(k != "phone" for k, _ in cv.party_identifier_pairs(p.model_copy(update={"phone": "555-01"})))
