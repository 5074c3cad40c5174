"""Modal dialogs: confirm, pick one of a list, and small forms.

Modals never touch the store: they return plain values to the screen that
opened them, which then applies the mutation in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ..widgets.text_entry import TextEditor, TextInput


def _literal(label: "str | Text") -> Text:
    """Widgets parse a str label as markup; every label here is shown literally."""
    return label if isinstance(label, Text) else Text(str(label))


MODAL_CSS = """
.dialog {
    width: 90;
    max-width: 95%;
    height: auto;
    max-height: 90%;
    border: thick $accent;
    background: $surface;
    padding: 1 2;
}
.dialog-title { text-style: bold; margin-bottom: 1; }
.dialog-buttons { height: auto; margin-top: 1; align-horizontal: right; }
.dialog-buttons Button { margin-left: 2; }
.field-label { margin-top: 1; color: $text-muted; }
.form-error { color: $error; text-style: bold; height: auto; }
.dialog TextArea { height: 8; }
"""


class ConfirmModal(ModalScreen[bool]):
    """Yes / no with an explicit statement of what will happen."""

    DEFAULT_CSS = "ConfirmModal { align: center middle; }" + MODAL_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("y", "confirm", "Confirm", id="confirm.yes"),
    ]

    def __init__(self, title: str | Text, body: Text, confirm_label: str = "Confirm", *, danger: bool = False) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(_literal(self._title), classes="dialog-title")
            yield Static(_literal(self._body), id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(f"{self._confirm_label} (y)", id="ok", variant="error" if self._danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "ok")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class PickerModal(ModalScreen[Any]):
    """Pick one value from a list (Enter picks, Escape cancels)."""

    DEFAULT_CSS = "PickerModal { align: center middle; } PickerModal OptionList { height: auto; max-height: 24; }" + MODAL_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str | Text, options: Sequence[tuple[Any, str | Text]], *, current: Any = None) -> None:
        super().__init__()
        self._title = title
        self._values = [v for v, _ in options]
        self._labels = [label for _, label in options]
        self._current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_literal(self._title), classes="dialog-title")
            yield OptionList(*[Option(_literal(label), id=str(i)) for i, label in enumerate(self._labels)], id="picker")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        ol.focus()
        if self._current in self._values:
            ol.highlighted = self._values.index(self._current)
        elif self._values:
            ol.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self._values[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class FieldSpec:
    name: str
    label: str
    kind: Literal["input", "text", "select", "check", "int"] = "input"
    options: Sequence[tuple[str | Text, Any]] = ()  # (label, value) for select; labels shown literally
    required: bool = False
    value: Any = None
    placeholder: str = ""
    help: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class FormModal(ModalScreen[dict[str, Any] | None]):
    """A small form. Submit validates required fields; Escape cancels."""

    DEFAULT_CSS = "FormModal { align: center middle; }" + MODAL_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Submit", id="form.submit"),
    ]

    def __init__(self, title: str | Text, fields: Sequence[FieldSpec], submit_label: str = "Next") -> None:
        super().__init__()
        self._title = title
        self._fields = list(fields)
        self._submit_label = submit_label

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(_literal(self._title), classes="dialog-title")
            for f in self._fields:
                label = f.label + (" *" if f.required else "")
                if f.kind != "check":
                    yield Label(_literal(label), classes="field-label")
                wid = f"f-{f.name}"
                if f.kind in ("input", "int"):
                    yield TextInput(
                        value="" if f.value is None else str(f.value),
                        placeholder=f.placeholder,
                        id=wid,
                        type="integer" if f.kind == "int" else "text",
                    )
                elif f.kind == "text":
                    yield TextEditor("" if f.value is None else str(f.value), id=wid, soft_wrap=True)
                elif f.kind == "select":
                    yield Select(
                        [(_literal(opt_label), opt_value) for opt_label, opt_value in f.options],
                        value=f.value if f.value is not None else Select.NULL,
                        allow_blank=not f.required or f.value is None,
                        id=wid,
                    )
                elif f.kind == "check":
                    yield Checkbox(_literal(label), value=bool(f.value), id=wid)
                if f.help:
                    yield Static(Text(f.help, style="dim"))
            yield Static("", classes="form-error", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button(f"{self._submit_label} (Ctrl+S)", id="submit", variant="primary")

    def on_mount(self) -> None:
        first = self.query(".dialog Input, .dialog TextArea, .dialog Select, .dialog Checkbox").first()
        first.focus()

    def set_value(self, name: str, value: Any) -> None:
        """Programmatic fill (tests, prefill)."""
        w = self.query_one(f"#f-{name}")
        if isinstance(w, TextArea):
            w.text = str(value)
        else:
            w.value = value  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self._fields:
            w = self.query_one(f"#f-{f.name}")
            if isinstance(w, TextArea):
                v: Any = w.text.strip()
            elif isinstance(w, Select):
                v = None if w.value is Select.NULL else w.value
            elif isinstance(w, Checkbox):
                v = bool(w.value)
            elif isinstance(w, Input):
                v = w.value.strip()
                if f.kind == "int":
                    v = int(v) if v else None
            else:  # pragma: no cover
                v = None
            out[f.name] = v if v != "" else None
        return out

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        vals = self.values()
        missing = [f.label for f in self._fields if f.required and vals.get(f.name) in (None, "")]
        if missing:
            self.query_one("#form-error", Static).update(Text("Required: " + ", ".join(missing)))
            return
        self.dismiss(vals)

    def action_cancel(self) -> None:
        self.dismiss(None)
