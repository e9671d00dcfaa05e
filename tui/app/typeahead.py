"""Keys typed ahead reach what they were typed for, in the order typed.

Textual sends a key to the widget focused when the key is read, and goes on to the next key before that widget has
handled it; keys bound at the app (F5, ctrl+s, ...) act at once, ahead of keys still on their way. Over SSH, keys
typed while the screen lags arrive together, and things went wrong:
- "Tab 80" in a form: the 80 went to the list the Tab was leaving;
- "ctrl+s b.csv Enter": the name went to an export dialog still being built, and was lost, and the Enter exported
  to the default name;
- "... T Enter F5" in the region form: F5 measured the region selected before the Enter had added the new one;
- "ctrl+s b.csv Enter ctrl+n": the region form opened over the export dialog before the Enter had saved, and the
  export never happened.
So while a key is being handled (its messages, and theirs, until every message pump is idle), or a screen that
has just opened has not settled, the keys behind it wait, and then go on one by one; a paste waits in line with
them. A key waits at most MAX_WAIT, or NEW_SCREEN_WAIT on a new screen (a busy screen, such as a light curve
being measured, may never fall quiet). Keys typed one at a time, as at a local terminal, wait only for a screen
that has just opened to be drawn; 60 keys arriving together take 0.1 s instead of 0.02 s.
"""

from __future__ import annotations

import asyncio
from time import monotonic

from textual import events

MAX_WAIT = 0.15  # seconds a key waits for the one before it to be handled (a held arrow key must not lag)
NEW_SCREEN_WAIT = 1.0  # ... and for a screen that has just opened to settle (its focus set: keys typed into it)
SPIN = 0.02
POLL = 0.005


class TypeAhead:
    """Mixed into the App, before textual.app.App."""

    _held_keys: tuple | list = ()  # keys and pastes (a list per app once one waits)
    _busy = False  # a key was sent and may not have been handled yet
    _since = 0.0  # when the key was sent (or, on a new screen, when the first key began to wait)
    _settled_screen = None  # the active screen once the app has been quiet on it

    async def on_event(self, event: events.Event) -> None:
        if not (isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded and self.screen_stack):
            await super().on_event(event)
        elif self._held_keys or self._busy or self.screen is not self._settled_screen:
            if not self._held_keys:
                self._held_keys = []
                if not self._busy:  # a screen has opened: it is drawn, and its focus set, after a refresh
                    self._since = monotonic()
                    self.call_after_refresh(self._next_key)
            self._held_keys.append(event)
        else:
            await self._send(event)

    async def _send(self, event: events.Key | events.Paste) -> None:
        self._busy, self._since = True, monotonic()
        try:
            await super().on_event(event)
        finally:  # whatever the key did, the keys behind it must not wait for ever
            self.call_later(self._next_key)  # after what the key set going has been queued: not a frame later

    async def _next_key(self) -> None:
        if not self.screen_stack:
            return
        waited = monotonic() - self._since
        limit = NEW_SCREEN_WAIT if self.screen is not self._settled_screen else MAX_WAIT
        if self._held_keys and not self._quiet():
            if waited < limit:
                # at once while other message pumps get their turn in between; after a while, on a timer (a
                # light curve being measured keeps the app busy, and the CPU is better left to it)
                if waited < SPIN:  # posted from the event loop: posted now, the app would run it before any other
                    asyncio.get_running_loop().call_soon(self.call_later, self._next_key)
                else:
                    self.set_timer(POLL, self._next_key)
                return
            # The app does not fall quiet: every key waiting goes on now, as Textual would send them, so that
            # keys repeated faster than MAX_WAIT (an arrow held down) do not fall further and further behind.
            self._settled_screen = self.screen
            keys, self._held_keys = self._held_keys, []
            for key in keys[:-1]:
                await super().on_event(key)
            await self._send(keys[-1])
            return
        self._busy = False
        self._settled_screen = self.screen
        if self._held_keys:
            await self._send(self._held_keys.pop(0))

    def _quiet(self) -> bool:
        """Whether every message pump of the active screen (and the screens, and the app) has nothing waiting and
        is not in the middle of a message: a message bubbling up the DOM is in no queue while a handler holds it,
        and a pump that holds none waits on its queue. Textual has no public way to ask; should its internals
        change, every pump counts as quiet and keys wait only for the screen to be redrawn."""
        if any(_pump_busy(pump, parked=True) for pump in (*self.screen_stack, *self.screen.walk_children())):
            return False
        return not _pump_busy(self, parked=False)  # the app is running this: it holds a message by definition


def _pump_busy(pump, parked: bool) -> bool:
    """A message waits for the pump, or (`parked`: it should be waiting for one) it is handling one."""
    try:
        if pump._message_queue.qsize() or pump._next_callbacks or pump._pending_message is not None:
            return True
        return parked and pump.is_running and not pump._message_queue.ready_event._waiters
    except AttributeError:
        return False
