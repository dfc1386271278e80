"""The SQLite repository, tier 2: a real database file in a temp dir."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from tickets.pricing import Tier
from tickets.repository import NotFound, Repository, SoldOut

pytestmark = pytest.mark.integration

DAY = date(2030, 6, 1)
TODAY = date(2030, 5, 1)


def test_events_survive_reopening(tmp_path: Path) -> None:
    first = Repository(tmp_path / "t.db")
    created = first.add_event("Jazz night", DAY, 50_000, 100)
    again = Repository(tmp_path / "t.db")
    assert again.event(created.id) == created
    assert again.events() == [created]


def test_booking_prices_and_counts_seats(repository: Repository) -> None:
    event = repository.add_event("Jazz night", DAY, 50_000, 10)
    booking, priced = repository.book(event.id, "ann", 4, Tier.VIP, TODAY)
    assert booking.total == priced.total
    assert priced.discount_reason == "early bird"
    assert repository.seats_left(event.id) == 6
    assert repository.bookings(event.id) == [booking]


def test_overbooking_is_refused_and_stores_nothing(repository: Repository) -> None:
    event = repository.add_event("Small room", DAY, 10_000, 3)
    repository.book(event.id, "ann", 2, Tier.STANDARD, TODAY)
    with pytest.raises(SoldOut, match="only 1 seats left"):
        repository.book(event.id, "bob", 2, Tier.STANDARD, TODAY)
    assert [b.customer for b in repository.bookings(event.id)] == ["ann"]


def test_unknown_event(repository: Repository) -> None:
    with pytest.raises(NotFound):
        repository.book(42, "ann", 1, Tier.STANDARD, TODAY)


def test_concurrent_bookings_never_oversell(repository: Repository) -> None:
    event = repository.add_event("Popular", DAY, 10_000, 5)
    outcomes: list[str] = []

    def buy(customer: str) -> None:
        try:
            repository.book(event.id, customer, 1, Tier.STANDARD, TODAY)
            outcomes.append("ok")
        except SoldOut:
            outcomes.append("sold out")

    threads = [threading.Thread(target=buy, args=(f"c{n}",)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 5
    assert repository.seats_left(event.id) == 0
