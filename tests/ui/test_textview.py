"""TextView: the case timeline and side panel (a Line API view of one rich Text)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.selection import Selection

from critresp.widgets.safe import safe
from critresp.widgets.textview import TextView

from .helpers import screen_text, spy


class ViewApp(App[None]):
    def __init__(self, content: Text) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        yield TextView(self.content, id="view")


async def test_untrusted_text_is_shown_as_given_and_wrapped_to_the_width() -> None:
    hostile = "[bold red]alarm[/] [@click=app.quit]x\x1b[2J" + " word" * 30
    app = ViewApp(safe(hostile))
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        text = screen_text(app)
        assert "[bold red]alarm[/]" in text
        assert "[@click=app.quit]x" in text
        width = view.scrollable_content_region.width
        assert width < 40  # the scrollbar's column is kept
        assert view.virtual_size.height == len(view._lines) > 1
        assert all(line.cell_len <= width for line in view._lines)
        assert "".join(view.shown_lines).replace(" ", "") == safe(hostile).plain.replace(" ", "")


async def test_it_scrolls_from_the_keyboard_and_rewraps_when_resized() -> None:
    content = Text("\n".join(f"line {i:03d} " + "x" * 50 for i in range(100)))
    app = ViewApp(content)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        assert view.has_focus  # the timeline takes the keys for scrolling
        assert "line 000" in screen_text(app)
        assert view.virtual_size.height == 100
        await pilot.press("end")
        await pilot.pause()
        assert view.scroll_y > 0
        assert "line 099" in screen_text(app)
        assert "line 000" not in screen_text(app)
        await pilot.resize_terminal(40, 20)
        await pilot.pause()
        assert view.virtual_size.height > 100  # each line now wraps
        assert all(line.cell_len <= view.scrollable_content_region.width for line in view._lines)


async def test_new_content_and_a_trailing_newline() -> None:
    app = ViewApp(Text("first\n"))
    async with app.run_test(size=(40, 6)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        assert view.virtual_size.height == 1  # the trailing newline ends the line
        view.update(Text("second\nthird"))
        await pilot.pause()
        text = screen_text(app)
        assert "second" in text and "third" in text and "first" not in text
        assert view.content.plain == "second\nthird"


async def test_mouse_selection_copies_the_text_as_given_not_as_wrapped() -> None:
    email = "anna.longname@example.com"
    app = ViewApp(Text.assemble(("bold part", "bold"), f" please refund order O-0000173 to {email} today\nnext line"))
    async with app.run_test(size=(24, 10)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        assert len(view.shown_lines) > 3  # wrapped
        got = view.get_selection(Selection.from_offsets(Offset(0, 0), Offset(4, 1)))
        assert got is not None
        assert got[0] == f"bold part please refund order O-0000173 to {email} today\nnext"
        # the offsets drawn on each wrapped line point into the text as given
        strips = view.render_lines(view.region.reset_offset)
        first_of_second_row = strips[1]._segments[0].style.meta["offset"]
        assert first_of_second_row[1] == 0 and first_of_second_row[0] == len(view.shown_lines[0])


async def test_content_given_while_hidden_replaces_what_was_shown() -> None:
    # the case timeline is updated while its tab is not shown (0 wide): the old case's
    # lines must not survive, even when the new text has as many lines
    class Tabs(App[None]):
        def compose(self) -> ComposeResult:
            from textual.widgets import TabbedContent, TabPane

            with TabbedContent(initial="a"):
                with TabPane("A", id="a"):
                    yield TextView(Text("old one\nold two"), id="view")
                with TabPane("B", id="b"):
                    yield TextView(Text("other"), id="other")

    app = Tabs()
    async with app.run_test(size=(40, 10)) as pilot:
        from textual.widgets import TabbedContent

        await pilot.pause()
        view = app.query_one("#view", TextView)
        assert "old one" in screen_text(app)
        app.query_one(TabbedContent).active = "b"
        await pilot.pause()
        view.update(Text("new one\nnew two"))
        assert view.shown_lines == ["new one", "new two"]
        app.query_one(TabbedContent).active = "a"
        await pilot.pause()
        text = screen_text(app)
        assert "new one" in text and "new two" in text
        assert "old" not in text


async def test_an_empty_view_and_one_never_sized() -> None:
    app = ViewApp(Text(""))
    async with app.run_test(size=(30, 5)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        assert view.shown_lines == [""]
        assert screen_text(app).strip() == ""
    unmounted = TextView(Text("x"))
    unmounted.update(Text("y"))  # not mounted: kept, wrapped when first sized
    assert unmounted.content.plain == "y" and unmounted.shown_lines == []


async def test_an_indented_line_wraps_under_its_indent_and_copies_as_given() -> None:
    body = "    " + " ".join(f"word{i:02d}" for i in range(20))
    app = ViewApp(Text.assemble(("2026-11-24 13:22 note", "bold"), "\n", body, "\nnext"))
    async with app.run_test(size=(30, 12)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        shown = view.shown_lines
        wrapped = shown[1:-1]
        assert len(wrapped) > 2 and shown[-1] == "next"
        assert all(line.startswith("    w") for line in wrapped)  # a hanging indent, not column 0
        assert all(len(line) <= view.scrollable_content_region.width for line in shown)
        assert "".join(line.strip() + " " for line in wrapped).strip() == body.strip()
        # copying from the second wrapped row's first word to the end gives the text as
        # given (selection offsets are (column, line) in the source text)
        start = body.index(wrapped[1].strip())
        got = view.get_selection(Selection.from_offsets(Offset(start, 1), Offset(4, 2)))
        assert got is not None
        assert got[0] == body[start:] + "\nnext"
        # and the offsets drawn on that row point into the source line
        strips = view.render_lines(view.region.reset_offset)
        offsets = [seg.style.meta["offset"] for seg in strips[2]._segments if seg.style and seg.style.meta]
        assert offsets[0] == (start - 4, 1)


class HangingApp(App[None]):
    def __init__(self, content: Text) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        yield TextView(self.content, id="view", continuation_indent=4)


async def test_a_line_not_indented_continues_under_a_hanging_indent_and_copies_as_given() -> None:
    header = "2026-11-24 07:25 INTERNAL order Order O-0000287 placed at Pacific Fresh #0628 - Sacramento"
    body = "    3 items, $38.24"
    app = HangingApp(Text.assemble((header[:16], "dim"), header[16:], "\n", body, "\nshort"))
    async with app.run_test(size=(34, 14)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        shown = view.shown_lines
        width = view.scrollable_content_region.width
        rows = shown[: shown.index(body)]
        assert len(rows) >= 3 and rows[0].startswith("2026-11-24 07:25")
        assert all(row.startswith("    ") and not row.startswith("     ") for row in rows[1:])  # 4 in
        assert all(len(line) <= width for line in shown)
        assert " ".join(row.strip() for row in rows) == header
        assert shown[-2:] == [body, "short"]  # an indented line and a short one: unchanged
        # copying from the second row's first word to the end of the next line gives the
        # text as given, and the offsets drawn on that row point into the line as given
        start = header.index(rows[1].strip())
        got = view.get_selection(Selection.from_offsets(Offset(start, 0), Offset(len(body), 1)))
        assert got is not None and got[0] == header[start:] + "\n" + body
        strips = view.render_lines(view.region.reset_offset)
        offsets = [seg.style.meta["offset"] for seg in strips[1]._segments if seg.style and seg.style.meta]
        assert offsets[0] == (start - 4, 0)  # at column 0: the row's first character is at column 4
        assert view.shown_lines[1][4:].startswith(header[start:start + 5])


async def test_no_hanging_indent_unless_asked_or_on_a_narrow_view() -> None:
    line = "word " * 20
    app = ViewApp(Text(line.strip()))
    async with app.run_test(size=(30, 12)) as pilot:
        await pilot.pause()
        shown = app.query_one(TextView).shown_lines
        assert len(shown) > 2 and all(row.startswith("word") for row in shown)
    app2 = HangingApp(Text(line.strip()))
    async with app2.run_test(size=(11, 30)) as pilot:  # 4 > a third of the width: none
        await pilot.pause()
        shown = app2.query_one(TextView).shown_lines
        assert len(shown) > 2 and all(row.startswith("word") for row in shown)


class SplitApp(App[None]):
    """A view under another widget: the mouse can be elsewhere."""

    def __init__(self, content: Text) -> None:
        super().__init__()
        self.content = content

    def compose(self) -> ComposeResult:
        from textual.widgets import Static

        yield Static("top", id="top")
        yield TextView(self.content, id="view")


def _offsets(strips) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    return [seg.style.meta["offset"] for strip in strips for seg in strip._segments
            if seg.style and "offset" in seg.style.meta]


async def test_selection_offsets_are_drawn_while_the_mouse_is_over_the_view_and_a_drag_copies() -> None:
    app = SplitApp(Text("alpha beta gamma\nsecond line"))
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.hover("#top")
        await pilot.pause()
        view = app.query_one("#view", TextView)
        # the mouse elsewhere: rows are drawn without offsets (cheaper; nothing to select)
        assert _offsets(view.render_lines(view.region.reset_offset)) == []
        assert not view._offsets
        await pilot.hover("#view", offset=(3, 0))
        await pilot.pause()
        assert view._offsets  # the Enter drew them again
        offsets = _offsets(view.render_lines(view.region.reset_offset))
        assert (0, 0) in offsets and (0, 1) in offsets
        # a drag over the view selects, and the selection copies the text as given
        await pilot.mouse_down("#view", offset=(0, 0))
        await pilot.hover("#view", offset=(5, 1))
        await pilot.mouse_up("#view", offset=(5, 1))
        await pilot.pause()
        assert app.screen.get_selected_text() == "alpha beta gamma\nsecond"


async def test_another_text_of_another_length_is_laid_out_only_when_its_scrollbar_comes_or_goes() -> None:
    """The case screen gives its views another case's text on every open: a text of
    another length changes the view's virtual height only, which needs no layout pass
    of the screen unless the scrollbar appears or goes (docs/performance.md, session 10)."""
    from .test_direct_lines import _bar_lines_both_ways

    def lines(n: int, tag: str) -> Text:
        return Text("\n".join(f"{tag} {i:02d}" for i in range(n)))

    app = ViewApp(lines(5, "first"))
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        view = app.query_one(TextView)
        layouts: list[object] = []
        spy(app.screen, "_refresh_layout", layouts)
        bar = view.vertical_scrollbar

        view.update(lines(3, "second"))  # shorter, still no scrollbar
        await pilot.pause()
        assert layouts == []
        assert view.virtual_size.height == 3 and not view.show_vertical_scrollbar
        text = screen_text(app)
        assert "second 02" in text and "first" not in text

        view.update(lines(30, "third"))  # the scrollbar comes: a layout pass
        await pilot.pause()
        assert layouts != [] and view.show_vertical_scrollbar and bar.display
        assert bar.window_virtual_size == 30
        await pilot.pause()  # (the scrollbar's own follow-up)

        layouts.clear()
        view.update(lines(40, "fourth"))  # longer, the scrollbar stays
        await pilot.pause()
        assert layouts == []
        # what the layout pass did for a new virtual size is done all the same:
        # the scrollbar's range and the scroll offset's bounds
        assert view.virtual_size.height == 40 and bar.window_virtual_size == 40
        mine, textual = _bar_lines_both_ways(bar)
        assert mine == textual
        await pilot.press("end")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y == 40 - view.scrollable_content_region.height
        assert "fourth 39" in screen_text(app)

        view.update(lines(38, "fifth"))  # scrolled to the end of a longer text: kept in bounds
        await pilot.pause()
        assert layouts == []
        assert view.scroll_y == view.max_scroll_y == 38 - view.scrollable_content_region.height
        assert "fifth 37" in screen_text(app)

        view.update(lines(2, "sixth"))  # the scrollbar goes: a layout pass
        await pilot.pause()
        assert layouts != [] and not view.show_vertical_scrollbar and view.scroll_y == 0
        assert "sixth 01" in screen_text(app)
