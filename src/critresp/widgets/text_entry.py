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

The same burst can carry keys typed after a key whose effect comes later: Enter,
whose ``Submitted`` the screen handles after the entry has taken the keys queued
behind it (a form read its field with them in it, a search searched for them, the
macro list filtered as keys come moved under the Enter), or a key bound above the
entry (tab, escape, ctrl+s), whose action moves the focus through the app later.
The entry holds the keys behind such a key until the app has done its part (the
``Submitted`` handled all the way up; the app's queue past the action's requests),
then takes them in order: as typed, if it still has the focus; in the entry now
focused on the same screen (typing goes on in the next field after a tab); else
they are dropped -- typed at a list whose rows the associate has not seen yet (a
single key there is a command: "c" claims a case) or at a screen that changed.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Input, TextArea


class HoldEnded(Message, bubble=False):
    """Posted to a text entry itself: one of the holds on its keys has ended."""


def _copy(event: events.Key | events.Paste) -> events.Key | events.Paste:
    """A fresh copy of a key or paste (the one handed over ends where it was held)."""
    return events.Key(event.key, event.character) if isinstance(event, events.Key) else events.Paste(event.text)


class OrderedKeys:
    """Mixin for a text entry widget: the bindings of a key it does not take itself
    run in its key handler, in order with the characters it inserts -- its own
    (non-priority) bindings and those of its containers, screen and app, as the app
    runs them once the key has bubbled up to it. Priority bindings were already
    checked by the app before the key reached the widget. Keys behind one whose
    effect comes later are held, then taken as the module docstring says."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds = 0
        self._held: list[events.Key | events.Paste] = []

    def _hold(self) -> None:
        self._holds += 1

    def _end_hold(self) -> None:
        """(From any task.) The entry takes its held keys once it has handled this."""
        if not self.post_message(HoldEnded()):  # type: ignore[attr-defined]
            self._holds, self._held = 0, []  # (closing: it takes nothing more)

    async def on_hold_ended(self, message: HoldEnded) -> None:
        self._holds = max(0, self._holds - 1)
        while self._held and not self._holds:  # (a held key may start a new hold: tab, enter)
            event = self._held.pop(0)
            event.set_sender(self.app)  # type: ignore[attr-defined]
            event._set_forwarded()  # (as the app hands keys to the focused widget)
            await self._dispatch_message(event)  # type: ignore[attr-defined]

    def _held_back(self, event: events.Key | events.Paste) -> bool:
        if self._holds:
            self._held.append(_copy(event))
        elif not self._focus_left(event):
            return False
        event.stop()
        event.prevent_default()  # (not taken here, now)
        return True

    def _focus_left(self, event: events.Key | events.Paste) -> bool:
        """Whether the focus left the entry after ``event`` was handed to it; if so the
        event goes on to the entry now focused on this screen, or is dropped."""
        screen = self.screen  # type: ignore[attr-defined]
        if screen.focused is self and self.app.screen is screen:  # type: ignore[attr-defined]
            return False
        target = screen.focused
        if isinstance(target, OrderedKeys) and self.app.screen is screen:  # type: ignore[attr-defined]
            target._forward_event(_copy(event).set_sender(self.app))  # type: ignore[attr-defined]
        return True

    async def _on_key(self, event: events.Key) -> None:
        # (Textual calls every class's ``_on_key`` along the MRO itself, the widget's
        # after this one unless a handled key prevents it: so for a key neither
        # handles, the widget's runs twice; it only restarts the cursor blink.)
        if self._held_back(event):
            return
        await super()._on_key(event)  # type: ignore[misc]  # printable keys; TextArea's enter / tab / escape
        if event._stop_propagation or self.loading:  # type: ignore[attr-defined]
            return  # (handled; or a loading widget, which the app's binding chain skips)
        # the chain from this entry up to the app, with the user's keymap
        # (``Screen._binding_chain``), non-priority bindings, as ``App._check_bindings``
        # runs it once the key has bubbled up
        app = self.app  # type: ignore[attr-defined]
        for namespace, bindings in self.screen._modal_binding_chain:  # type: ignore[attr-defined]
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if binding.priority or not await app.run_action(binding.action, namespace):
                    continue
                event.stop()
                event.prevent_default()  # (handled here: not again by the app)
                if namespace is not self:
                    # an action above the entry may move the focus, which Textual does
                    # later (``Widget.focus`` asks the app to): the keys after this one
                    # wait until the app's queue is past that
                    self._hold()
                    if not app.call_later(self._end_hold):
                        self._end_hold()
                return

    def _on_paste(self, event: events.Paste) -> None:
        self._held_back(event)


class TextInput(OrderedKeys, Input):
    """``Input`` whose editing keys keep their order with the typed characters, and
    which holds the keys behind its Enter until that Enter's ``Submitted`` has been
    handled (module docstring)."""

    class Submitted(Input.Submitted, namespace="input"):
        """``Input.Submitted`` (same handlers: ``on_input_submitted``,
        ``@on(Input.Submitted)``) that tells its ``TextInput`` when it has been
        handled all the way up: by the node that stopped it, or by the last one it
        bubbled to. A callback is queued behind it at each node it reaches; it runs
        once that node has handled the message (queues are first in, first out), and
        finds the message either gone on to a parent or ended there."""

        def __init__(self, input: Input, value: str, validation_result: Any = None) -> None:
            super().__init__(input, value, validation_result)
            self._at: MessagePump = input
            self._done = False

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
            if not self._done and isinstance(self.input, TextInput):
                self._done = True
                self.input._end_hold()

    def post_message(self, message: Any) -> bool:
        if not isinstance(message, TextInput.Submitted):
            return super().post_message(message)
        # Textual checks prevent() / disable_messages() by exact type: Input.Submitted's
        if self._is_prevented(Input.Submitted) or Input.Submitted in self._disabled_messages:
            return False
        if posted := super().post_message(message):
            self._hold()
            message._track(self)
        return posted


class TextEditor(OrderedKeys, TextArea):
    """``TextArea`` whose editing keys keep their order with the typed characters."""
