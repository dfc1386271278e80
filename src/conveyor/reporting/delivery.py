"""Sending: JSON over HTTP (httpx) and email over SMTP, with retries and exponential backoff.

Nothing here raises on a delivery problem: every call returns a :class:`Delivery` saying
whether it got through, after how many attempts, and the last error.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from conveyor.reporting.settings import EmailSettings, RetrySettings

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(slots=True)
class Delivery:
    channel: str
    ok: bool
    attempts: int
    error: str = ""
    target: str = ""


def _waits(retry: RetrySettings) -> list[float]:
    return [min(retry.backoff * 2**n, retry.max_backoff) for n in range(retry.attempts - 1)]


def _attempt_loop(
    channel: str,
    target: str,
    retry: RetrySettings,
    once: Callable[[], tuple[bool, bool, str]],
    sleep: Callable[[float], None],
) -> Delivery:
    """Run ``once`` (-> ok, retryable, error) up to ``retry.attempts`` times."""
    waits = _waits(retry)
    error = ""
    for attempt in range(1, retry.attempts + 1):
        ok, retryable, error = once()
        if ok:
            return Delivery(channel, True, attempt, "", target)
        if not retryable or attempt == retry.attempts:
            return Delivery(channel, False, attempt, error, target)
        sleep(waits[attempt - 1])
    return Delivery(channel, False, retry.attempts, error, target)  # pragma: no cover


def post_json(
    channel: str,
    url: str,
    payload: Mapping[str, Any],
    retry: RetrySettings,
    *,
    headers: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    shown: str | None = None,
) -> Delivery:
    """POST ``payload``; retries transport errors, 408/425/429 and 5xx. ``shown`` is how the
    URL appears in the result (default: without its query); errors never hold the URL."""
    target = shown if shown is not None else url.split("?", 1)[0]

    def hide(text: str) -> str:
        return text.replace(url, target) if url else text

    def once() -> tuple[bool, bool, str]:
        try:
            with httpx.Client(timeout=retry.timeout) as client:
                response = client.post(url, json=dict(payload), headers=dict(headers or {}))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return False, True, hide(f"{type(exc).__name__}: {exc}")
        if 200 <= response.status_code < 300:
            return True, False, ""
        text = response.text.strip()[:200]
        error = f"HTTP {response.status_code}" + (f": {text}" if text else "")
        return False, response.status_code in _RETRY_STATUS, hide(error)

    return _attempt_loop(channel, target, retry, once, sleep)


def build_email(settings: EmailSettings, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message.set_content(body)
    return message


def send_email(
    settings: EmailSettings,
    subject: str,
    body: str,
    retry: RetrySettings,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send over SMTP (STARTTLS when asked; login when the credential variables are set)."""
    source = os.environ if env is None else env
    user = source.get(settings.username_env, "") if settings.username_env else ""
    password = source.get(settings.password_env, "") if settings.password_env else ""
    message = build_email(settings, subject, body)
    target = f"{settings.host}:{settings.port}"

    def once() -> tuple[bool, bool, str]:
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if user:
                    smtp.login(user, password)
                smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            return False, False, f"SMTP authentication failed: {exc.smtp_code}"
        except (smtplib.SMTPException, OSError) as exc:
            return False, True, f"{type(exc).__name__}: {exc}"
        return True, False, ""

    return _attempt_loop("email", target, retry, once, sleep)
