"""``conveyor notify`` / ``conveyor/notify``: decide, then deliver to every channel.

Delivery problems never raise: they come back in :class:`NotifyOutcome` (and are appended
to ``<state>/notifications.jsonl``) so the caller prints a warning and carries on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from conveyor.reporting.build import build_report
from conveyor.reporting.delivery import Delivery, post_json, send_email
from conveyor.reporting.model import Report
from conveyor.reporting.policy import Decision, decide, previous_verdict
from conveyor.reporting.render import headline, render, report_dict
from conveyor.reporting.settings import CHANNELS, NotifySettings

RECORD_FILE = "notifications.jsonl"
_SLACK_FAILURES = 10


@dataclass(slots=True)
class NotifyOutcome:
    run_id: int
    decision: Decision
    deliveries: list[Delivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # channels that could not be tried
    unconfigured: bool = False  # the policy said send, but no channel is configured

    @property
    def sent(self) -> bool:
        """The policy said send and a delivery was attempted."""
        return self.decision.send and bool(self.deliveries)

    @property
    def warnings(self) -> list[str]:
        failed = [
            f"{d.channel} notification to {d.target} failed after {d.attempts} "
            f"attempt{'s' if d.attempts != 1 else ''}: {d.error}"
            for d in self.deliveries
            if not d.ok
        ]
        return self.problems + failed


def slack_text(report: Report, reasons: Sequence[str], report_url: str = "") -> str:
    lines = [headline(report)]
    env = report.environment
    lines.append(f"Environment: {env.get('branch', '-')} @ {env.get('sha', '-')}")
    for tier in report.tiers:
        mark = "✅" if tier.ok else "❌"
        lines.append(f"  - {tier.name}: {mark} {tier.passed} passed, {tier.failed} failed")
    for job in report.failed_jobs:
        steps = ", ".join(f"step {s.index} '{s.name}'" for s in job.steps)
        lines.append(f"  - job {job.job_key}: {job.conclusion}" + (f" at {steps}" if steps else ""))
    real = [f for f in report.failures if not f.quarantined]
    for index, failure in enumerate(real[:_SLACK_FAILURES], start=1):
        where = f" ({failure.location})" if failure.location else ""
        lines.append(f"{index}. {failure.test_id}{where}: {failure.error}")
    if len(real) > _SLACK_FAILURES:
        lines.append(f"... and {len(real) - _SLACK_FAILURES} more")
    for rec in report.recommendations:
        lines.append(f"🔧 {rec.title}: {rec.actions[0]}")
    if reasons:
        lines.append("Why: " + ", ".join(reasons))
    if report_url:
        lines.append(f"Full report: {report_url}")
    return "\n".join(lines)


def _report_url(settings: NotifySettings, run_id: int) -> str:
    return f"{settings.report_url.rstrip('/')}/{run_id}" if settings.report_url else ""


@dataclass(frozen=True, slots=True)
class Message:
    """One notification in the form each channel takes."""

    subject: str  # email subject
    text: str  # Slack text; the email body
    payload: dict[str, Any]  # the webhook's JSON body
    email_body: str = ""  # when it differs from ``text`` (e.g. the report in Markdown)


def deliver(
    settings: NotifySettings,
    report: Report,
    decision: Decision,
    channels: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyOutcome:
    url = _report_url(settings, report.run_id)
    message = Message(
        subject=headline(report),
        text=slack_text(report, decision.reasons, url),
        payload={
            "source": "conveyor",
            "run_id": report.run_id,
            "verdict": report.verdict,
            "reasons": decision.reasons,
            "change": decision.change,
            "report_url": url,
            "report": report_dict(report),
        },
        email_body=render(report, "md", report_url=url),
    )
    return send_message(settings, message, report.run_id, decision, channels, env=env, sleep=sleep)


def send_message(
    settings: NotifySettings,
    message: Message,
    run_id: int,
    decision: Decision,
    channels: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> NotifyOutcome:
    """Send ``message`` to ``channels`` (default: every configured one), with the retry
    settings; problems come back in the outcome, never raised."""
    outcome = NotifyOutcome(run_id, decision)
    wanted = list(channels) if channels else settings.configured()
    outcome.unconfigured = not wanted
    env_map = dict(env) if env is not None else None
    for name in wanted:
        if name not in CHANNELS:
            outcome.problems.append(f"unknown notify channel {name!r} (slack, webhook, email)")
            continue
        if name == "email":
            if settings.email is None:
                outcome.problems.append("email is not configured in [notify.email]")
                continue
            outcome.deliveries.append(
                send_email(
                    settings.email,
                    message.subject,
                    message.email_body or message.text,
                    settings.retry,
                    env=env_map,
                    sleep=sleep,
                )
            )
            continue
        hook = settings.slack if name == "slack" else settings.webhook
        target = hook.resolve_url(env_map) if hook is not None else None
        if hook is None or not target:
            where = f"[notify.{name}] url (or the variable named by url_env)"
            outcome.problems.append(f"{name} is not configured: set {where}")
            continue
        payload = {"text": message.text} if name == "slack" else message.payload
        outcome.deliveries.append(
            post_json(
                name,
                target,
                payload,
                settings.retry,
                headers=hook.headers,
                sleep=sleep,
                shown=hook.shown_url(target),
            )
        )
    return outcome


def notify_run(
    connection: Connection,
    settings: NotifySettings,
    run_id: int,
    *,
    policy: str | None = None,
    channels: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    state_dir: Path | None = None,
) -> NotifyOutcome:
    """Build the report of ``run_id`` (with ``state_dir``: failed steps' log tails too),
    apply the policy and alert rules, deliver."""
    report = build_report(connection, run_id, state_dir=state_dir)
    chosen = policy or settings.policy
    previous = previous_verdict(connection, run_id) if chosen == "change" else None
    decision = decide(chosen, report, previous, settings.rules())
    if not decision.send:
        return NotifyOutcome(run_id, decision)
    return deliver(settings, report, decision, channels, env=env, sleep=sleep)


def record(state_dir: Path, outcome: NotifyOutcome) -> None:
    """Append the outcome to ``<state>/notifications.jsonl`` (best effort)."""
    entry = {
        "at": time.time(),
        "run_id": outcome.run_id,
        "sent": outcome.sent,
        "decided": outcome.decision.send,
        "reasons": outcome.decision.reasons,
        "deliveries": [asdict(d) for d in outcome.deliveries],
        "problems": outcome.problems,
    }
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with (state_dir / RECORD_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
    except OSError:
        pass
