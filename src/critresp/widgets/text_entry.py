"""Text entry widgets whose editing keys keep their order with the typed characters.

Textual's ``Input`` and ``TextArea`` insert a typed character in their own key
handler, but their bound keys (backspace, delete, arrows, home/end, ctrl+w, enter
to submit, ...) bubble up to the app first and run there. Keys that reach the app
together -- typed while the console was busy for a moment, or sent over a slow
remote terminal -- are then applied out of order: "b", "a", backspace, "c" gives
"bac", not "bc" (Textual issue #6605; the fix proposed upstream, PR #6631, runs the
widget's own bindings in its key handler as below). For a reply or a note every
word goes to a customer or into the case record, so the console's text entries run
their own bindings in order.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea


class OrderedKeys:
    """Mixin for a text entry widget: its own (non-priority) key bindings run in its
    key handler, in order with the characters it inserts. Priority bindings were
    already checked by the app before the key reached the widget; keys the widget
    does not bind bubble up as before."""

    async def _on_key(self, event: events.Key) -> None:
        # The widget's own handler first (printable keys; TextArea's enter / tab /
        # escape). Textual calls every class's ``_on_key`` along the MRO itself, so
        # for a key neither handles, the widget's runs again after this one (it only
        # restarts the cursor blink); a handled key ends that walk (prevent_default).
        await super()._on_key(event)  # type: ignore[misc]
        if event._stop_propagation or self.loading:  # type: ignore[attr-defined]
            return  # (handled; or a loading widget, which the app's binding chain skips)
        bindings = self._bindings.copy()  # type: ignore[attr-defined]
        keymap = self.app._keymap  # type: ignore[attr-defined]
        if keymap:
            bindings.apply_keymap(keymap)  # the user's remapped keys, as the app applies them
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if binding.priority:
                continue
            if await self.app.run_action(binding.action, self):  # type: ignore[attr-defined]
                event.stop()
                event.prevent_default()  # (handled here: not again by the app)
                return


class TextInput(OrderedKeys, Input):
    """``Input`` whose editing keys keep their order with the typed characters."""


class TextEditor(OrderedKeys, TextArea):
    """``TextArea`` whose editing keys keep their order with the typed characters."""
