"""Pricing rules, tier 1: pure functions, no I/O."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tickets.pricing import (
    MAX_TICKETS,
    SERVICE_FEE,
    PricingError,
    Quote,
    QuoteRequest,
    Tier,
    best_discount,
    parse_tier,
    quote,
)

pytestmark = pytest.mark.unit

EVENT_DAY = date(2030, 6, 1)
LATE = EVENT_DAY - timedelta(days=3)  # no early-bird discount


def request(
    base: int = 100_000,
    quantity: int = 1,
    tier: Tier = Tier.STANDARD,
    booked: date = LATE,
    promo: str = "",
) -> QuoteRequest:
    return QuoteRequest(base, quantity, tier, EVENT_DAY, booked, promo)


def test_single_standard_ticket() -> None:
    priced = quote(request())
    assert priced == Quote(subtotal=100_000, discount=0, discount_reason="", fees=2_500, vat=7_175)
    assert priced.total == 109_675


def test_quantity_multiplies_price_and_fees() -> None:
    priced = quote(request(quantity=3))
    assert priced.subtotal == 300_000
    assert priced.fees == 3 * SERVICE_FEE


@pytest.mark.parametrize(("tier", "subtotal"), [
    (Tier.STANDARD, 100_000),
    (Tier.VIP, 150_000),
    (Tier.STUDENT, 80_000),
])  # fmt: skip
def test_tier_factors(tier: Tier, subtotal: int) -> None:
    assert quote(request(tier=tier)).subtotal == subtotal


def test_early_bird_at_thirty_days() -> None:
    priced = quote(request(booked=EVENT_DAY - timedelta(days=30)))
    assert (priced.discount, priced.discount_reason) == (10_000, "early bird")


def test_no_early_bird_at_twenty_nine_days() -> None:
    assert quote(request(booked=EVENT_DAY - timedelta(days=29))).discount == 0


def test_group_discount_from_five_tickets() -> None:
    priced = quote(request(quantity=5))
    assert (priced.discount, priced.discount_reason) == (25_000, "group")


def test_no_group_discount_for_four_tickets() -> None:
    assert quote(request(quantity=4)).discount == 0


@pytest.mark.parametrize("code", ["WELCOME10", "welcome10", "  Welcome10 "])
def test_promo_codes_ignore_case_and_spaces(code: str) -> None:
    priced = quote(request(promo=code))
    assert (priced.discount, priced.discount_reason) == (10_000, "promo WELCOME10")


def test_unknown_promo_code_is_refused() -> None:
    with pytest.raises(PricingError, match="unknown promo code 'FREE'"):
        quote(request(promo="FREE"))


def test_only_the_best_discount_applies() -> None:
    early_group = request(quantity=5, booked=EVENT_DAY - timedelta(days=60), promo="FRIENDS15")
    assert best_discount(early_group)[1] == "promo FRIENDS15"
    assert quote(early_group).discount == 75_000


def test_vat_is_charged_after_discount_on_fees_too() -> None:
    priced = quote(request(quantity=5))
    assert priced.vat == round((500_000 - 25_000 + 5 * SERVICE_FEE) * 0.07)


def test_rounding_is_half_up() -> None:
    assert quote(request(base=5, tier=Tier.VIP)).subtotal == 8  # 7.5 -> 8


def test_free_event_still_pays_fees() -> None:
    priced = quote(request(base=0))
    assert priced.total == SERVICE_FEE + round(SERVICE_FEE * 0.07)


@pytest.mark.parametrize("quantity", [0, -1, MAX_TICKETS + 1])
def test_quantity_limits(quantity: int) -> None:
    with pytest.raises(PricingError, match="quantity"):
        quote(request(quantity=quantity))


def test_max_quantity_is_allowed() -> None:
    assert quote(request(quantity=MAX_TICKETS)).subtotal == MAX_TICKETS * 100_000


def test_negative_price_is_refused() -> None:
    with pytest.raises(PricingError, match="negative"):
        quote(request(base=-1))


def test_booking_after_the_event_is_refused() -> None:
    with pytest.raises(PricingError, match="over"):
        quote(request(booked=EVENT_DAY + timedelta(days=1)))


def test_booking_on_the_day_is_allowed() -> None:
    assert quote(request(booked=EVENT_DAY)).total > 0


@pytest.mark.parametrize(("text", "tier"), [("VIP", Tier.VIP), (" student ", Tier.STUDENT)])
def test_parse_tier(text: str, tier: Tier) -> None:
    assert parse_tier(text) is tier


def test_parse_tier_names_the_choices() -> None:
    with pytest.raises(PricingError, match="use one of standard, vip, student"):
        parse_tier("gold")


def test_quote_as_dict_includes_total() -> None:
    data = quote(request()).as_dict()
    assert data["total"] == 109_675
    assert set(data) == {"subtotal", "discount", "discount_reason", "fees", "vat", "total"}
