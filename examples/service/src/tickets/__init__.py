"""Tickets: price and book seats for events, over a small JSON HTTP API."""

__version__ = "0.1.0"
