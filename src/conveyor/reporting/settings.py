"""The ``[notify]`` table of ``conveyor.toml``: channels, policy, alert rules, retries.

Secrets stay out of the file: ``url_env`` names the variable holding a webhook URL, and
the email credentials come from ``username_env`` / ``password_env``.
"""

from __future__ import annotations

import os
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from conveyor.reporting.durations import parse_duration
from conveyor.reporting.rules import AlertRule, parse_rule

Seconds = Annotated[float, BeforeValidator(parse_duration)]
Policy = Literal["failure", "always", "change"]
POLICIES: tuple[str, ...] = ("failure", "always", "change")
CHANNELS: tuple[str, ...] = ("slack", "webhook", "email")


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class WebhookSettings(StrictModel):
    """A URL to POST JSON to (``url``, or ``url_env``: the variable holding it)."""

    url: str | None = None
    url_env: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)

    def resolve_url(self, env: dict[str, str] | None = None) -> str | None:
        source = os.environ if env is None else env
        if self.url:
            return self.url
        if self.url_env:
            return source.get(self.url_env) or None
        return None

    def shown_url(self, url: str) -> str:
        """How ``url`` is printed and recorded. From ``url_env`` the URL is the credential
        (a Slack hook's path is its secret): only its scheme and host are shown, with the
        variable's name. From the file: without its query string."""
        if self.url or not self.url_env:
            return url.split("?", 1)[0]
        return f"{redact_url(url)} (from ${self.url_env})"


def redact_url(url: str) -> str:
    """``https://hooks.slack.com/services/T0/B0/XYZ?x=1`` -> ``https://hooks.slack.com/…``;
    user, password, path and query are dropped."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "…"
    if not parts.scheme or not host:
        return "…"
    return f"{parts.scheme}://{host}{port}/…"


class EmailSettings(StrictModel):
    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    starttls: bool = False
    username_env: str | None = None
    password_env: str | None = None
    timeout: Seconds = 10.0

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class RetrySettings(StrictModel):
    attempts: int = Field(default=3, ge=1, le=20)
    backoff: Seconds = 1.0  # first wait; doubles each retry
    max_backoff: Seconds = 30.0
    timeout: Seconds = 10.0  # per request


class NotifySettings(StrictModel):
    policy: Policy = "failure"
    slack: WebhookSettings | None = None
    webhook: WebhookSettings | None = None
    email: EmailSettings | None = None
    alerts: list[str] = Field(default_factory=list)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    report_url: str | None = None  # base URL linked as "Full report" (run id appended)

    @field_validator("alerts")
    @classmethod
    def _rules_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_rule(text)  # RuleError is a ValueError: pydantic reports it with the key
        return value

    def rules(self) -> list[AlertRule]:
        return [parse_rule(text) for text in self.alerts]

    def configured(self) -> list[str]:
        return [name for name in CHANNELS if getattr(self, name) is not None]
