"""Keys that reach the console together (typed while it was busy, or over a slow
remote terminal) are applied in the order they were typed: an editing key such as
backspace or an arrow is not overtaken by the characters typed after it (Textual
#6605: a widget's own bindings ran only after the key bubbled up to the app)."""

from __future__ import annotations

import asyncio

import pytest
from textual import events
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Input

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
    for item in keys:
        event = item if isinstance(item, events.Paste) else events.Key(*item)
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


def _assert_box_settled(queue: QueueScreen, text: str) -> None:
    """The search box holds ``text``, the search is ``text``, and the box's debounce,
    when it fires, has nothing else to apply."""
    assert queue.query_one("#search").value == text
    assert queue._apply_search() is False
    assert queue.query_state.search == text


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
        _assert_box_settled(queue, "refund")


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


async def test_keys_typed_after_an_enter_that_leaves_the_focus_in_the_field_go_into_it() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        field = app.focused
        assert isinstance(field, TextInput)
        # a required field left empty: Enter leaves the form open and the focus in the
        # field; "o" and a paste of "k", sent with the Enter, go into it after it
        _send_together(app, [("enter", "\r"), ("o", "o"), events.Paste("k")])
        await pilot.pause()
        await pilot.pause()
        assert app.result == "not dismissed" and app.focused is field
        assert field.value == "ok"
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == {"name": "ok", "note": None}


async def test_typing_goes_on_in_the_next_field_after_a_tab_sent_with_it() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        # "Nights", tab, "late", ctrl+s at once: each field gets its own text, and the
        # form is submitted after them (tab and ctrl+s are the screen's bindings)
        _send_together(app, _typed("Nights") + [("tab", "\t")] + _typed("late") + [("ctrl+s", None)])
        await pilot.pause()
        await pilot.pause()
        assert app.result == {"name": "Nights", "note": "late"}


async def test_a_key_sent_after_esc_in_the_search_box_is_not_a_command_on_the_table(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        queue = await _search_box_open(pilot)
        # "ref", Esc, "c" at once: Esc closes the box and focuses the table (the
        # screen's binding); the "c" was typed before the associate saw the table
        # again and does not claim its highlighted case
        _send_together(app, _typed("ref") + [("escape", None), ("c", "c")])
        await settle(pilot)
        assert app.focused is queue.table
        box = queue.query_one("#search")
        assert box.display is False
        assert store.sync_status().pending == 0
        # nor is it left in the closed box, for its debounce to search for
        _assert_box_settled(queue, "")


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
        # macro Enter was pressed on is the one picked, and the keys typed after it
        # are taken afterwards (the focus was still in the box)
        _send_together(app, _typed("still rev") + [("enter", "\r")] + [("backspace", None)] * 9 + _typed("ban"))
        await settle(pilot)
        assert reply.macro == wanted
        assert search.value == "ban"


async def test_keys_typed_after_enter_in_the_subject_are_kept() -> None:
    app = _One(TextInput())
    async with app.run_test() as pilot:
        app.widget.focus()
        await pilot.pause()
        # nothing handles this field's Enter; "Re", Enter, " refund" at once
        _send_together(app, _typed("Re") + [("enter", "\r")] + _typed(" refund"))
        await pilot.pause()
        assert app.widget.value == "Re refund"


class _Slow(App):
    """A text input in a container whose Submitted handler waits (an async handler)
    until the test lets it go; it records the input's value it then sees."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.seen: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield TextInput(id="entry")

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        await self.gate.wait()
        self.seen.append(self.query_one("#entry", TextInput).value)


async def test_keys_after_enter_wait_until_every_handler_up_the_tree_is_done() -> None:
    app = _Slow()
    async with app.run_test() as pilot:
        entry = app.query_one("#entry", TextInput)
        entry.focus()
        await pilot.pause()
        _send_together(app, _typed("ab") + [("enter", "\r")] + _typed("cd"))
        await pilot.pause()
        assert entry.value == "ab"  # "cd" held while the app's handler runs
        app.gate.set()
        await pilot.pause()
        await pilot.pause()
        assert app.seen == ["ab"]
        assert entry.value == "abcd"


async def test_a_prevented_submit_is_not_posted() -> None:
    app = _Slow()
    async with app.run_test() as pilot:
        entry = app.query_one("#entry", TextInput)
        entry.focus()
        await pilot.pause()
        with entry.prevent(Input.Submitted):
            await entry.action_submit()
        await pilot.press("x")
        app.gate.set()
        await pilot.pause()
        assert app.seen == []
        assert entry.value == "x"  # and nothing is held
