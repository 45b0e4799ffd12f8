"""The watcher's watchdog set-up: the events asked for, moves paired without a stall."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import pytest
from watchdog.events import FileClosedNoWriteEvent, FileOpenedEvent

from hotreload.observer import event_kinds, prompt_queue_class
from hotreload.watcher import Watcher

TIMEOUT = 5.0  # a failure bound, not a delay


def _get_in_thread(q: Any) -> queue.Queue[Any]:
    got: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=lambda: got.put(q.get()), daemon=True).start()
    return got


def test_a_held_move_that_gets_its_pair_is_handed_on_at_once() -> None:
    # watchdog holds an IN_MOVED_FROM back to pair it; the pairing event
    # replaces it with the pair. A reader already waiting on the held one
    # must take the pair at once, not sleep out the hold (here a minute).
    q = prompt_queue_class()(60.0)
    held, pair = object(), object()
    q.put(held, delay=True)
    got = _get_in_thread(q)
    # What watchdog's move grouper does when the IN_MOVED_TO arrives.
    assert q.remove(lambda element: element is held) is held
    q.put(pair)
    assert got.get(timeout=TIMEOUT) is pair


def test_a_held_move_without_a_pair_comes_out_after_its_hold() -> None:
    q = prompt_queue_class()(0.01)
    held = object()
    q.put(held, delay=True)
    assert _get_in_thread(q).get(timeout=TIMEOUT) is held


def test_closing_wakes_a_waiting_reader() -> None:
    q = prompt_queue_class()(60.0)
    q.put(object(), delay=True)
    got = _get_in_thread(q)
    q.close()
    assert got.get(timeout=TIMEOUT) is None


def test_the_watcher_asks_only_for_the_events_it_uses(tmp_path: Path) -> None:
    kinds = event_kinds()
    assert FileClosedNoWriteEvent in kinds  # the echoes of its reads
    assert FileOpenedEvent not in kinds
    with Watcher([tmp_path], lambda changes: None) as watcher:
        observer = watcher._observer
        assert observer is not None
        filters = [emitter.watch.event_filter for emitter in observer.emitters]
    assert filters == [frozenset(kinds)]


def test_the_installed_watchdog_gets_the_prompt_queue(tmp_path: Path) -> None:
    # The swap depends on watchdog's inner layout: a watchdog release that
    # changes it must fail here, not quietly bring the stall back.
    with Watcher([tmp_path], lambda changes: None) as watcher:
        if watcher.backend != "inotify":
            pytest.skip("only the inotify emitter pairs moves")
        observer = watcher._observer
        assert observer is not None
        queues = [
            emitter._inotify._move_event_grouper._queue  # type: ignore[attr-defined]
            for emitter in observer.emitters
        ]
    assert [type(q) for q in queues] == [prompt_queue_class()]
