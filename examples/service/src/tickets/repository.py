"""Events and bookings in SQLite. Booking checks capacity and prices in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tickets.pricing import Quote, QuoteRequest, Tier, quote

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    day TEXT NOT NULL,
    base_price INTEGER NOT NULL,
    capacity INTEGER NOT NULL CHECK (capacity >= 0)
);
CREATE TABLE IF NOT EXISTS bookings (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events (id),
    customer TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    tier TEXT NOT NULL,
    total INTEGER NOT NULL
);
"""


class NotFound(LookupError):
    pass


class SoldOut(RuntimeError):
    pass


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    day: date
    base_price: int
    capacity: int


@dataclass(frozen=True)
class Booking:
    id: int
    event_id: int
    customer: str
    quantity: int
    tier: Tier
    total: int


class Repository:
    """One SQLite file; a connection per call, so it is safe across server threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        finally:
            db.close()

    def add_event(self, name: str, day: date, base_price: int, capacity: int) -> Event:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO events (name, day, base_price, capacity) VALUES (?, ?, ?, ?)",
                (name, day.isoformat(), base_price, capacity),
            )
        return Event(int(cursor.lastrowid or 0), name, day, base_price, capacity)

    def event(self, event_id: int) -> Event:
        with self._connect() as db:
            row = db.execute(
                "SELECT id, name, day, base_price, capacity FROM events WHERE id = ?", (event_id,)
            ).fetchone()
        if row is None:
            raise NotFound(f"no event {event_id}")
        return Event(row[0], row[1], date.fromisoformat(row[2]), row[3], row[4])

    def events(self) -> list[Event]:
        with self._connect() as db:
            rows = db.execute("SELECT id FROM events ORDER BY day, id").fetchall()
        return [self.event(row[0]) for row in rows]

    def seats_left(self, event_id: int) -> int:
        with self._connect() as db:
            return self._seats_left(db, self.event(event_id))

    @staticmethod
    def _seats_left(db: sqlite3.Connection, event: Event) -> int:
        sold = db.execute(
            "SELECT COALESCE(SUM(quantity), 0) FROM bookings WHERE event_id = ?", (event.id,)
        ).fetchone()[0]
        return event.capacity - int(sold)

    def book(
        self, event_id: int, customer: str, quantity: int, tier: Tier, today: date, promo: str = ""
    ) -> tuple[Booking, Quote]:
        """Price and store a booking; :class:`SoldOut` when too few seats are left."""
        event = self.event(event_id)
        priced = quote(QuoteRequest(event.base_price, quantity, tier, event.day, today, promo))
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: no overselling
            try:
                left = self._seats_left(db, event)
                if quantity > left:
                    raise SoldOut(f"only {left} seats left for {event.name}")
                cursor = db.execute(
                    "INSERT INTO bookings (event_id, customer, quantity, tier, total)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (event_id, customer, quantity, tier.value, priced.total),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        booking_id = int(cursor.lastrowid or 0)
        return Booking(booking_id, event_id, customer, quantity, tier, priced.total), priced

    def bookings(self, event_id: int) -> list[Booking]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, event_id, customer, quantity, tier, total FROM bookings"
                " WHERE event_id = ? ORDER BY id",
                (event_id,),
            ).fetchall()
        return [Booking(r[0], r[1], r[2], r[3], Tier(r[4]), r[5]) for r in rows]
