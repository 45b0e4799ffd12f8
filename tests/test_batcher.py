"""ChangeBatcher driven by a fake clock: no threads, no files, no sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotreload.watcher import ChangeBatcher

A = Path("/r/a.py")
B = Path("/r/b.py")
C = Path("/r/c.py")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def batcher(clock: FakeClock) -> ChangeBatcher:
    return ChangeBatcher(debounce=0.02, clock=clock, close_timeout=1.0)


def test_empty_batcher_is_not_due(batcher: ChangeBatcher) -> None:
    assert batcher.due() is None
    assert batcher.take() == []
    assert len(batcher) == 0


def test_batch_is_due_after_a_quiet_period(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.add(A)
    assert batcher.due() == pytest.approx(0.02)
    clock.advance(0.01)
    batcher.add(A)  # a second event restarts the quiet period
    clock.advance(0.019)
    due = batcher.due()
    assert due is not None
    assert due > 0
    assert batcher.take() == []  # not ready: nothing handed out, nothing lost
    assert len(batcher) == 1
    clock.advance(0.001)
    assert batcher.due() == 0.0
    assert batcher.take() == [A]


def test_take_empties_the_batcher(batcher: ChangeBatcher, clock: FakeClock) -> None:
    batcher.add(A)
    clock.advance(1)
    assert batcher.take() == [A]
    assert len(batcher) == 0
    assert batcher.due() is None
    assert batcher.take() == []


def test_dedupes_and_keeps_order_of_first_arrival(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    for path in (B, A, B, C, A, B):
        batcher.add(path)
        clock.advance(0.001)
    assert len(batcher) == 3
    assert list(batcher) == [B, A, C]
    clock.advance(0.02)
    assert batcher.take() == [B, A, C]


def test_an_open_file_holds_the_batch_until_closed(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.add(A, complete=False)
    batcher.add(B)
    clock.advance(0.5)  # quiet for long, but A's writer has not closed it
    assert batcher.due() == pytest.approx(0.5)
    assert batcher.take() == []
    batcher.closed(A)
    assert batcher.due() == 0.0
    assert batcher.take() == [A, B]


def test_close_restarts_nothing_but_a_later_add_does(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.add(A, complete=False)
    clock.advance(0.005)
    batcher.closed(A)
    batcher.add(A)  # what the watcher does on IN_CLOSE_WRITE
    assert batcher.due() == pytest.approx(0.02)
    clock.advance(0.02)
    assert batcher.take() == [A]


def test_close_timeout_caps_the_wait(batcher: ChangeBatcher, clock: FakeClock) -> None:
    batcher.add(A, complete=False)
    clock.advance(0.999)
    assert batcher.take() == []
    clock.advance(0.001)
    assert batcher.due() == 0.0
    assert batcher.take() == [A]


def test_close_timeout_counts_from_the_latest_open_add(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.add(A, complete=False)
    clock.advance(0.8)
    batcher.add(A, complete=False)  # still being written
    clock.advance(0.8)
    assert batcher.due() == pytest.approx(0.2)
    clock.advance(0.2)
    assert batcher.take() == [A]


def test_discard_open_stops_waiting(batcher: ChangeBatcher, clock: FakeClock) -> None:
    batcher.add(A, complete=False)
    batcher.discard_open(A)  # moved away or deleted: no close will come
    batcher.add(A)
    clock.advance(0.02)
    assert batcher.take() == [A]


def test_close_of_an_unknown_path_is_harmless(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.closed(A)
    batcher.discard_open(B)
    assert batcher.due() is None
    assert len(batcher) == 0


def test_take_clears_open_state(batcher: ChangeBatcher, clock: FakeClock) -> None:
    batcher.add(A, complete=False)
    clock.advance(1.0)
    assert batcher.take() == [A]  # released by the timeout
    batcher.add(A)  # a fresh batch must not wait for the old open
    clock.advance(0.02)
    assert batcher.take() == [A]


@pytest.fixture
def settling(clock: FakeClock) -> ChangeBatcher:
    return ChangeBatcher(debounce=0.02, clock=clock, close_timeout=1.0, settle=0.004)


def test_a_lone_finished_save_waits_only_the_settle(
    settling: ChangeBatcher, clock: FakeClock
) -> None:
    settling.add(A, complete=False)  # modified: the writer is at work
    clock.advance(0.001)
    settling.closed(A)
    settling.add(A, final=True)  # IN_CLOSE_WRITE ends the save
    assert settling.due() == pytest.approx(0.004)
    clock.advance(0.004)
    assert settling.take() == [A]


def test_a_file_renamed_away_waits_the_whole_debounce(
    settling: ChangeBatcher, clock: FakeClock
) -> None:
    # vim and JetBrains rename the module away before the new one lands.
    settling.add(A)
    assert settling.due() == pytest.approx(0.02)
    clock.advance(0.003)
    settling.add(A, final=True)  # the new file renamed or closed in place
    assert settling.due() == pytest.approx(0.004)
    settling.add(A)  # and away again: back to the whole debounce
    assert settling.due() == pytest.approx(0.02)


def test_several_files_wait_the_whole_debounce(
    settling: ChangeBatcher, clock: FakeClock
) -> None:
    settling.add(A, final=True)
    clock.advance(0.003)
    settling.add(B, final=True)  # a multi-file change: keep them together
    assert settling.due() == pytest.approx(0.02)
    clock.advance(0.02)
    assert settling.take() == [A, B]


def test_settle_never_exceeds_the_debounce(clock: FakeClock) -> None:
    batcher = ChangeBatcher(0.01, clock, settle=0.5)
    assert batcher.settle == 0.01
    assert ChangeBatcher(0.01, clock).settle == 0.01  # default: no fast path


def test_zero_debounce_is_due_at_once(clock: FakeClock) -> None:
    batcher = ChangeBatcher(0, clock)
    batcher.add(A)
    assert batcher.due() == 0.0
    assert batcher.take() == [A]


@pytest.mark.parametrize(("debounce", "close_timeout"), [(-1, 1.0), (0.1, -0.5)])
def test_rejects_negative_times(debounce: float, close_timeout: float) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ChangeBatcher(debounce, close_timeout=close_timeout)


def test_repr_counts_paths(batcher: ChangeBatcher) -> None:
    batcher.add(A, complete=False)
    batcher.add(B)
    assert repr(batcher) == "<ChangeBatcher 2 path(s), 1 open>"


def test_put_back_returns_paths_to_the_front(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    batcher.add(A)
    batcher.add(B)
    clock.advance(0.02)
    taken = batcher.take()
    batcher.add(C)  # arrived while A and B were read
    batcher.add(B)
    batcher.put_back(taken)
    assert list(batcher) == [A, B, C]
    assert batcher.due() == pytest.approx(0.02)  # the quiet period C started
    clock.advance(0.02)
    assert batcher.take() == [A, B, C]


def test_the_latest_write_still_open_sets_the_ready_time(
    batcher: ChangeBatcher, clock: FakeClock
) -> None:
    start = clock()
    assert batcher.ready_at() is None
    batcher.add(A, complete=False)
    clock.advance(0.1)
    batcher.add(B, complete=False)
    clock.advance(0.1)
    batcher.add(A, complete=False)  # A written again: now the latest
    assert batcher.ready_at() == pytest.approx(start + 0.2 + 1.0)
    batcher.closed(A)  # B, open since 0.1, holds the batch now
    assert batcher.ready_at() == pytest.approx(start + 0.1 + 1.0)
    assert batcher.due() == pytest.approx(0.9)
    batcher.discard_open(B)
    assert batcher.ready_at() == pytest.approx(start + 0.2 + 0.02)
    clock.advance(0.02)
    assert batcher.take() == [A, B]
    assert batcher.ready_at() is None


def test_thousands_of_open_files_are_timed_by_the_latest(clock: FakeClock) -> None:
    batcher = ChangeBatcher(debounce=0.02, clock=clock, close_timeout=1.0)
    paths = [Path(f"/r/m{i}.py") for i in range(3000)]
    for path in paths:  # a checkout: each file created, not yet closed
        batcher.add(path, complete=False)
        clock.advance(0.0001)
    for path in paths[:-1]:
        batcher.closed(path)
        batcher.add(path, final=True)
    assert batcher.due() == pytest.approx(1.0 - 0.0001)  # the last one is open
    batcher.closed(paths[-1])
    batcher.add(paths[-1], final=True)
    assert batcher.due() == pytest.approx(0.02)
    clock.advance(0.02)
    assert batcher.take() == paths
