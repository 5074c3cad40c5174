"""Keys that reach the console together (typed while it was busy, or over a slow
remote terminal) are applied in the order they were typed: an editing key such as
backspace or an arrow is not overtaken by the characters typed after it (Textual
#6605: a widget's own bindings ran only after the key bubbled up to the app)."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ComposeResult

from critresp.screens.modals import FieldSpec, FormModal
from critresp.screens.queue import QueueScreen
from critresp.screens.reply import ReplyScreen
from critresp.widgets.text_entry import TextEditor, TextInput

from .helpers import settle
from .test_flows import SIZE, _open_reply

# typed "b", "a", backspace, "c", left, "x": "bxc"
BURST = (("b", "b"), ("a", "a"), ("backspace", None), ("c", "c"), ("left", None), ("x", "x"))


def _send_together(app: App, keys) -> None:  # type: ignore[no-untyped-def]
    """The keys handed to the app at once, as the terminal driver hands over what
    it read in one go (no pause for the app to handle one before the next)."""
    for key, char in keys:
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


class _One(App):
    def __init__(self, widget) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


@pytest.mark.parametrize(("make_entry", "text_of"), [
    (TextInput, lambda w: w.value),
    (TextEditor, lambda w: w.text),
], ids=["TextInput", "TextEditor"])
async def test_a_text_entry_applies_keys_sent_together_in_order(make_entry, text_of) -> None:  # type: ignore[no-untyped-def]
    app = _One(make_entry())
    async with app.run_test() as pilot:
        app.widget.focus()
        await pilot.pause()
        _send_together(app, BURST)
        await pilot.pause()
        assert text_of(app.widget) == "bxc"


def _typed(text: str) -> list[tuple[str, str | None]]:
    """The keys that type ``text`` (key name, character)."""
    return [("space" if c == " " else c, c) for c in text]


async def _search_box_open(pilot) -> QueueScreen:  # type: ignore[no-untyped-def]
    """The queue, settled, with its search box open and focused ("/")."""
    await settle(pilot)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    await pilot.press("slash")
    await settle(pilot)
    return queue


async def test_a_search_typed_with_a_correction_and_enter_at_once_searches_what_was_meant(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue = await _search_box_open(pilot)
        # "refx", backspace, "und", Enter: a search for "refund", not "refun" or "refxun"
        _send_together(app, _typed("refx") + [("backspace", None)] + _typed("und") + [("enter", "\r")])
        await settle(pilot)
        assert queue.query_state.search == "refund"
        assert app.focused is queue.table


async def test_keys_typed_after_enter_in_the_search_box_are_not_searched_for(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue = await _search_box_open(pilot)
        # "refund", Enter, then "j" meant for the table, all at once: the search is
        # "refund" (what Enter was pressed on), not "refundj"
        _send_together(app, _typed("refund") + [("enter", "\r"), ("j", "j")])
        await settle(pilot)
        assert queue.query_state.search == "refund"
        # and the box's debounce, when it fires, has nothing else to apply
        assert queue.query_one("#search").value == "refund"
        assert queue._apply_search() is False
        assert queue.query_state.search == "refund"


async def test_a_reply_draft_typed_with_corrections_at_once_reads_as_typed(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        assert isinstance(reply, ReplyScreen)
        draft = reply.query_one("#draft", TextEditor)
        draft.focus()
        draft.text = ""
        await settle(pilot)
        # "We cals", backspace twice, "lled yoo", backspace, "u": "We called you"
        _send_together(app, _typed("We cals") + [("backspace", None)] * 2 + _typed("lled yoo")
                       + [("backspace", None), ("u", "u")])
        await settle(pilot)
        assert draft.text == "We called you"


class _Form(App):
    """A form modal over an empty screen; what it was dismissed with is kept."""

    def __init__(self) -> None:
        super().__init__()
        self.result: object = "not dismissed"

    def on_mount(self) -> None:
        fields = [FieldSpec("name", "Name", required=True), FieldSpec("note", "Note")]
        self.push_screen(FormModal("Save the view", fields, "Save"), self._done)

    def _done(self, values) -> None:  # type: ignore[no-untyped-def]
        self.result = values


async def test_keys_typed_after_enter_in_a_form_field_are_not_submitted_with_it() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert isinstance(app.focused, TextInput)
        # "Nights", Enter, "x" at once: the form is submitted with "Nights"
        _send_together(app, _typed("Nights") + [("enter", "\r"), ("x", "x")])
        await pilot.pause()
        await pilot.pause()
        assert app.result == {"name": "Nights", "note": None}


async def test_a_text_input_takes_keys_again_once_its_enter_was_handled() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        field = app.focused
        assert isinstance(field, TextInput)
        # a required field left empty: Enter leaves the form open (and the focus in
        # the field); what is typed after Enter was handled goes into it
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == "not dismissed" and app.focused is field
        await pilot.press("o", "k")
        assert field.value == "ok"
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == {"name": "ok", "note": None}


async def test_keys_typed_after_enter_in_the_macro_search_do_not_change_the_macro_picked(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        search = reply.query_one("#macro-search", TextInput)
        search.focus()

        async def top_for(query: str):  # type: ignore[no-untyped-def]
            search.value = query
            await settle(pilot)
            return reply._visible[0]

        wanted, other = await top_for("still rev"), await top_for("ban")
        assert wanted != other
        search.value = ""
        await settle(pilot)
        # "still rev", Enter, then the search rewritten to "ban", all at once: the
        # macro Enter was pressed on is the one picked
        _send_together(app, _typed("still rev") + [("enter", "\r")] + [("backspace", None)] * 9 + _typed("ban"))
        await settle(pilot)
        assert reply.macro == wanted
        assert search.value == "still rev"
