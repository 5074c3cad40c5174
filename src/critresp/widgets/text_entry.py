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

The same burst can carry keys typed after Enter. Textual hands them to the entry
before the screen has handled its ``Submitted`` (the entry's queue holds them
first), so a form would read a field with them in it, a search would search for
them, and a list filtered as they are typed would have moved under the Enter. A
``TextInput`` therefore drops the keys that reach it after its Enter until its
``Submitted`` has been handled all the way up (``_SubmitTracker``): they were meant
for whatever the Enter led to, and are dropped rather than replayed there (a stray
"c" must not claim a case).
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.message_pump import MessagePump
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


class _Submitted(Input.Submitted):
    """``Input.Submitted`` that tells its ``TextInput`` when it has been handled all
    the way up: by the node that stopped it, or by the last one it bubbled to. A
    callback is queued behind it at each node it reaches; it runs once that node has
    handled the message (queues are first in, first out), and finds the message
    either gone on to a parent (nothing to do) or ended there (handled)."""

    def __init__(self, input: Input, value: str, validation_result: Any = None) -> None:
        super().__init__(input, value, validation_result)
        self._at: MessagePump = input

    def _track(self, node: MessagePump) -> None:
        self._at = node
        if not node.call_later(self._check, node):  # (a closing node handles nothing more)
            self._ended()

    def _bubble_to(self, widget: MessagePump) -> None:
        super()._bubble_to(widget)
        self._track(widget)

    def _check(self, node: MessagePump) -> None:
        if self._at is node:  # it did not go on from here
            self._ended()

    def _ended(self) -> None:
        entry = self.input
        if isinstance(entry, TextInput) and entry._submit_pending is self:
            entry._submit_pending = None


# handled by the same methods as Input's (``on_input_submitted``, ``@on(Input.Submitted)``)
_Submitted.handler_name = Input.Submitted.handler_name


class TextInput(OrderedKeys, Input):
    """``Input`` whose editing keys keep their order with the typed characters, and
    which drops keys that reach it after its Enter until that Enter's ``Submitted``
    has been handled (module docstring)."""

    Submitted = _Submitted  # what ``Input.action_submit`` posts

    _submit_pending: _Submitted | None = None

    def post_message(self, message: Any) -> bool:
        posted = super().post_message(message)
        if posted and isinstance(message, _Submitted) and message.input is self:
            self._submit_pending = message  # (this entry's own submit, not one bubbling through)
            message._track(self)
        return posted

    # (Textual calls each class's ``_on_<event>`` along the MRO, Input's after these,
    # unless one prevents the default: so none of these calls its super's)
    def _on_key(self, event: events.Key) -> None:
        if self._submit_pending is not None:
            event.stop()
            event.prevent_default()  # typed after Enter, before it was handled: dropped

    def _on_paste(self, event: events.Paste) -> None:
        if self._submit_pending is not None:
            event.stop()
            event.prevent_default()

    def _on_blur(self, event: events.Blur) -> None:
        # the focus moved on: keys reach the entry again only once it is focused anew,
        # and the ones it got before the move were ahead of this in its queue
        self._submit_pending = None


class TextEditor(OrderedKeys, TextArea):
    """``TextArea`` whose editing keys keep their order with the typed characters."""
