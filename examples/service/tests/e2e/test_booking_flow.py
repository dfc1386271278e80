"""End to end, tier 4: create an event, quote, book until sold out, all over HTTP."""

from __future__ import annotations

import pytest

from conftest import Client

pytestmark = pytest.mark.e2e


def test_sell_out_an_event(server: Client) -> None:
    status, event = server.call(
        "POST", "/events", {"name": "Rooftop gig", "day": "2030-06-01", "base_price": 80_000,
                            "capacity": 6}
    )  # fmt: skip
    assert status == 201
    assert event["seats_left"] == 6
    path = f"/events/{event['id']}"

    status, quoted = server.call(
        "POST", f"{path}/quote", {"quantity": 5, "tier": "student", "today": "2030-05-25"}
    )
    assert status == 200
    assert (quoted["subtotal"], quoted["discount_reason"]) == (320_000, "group")

    order = {"customer": "ann", "quantity": 5, "tier": "student", "today": "2030-05-25"}
    status, booked = server.call("POST", f"{path}/bookings", order)
    assert status == 201
    assert booked["quote"] == quoted  # the price quoted is the price paid

    status, refused = server.call("POST", f"{path}/bookings", {**order, "customer": "bob"})
    assert (status, refused) == (409, {"error": "only 1 seats left for Rooftop gig"})

    status, _ = server.call("POST", f"{path}/bookings", {**order, "quantity": 1})
    assert status == 201
    assert server.call("GET", path)[1]["seats_left"] == 0
    status, bookings = server.call("GET", f"{path}/bookings")
    assert [(b["customer"], b["quantity"]) for b in bookings] == [("ann", 5), ("ann", 1)]
    assert server.call("GET", "/health")[1] == {"status": "ok", "events": 1}


@pytest.mark.parametrize(("body", "error"), [
    ({"quantity": "two"}, "field 'quantity' must be a int"),
    ({"quantity": 1, "tier": "gold"}, "unknown tier 'gold'; use one of standard, vip, student"),
    ({"quantity": 1, "today": "soon"}, "field 'today' must be a date like 2030-01-31"),
    ({"quantity": 1, "promo_code": "FREE"}, "unknown promo code 'FREE'"),
], ids=["quantity", "tier", "date", "promo"])  # fmt: skip
def test_bad_requests_are_explained(server: Client, body: dict[str, object], error: str) -> None:
    _, event = server.call(
        "POST", "/events", {"name": "x", "day": "2030-06-01", "base_price": 1, "capacity": 1}
    )
    status, answer = server.call("POST", f"/events/{event['id']}/quote", body)
    assert (status, answer) == (400, {"error": error})
