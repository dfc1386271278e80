"""Pure pricing rules: no I/O, amounts in integer satang (1/100 baht).

A quote starts from the event's base price per ticket, applies the tier, then at most
the best one of the discounts (early bird, group, promo code), then adds a per-ticket
service fee and VAT on the whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MAX_TICKETS = 10
SERVICE_FEE = 2_500  # per ticket
VAT_RATE = Decimal("0.07")
EARLY_BIRD_DAYS = 30
EARLY_BIRD_RATE = Decimal("0.10")
GROUP_SIZE = 5
GROUP_RATE = Decimal("0.05")
PROMO_CODES: dict[str, Decimal] = {"WELCOME10": Decimal("0.10"), "FRIENDS15": Decimal("0.15")}


class PricingError(ValueError):
    """The request can't be priced; the message says why."""


class Tier(StrEnum):
    STANDARD = "standard"
    VIP = "vip"
    STUDENT = "student"


TIER_FACTORS: dict[Tier, Decimal] = {
    Tier.STANDARD: Decimal("1"),
    Tier.VIP: Decimal("1.5"),
    Tier.STUDENT: Decimal("0.8"),
}


@dataclass(frozen=True)
class QuoteRequest:
    base_price: int  # per ticket
    quantity: int
    tier: Tier
    event_day: date
    booking_day: date
    promo_code: str = ""


@dataclass(frozen=True)
class Quote:
    subtotal: int  # tickets after tier
    discount: int
    discount_reason: str
    fees: int
    vat: int

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.fees + self.vat

    def as_dict(self) -> dict[str, int | str]:
        return {
            "subtotal": self.subtotal,
            "discount": self.discount,
            "discount_reason": self.discount_reason,
            "fees": self.fees,
            "vat": self.vat,
            "total": self.total,
        }


def _round(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def parse_tier(value: str) -> Tier:
    try:
        return Tier(value.strip().lower())
    except ValueError:
        names = ", ".join(tier.value for tier in Tier)
        raise PricingError(f"unknown tier {value!r}; use one of {names}") from None


def best_discount(request: QuoteRequest) -> tuple[Decimal, str]:
    """The single largest discount rate the request qualifies for, and its name."""
    offers: list[tuple[Decimal, str]] = [(Decimal("0"), "")]
    if (request.event_day - request.booking_day).days >= EARLY_BIRD_DAYS:
        offers.append((EARLY_BIRD_RATE, "early bird"))
    if request.quantity >= GROUP_SIZE:
        offers.append((GROUP_RATE, "group"))
    code = request.promo_code.strip().upper()
    if code:
        if code not in PROMO_CODES:
            raise PricingError(f"unknown promo code {request.promo_code!r}")
        offers.append((PROMO_CODES[code], f"promo {code}"))
    return max(offers, key=lambda offer: offer[0])


def quote(request: QuoteRequest) -> Quote:
    """Price ``request``; raises :class:`PricingError` for requests that can't be sold."""
    if request.base_price < 0:
        raise PricingError("base price can't be negative")
    if not 1 <= request.quantity <= MAX_TICKETS:
        raise PricingError(f"quantity must be between 1 and {MAX_TICKETS}")
    if request.booking_day > request.event_day:
        raise PricingError("the event is over")
    per_ticket = Decimal(request.base_price) * TIER_FACTORS[request.tier]
    subtotal = _round(per_ticket * request.quantity)
    rate, reason = best_discount(request)
    discount = _round(subtotal * rate)
    fees = SERVICE_FEE * request.quantity
    vat = _round((subtotal - discount + fees) * VAT_RATE)
    return Quote(subtotal, discount, reason, fees, vat)
