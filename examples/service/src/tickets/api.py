"""The JSON HTTP API, on the standard library's ``http.server``.

GET  /health                          -> {"status": "ok"}
GET  /events                          -> list of events with seats left
POST /events                          {name, day, base_price, capacity} -> 201 event
GET  /events/<id>                     -> event with seats left
POST /events/<id>/quote               {quantity, tier, promo_code?, today?} -> quote
POST /events/<id>/bookings            {customer, quantity, tier, promo_code?, today?} -> 201
GET  /events/<id>/bookings            -> list of bookings
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tickets.pricing import PricingError, QuoteRequest, parse_tier, quote
from tickets.repository import Event, NotFound, Repository, SoldOut

Json = dict[str, Any]
Route = Callable[["Api", re.Match[str], Json], tuple[HTTPStatus, Any]]


class BadRequest(ValueError):
    pass


def _field(body: Json, name: str, kind: type, default: Any = None) -> Any:
    value = body.get(name, default)
    if value is None or not isinstance(value, kind) or isinstance(value, bool):
        raise BadRequest(f"field {name!r} must be a {kind.__name__}")
    return value


def _day(body: Json, name: str, default: date | None = None) -> date:
    raw = body.get(name)
    if raw is None and default is not None:
        return default
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise BadRequest(f"field {name!r} must be a date like 2030-01-31") from None


class Api:
    """The routes, over one repository."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository

    def event_json(self, event: Event) -> Json:
        return {
            "id": event.id,
            "name": event.name,
            "day": event.day.isoformat(),
            "base_price": event.base_price,
            "capacity": event.capacity,
            "seats_left": self.repository.seats_left(event.id),
        }

    def health(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        return HTTPStatus.OK, {"status": "ok", "events": len(self.repository.events())}

    def list_events(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        return HTTPStatus.OK, [self.event_json(e) for e in self.repository.events()]

    def create_event(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        event = self.repository.add_event(
            _field(body, "name", str), _day(body, "day"),
            _field(body, "base_price", int), _field(body, "capacity", int),
        )  # fmt: skip
        return HTTPStatus.CREATED, self.event_json(event)

    def get_event(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        return HTTPStatus.OK, self.event_json(self.repository.event(int(match["id"])))

    def quote(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        event = self.repository.event(int(match["id"]))
        request = QuoteRequest(
            event.base_price, _field(body, "quantity", int),
            parse_tier(_field(body, "tier", str, "standard")), event.day,
            _day(body, "today", date.today()), _field(body, "promo_code", str, ""),
        )  # fmt: skip
        return HTTPStatus.OK, quote(request).as_dict()

    def book(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        booking, priced = self.repository.book(
            int(match["id"]), _field(body, "customer", str), _field(body, "quantity", int),
            parse_tier(_field(body, "tier", str, "standard")), _day(body, "today", date.today()),
            _field(body, "promo_code", str, ""),
        )  # fmt: skip
        return HTTPStatus.CREATED, {"id": booking.id, "quote": priced.as_dict()}

    def list_bookings(self, match: re.Match[str], body: Json) -> tuple[HTTPStatus, Any]:
        bookings = self.repository.bookings(int(match["id"]))
        return HTTPStatus.OK, [
            {"id": b.id, "customer": b.customer, "quantity": b.quantity,
             "tier": b.tier.value, "total": b.total}
            for b in bookings
        ]  # fmt: skip

    def dispatch(self, method: str, path: str, body: Json) -> tuple[HTTPStatus, Any]:
        for route_method, pattern, handler in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                try:
                    return handler(self, match, body)
                except (BadRequest, PricingError) as exc:
                    return HTTPStatus.BAD_REQUEST, {"error": str(exc)}
                except NotFound as exc:
                    return HTTPStatus.NOT_FOUND, {"error": str(exc)}
                except SoldOut as exc:
                    return HTTPStatus.CONFLICT, {"error": str(exc)}
        return HTTPStatus.NOT_FOUND, {"error": f"no route {method} {path}"}


ROUTES: list[tuple[str, re.Pattern[str], Route]] = [
    ("GET", re.compile(r"/health"), Api.health),
    ("GET", re.compile(r"/events"), Api.list_events),
    ("POST", re.compile(r"/events"), Api.create_event),
    ("GET", re.compile(r"/events/(?P<id>\d+)"), Api.get_event),
    ("POST", re.compile(r"/events/(?P<id>\d+)/quote"), Api.quote),
    ("POST", re.compile(r"/events/(?P<id>\d+)/bookings"), Api.book),
    ("GET", re.compile(r"/events/(?P<id>\d+)/bookings"), Api.list_bookings),
]


class Handler(BaseHTTPRequestHandler):
    api: Api  # set on the subclass make_server builds
    quiet = True

    def _respond(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        except json.JSONDecodeError:
            status, payload = HTTPStatus.BAD_REQUEST, {"error": "body is not JSON"}
        else:
            if not isinstance(body, dict):
                status, payload = HTTPStatus.BAD_REQUEST, {"error": "body must be an object"}
            else:
                status, payload = self.api.dispatch(method, self.path.split("?")[0], body)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def make_server(
    repository: Repository, host: str = "127.0.0.1", port: int = 0
) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (0: any free port); call ``serve_forever`` to run it."""
    handler = type("BoundHandler", (Handler,), {"api": Api(repository)})
    return ThreadingHTTPServer((host, port), handler)
