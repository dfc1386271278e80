"""Cron computation and the scheduler daemon with a manual clock (no sleeping)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conveyor.errors import UserError
from conveyor.store.schedule import FiringStore
from conveyor.triggers import ManualClock, ScheduleEntry, Scheduler, next_fire_times


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_bangkok_one_am_fires_at_18_utc_the_previous_day() -> None:
    times = next_fire_times("0 1 * * *", "Asia/Bangkok", utc(2024, 5, 1, 12, 0), 2)
    assert times == [utc(2024, 5, 1, 18, 0), utc(2024, 5, 2, 18, 0)]


def test_utc_cron_without_timezone() -> None:
    assert next_fire_times("0 18 * * *", None, utc(2024, 5, 1, 18, 0), 2) == [
        utc(2024, 5, 2, 18, 0),
        utc(2024, 5, 3, 18, 0),
    ]


def test_dst_gap_advances_to_the_next_valid_time() -> None:
    # 2024-03-10: America/New_York jumps from 02:00 EST to 03:00 EDT.
    times = next_fire_times("30 2 * * *", "America/New_York", utc(2024, 3, 9, 12, 0), 3)
    assert times == [utc(2024, 3, 10, 7, 0), utc(2024, 3, 11, 6, 30), utc(2024, 3, 12, 6, 30)]
    # several slots inside the gap fire once
    many = next_fire_times("*/15 2 * * *", "America/New_York", utc(2024, 3, 10, 5, 0), 2)
    assert many == [utc(2024, 3, 10, 7, 0), utc(2024, 3, 11, 6, 0)]


def test_dst_overlap_fires_once() -> None:
    # 2024-11-03: 01:00-02:00 happens twice in America/New_York.
    times = next_fire_times("30 1 * * *", "America/New_York", utc(2024, 11, 2, 12, 0), 2)
    assert times == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30)]


def test_bad_cron_and_zone_are_user_errors() -> None:
    with pytest.raises(UserError, match="cron"):
        next_fire_times("61 * * * *", None, utc(2024, 1, 1), 1)
    with pytest.raises(UserError, match="time zone"):
        next_fire_times("0 1 * * *", "Mars/Base", utc(2024, 1, 1), 1)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, datetime]] = []
        self.lock = threading.Lock()

    def __call__(self, entry: ScheduleEntry, slot: datetime, cancel: threading.Event) -> str:
        with self.lock:
            self.calls.append((entry.workflow_path, entry.cron, slot))
        return "success"


REPO = "github.com/acme/app"  # firings are claimed per repository
BKK = ScheduleEntry("wf/bkk.yml", "bkk", "0 1 * * *", "Asia/Bangkok", REPO)
UTC18 = ScheduleEntry("wf/utc.yml", "utc", "0 18 * * *", repository=REPO)


def make(
    tmp_path: Path, clock: ManualClock, entries: list[ScheduleEntry], **kw: object
) -> tuple[Scheduler, Recorder, FiringStore]:
    store = FiringStore(tmp_path / "state")
    fire = Recorder()
    return Scheduler(entries, store, fire, clock, **kw), fire, store  # type: ignore[arg-type]


def test_daemon_loop_fires_each_slot_once_in_order(tmp_path: Path) -> None:
    clock = ManualClock(utc(2024, 5, 1, 12, 0), limit=utc(2024, 5, 3, 0, 0))
    scheduler, fire, store = make(tmp_path, clock, [BKK, UTC18])
    scheduler.run()
    slots = sorted((c[2], c[0]) for c in fire.calls)
    assert slots == [
        (utc(2024, 5, 1, 18, 0), "wf/bkk.yml"),
        (utc(2024, 5, 1, 18, 0), "wf/utc.yml"),
        (utc(2024, 5, 2, 18, 0), "wf/bkk.yml"),
        (utc(2024, 5, 2, 18, 0), "wf/utc.yml"),
    ]
    # it slept straight to each slot (no polling)
    assert clock.sleeps == [utc(2024, 5, 1, 18, 0), utc(2024, 5, 2, 18, 0)]
    assert {f.status for f in store.firings()} == {"success"}
    store.close()


def test_restart_does_not_fire_a_slot_twice(tmp_path: Path) -> None:
    clock = ManualClock(utc(2024, 5, 1, 17, 0), limit=utc(2024, 5, 1, 20, 0))
    first, fire1, store1 = make(tmp_path, clock, [UTC18])
    first.run()
    store1.close()
    assert len(fire1.calls) == 1
    # restart 10 minutes after the slot, same database: catch-up sees it was fired
    clock2 = ManualClock(utc(2024, 5, 1, 18, 10), limit=utc(2024, 5, 1, 20, 0))
    again, fire2, store2 = make(tmp_path, clock2, [UTC18])
    again.run()
    assert fire2.calls == []
    assert len(store2.firings()) == 1
    store2.close()


def test_missed_slot_is_caught_up_once_within_grace(tmp_path: Path) -> None:
    clock = ManualClock(utc(2024, 5, 1, 18, 40), limit=utc(2024, 5, 1, 23, 0))
    scheduler, fire, store = make(tmp_path, clock, [UTC18])
    scheduler.run()
    assert fire.calls == [("wf/utc.yml", "0 18 * * *", utc(2024, 5, 1, 18, 0))]
    again, fire2, _ = make(tmp_path, ManualClock(utc(2024, 5, 1, 18, 50)), [UTC18])
    assert again.catch_up() == 0 and fire2.calls == []
    store.close()


def test_missed_slot_older_than_grace_is_dropped(tmp_path: Path) -> None:
    clock = ManualClock(utc(2024, 5, 1, 19, 30), limit=utc(2024, 5, 1, 23, 0))
    scheduler, fire, store = make(tmp_path, clock, [UTC18])
    scheduler.run()
    assert fire.calls == []
    short, fire2, _ = make(
        tmp_path, ManualClock(utc(2024, 5, 1, 18, 20)), [UTC18], grace=timedelta(minutes=10)
    )
    assert short.catch_up() == 0 and fire2.calls == []
    store.close()


def test_once_at_fires_exactly_the_due_slots(tmp_path: Path) -> None:
    clock = ManualClock(utc(2024, 1, 1))
    scheduler, fire, store = make(tmp_path, clock, [BKK, UTC18])
    assert scheduler.fire_at(utc(2024, 5, 1, 17, 0)) == 0
    assert scheduler.fire_at(utc(2024, 5, 1, 18, 0, 30)) == 2
    assert scheduler.fire_at(utc(2024, 5, 1, 18, 0)) == 0  # already fired
    assert {c[2] for c in fire.calls} == {utc(2024, 5, 1, 18, 0)}
    store.close()


def test_once_at_in_a_dst_gap(tmp_path: Path) -> None:
    entry = ScheduleEntry("wf/ny.yml", "ny", "30 2 * * *", "America/New_York", REPO)
    scheduler, _fire, store = make(tmp_path, ManualClock(utc(2024, 1, 1)), [entry])
    assert scheduler.fire_at(utc(2024, 3, 10, 6, 30)) == 0
    assert scheduler.fire_at(utc(2024, 3, 10, 7, 0)) == 1
    store.close()


def test_stop_cancels_running_firings_and_marks_them(tmp_path: Path) -> None:
    started = threading.Event()

    def slow(entry: ScheduleEntry, slot: datetime, cancel: threading.Event) -> str:
        started.set()
        cancel.wait(10)
        return "cancelled" if cancel.is_set() else "success"

    store = FiringStore(tmp_path / "state")

    class WaitingClock(ManualClock):
        def sleep_until(self, when: datetime, stop: threading.Event) -> bool:
            stop.wait(10)  # a real clock would sleep until tomorrow; SIGTERM comes first
            return False

    scheduler = Scheduler([UTC18], store, slow, WaitingClock(utc(2024, 5, 1, 18, 5)))
    thread = threading.Thread(target=scheduler.run)
    thread.start()
    assert started.wait(5)
    scheduler.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert [f.status for f in store.firings()] == ["cancelled"]
    store.close()


class LateClock(ManualClock):
    """Wakes ``lag`` after the requested time, as a real sleep does."""

    def __init__(self, start: datetime, limit: datetime, lag: timedelta) -> None:
        super().__init__(start, limit)
        self.lag = lag

    def sleep_until(self, when: datetime, stop: threading.Event) -> bool:
        woke = super().sleep_until(when, stop)
        if woke:
            self.current = self.current + self.lag
        return woke


def test_a_slot_woken_slightly_late_still_fires_with_zero_grace(tmp_path: Path) -> None:
    clock = LateClock(utc(2024, 5, 1, 17, 0), utc(2024, 5, 1, 19, 0), timedelta(seconds=0.3))
    scheduler, fire, store = make(tmp_path, clock, [UTC18], grace=timedelta(0))
    scheduler.run()
    assert [c[2] for c in fire.calls] == [utc(2024, 5, 1, 18, 0)]
    store.close()


def test_a_slot_woken_far_too_late_is_missed_without_grace(tmp_path: Path) -> None:
    clock = LateClock(utc(2024, 5, 1, 17, 0), utc(2024, 5, 1, 19, 0), timedelta(minutes=5))
    scheduler, fire, store = make(tmp_path, clock, [UTC18], grace=timedelta(0))
    scheduler.run()
    assert fire.calls == []
    store.close()
