"""Notifications to a real local HTTP server and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from reporting_helpers import FAIL, PASS, Receiver, record_run

from conveyor.cli.main import main
from conveyor.reporting.notify import notify_run
from conveyor.reporting.settings import NotifySettings
from conveyor.results.db import ResultsDb

FAST = {"attempts": 3, "backoff": 0.01, "max_backoff": 0.02, "timeout": 5}
GREEN = {"unit": [PASS.format(name="test_ok")]}
RED = {
    "unit": [
        PASS.format(name="test_ok"),
        FAIL.format(name="test_bad", line=9, message="AssertionError: nope", body=""),
    ]
}


def _settings(**values: Any) -> NotifySettings:
    return NotifySettings.model_validate({"retry": FAST, **values})


def _notify(state: Path, settings: NotifySettings, run_id: int, **kw: Any) -> Any:
    with ResultsDb(state) as db, db.read() as connection:
        return notify_run(connection, settings, run_id, **kw)


def test_webhook_gets_the_report_json(tmp_path: Path, receiver: Receiver) -> None:
    run_id = record_run(tmp_path, RED)
    outcome = _notify(tmp_path, _settings(webhook={"url": receiver.url}), run_id)
    assert outcome.decision.reasons == ["run failed"]
    assert [d.ok for d in outcome.deliveries] == [True]
    body = receiver.bodies[0]
    assert body["run_id"] == run_id and body["verdict"] == "failed"
    assert body["report"]["failures"][0]["test_id"] == "tests/test_a.py::test_bad"


def test_slack_text_and_url_from_env(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_HOOK", receiver.url)
    run_id = record_run(tmp_path, RED)
    outcome = _notify(
        tmp_path,
        _settings(slack={"url_env": "SLACK_HOOK"}, report_url="https://ci.example/runs"),
        run_id,
    )
    assert outcome.deliveries[0].ok
    text = receiver.bodies[0]["text"]
    assert text.startswith(f"❌ Nightly build FAILED (run {run_id}): 1 passed, 1 failed")
    assert "1. tests/test_a.py::test_bad (tests/test_a.py:9): AssertionError: nope" in text
    assert f"Full report: https://ci.example/runs/{run_id}" in text


def test_server_errors_are_retried_until_delivered(tmp_path: Path, receiver: Receiver) -> None:
    receiver.statuses = [500, 500]
    run_id = record_run(tmp_path, RED)
    outcome = _notify(tmp_path, _settings(webhook={"url": receiver.url}), run_id)
    assert outcome.deliveries[0].ok and outcome.deliveries[0].attempts == 3
    assert len(receiver.bodies) == 3 and outcome.warnings == []


def test_a_failing_receiver_is_a_warning_not_a_crash(
    tmp_path: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]
) -> None:
    receiver.always = 500
    run_id = record_run(tmp_path, RED)
    config = tmp_path / "conveyor.toml"
    config.write_text(
        f'[notify]\nwebhook = {{url = "{receiver.url}"}}\n'
        "retry = {attempts = 2, backoff = 0.01}\n"
        'slack = {url = "http://127.0.0.1:9/closed"}\n'
    )
    code = main(["notify", str(run_id), "--config", str(config), "--state-dir", str(tmp_path)])
    assert code == 0
    err = capsys.readouterr().err
    assert "warning: webhook notification to" in err and "failed after 2 attempts: HTTP 500" in err
    assert "warning: slack notification to http://127.0.0.1:9/closed failed" in err
    assert len(receiver.bodies) == 2
    recorded = [json.loads(x) for x in (tmp_path / "notifications.jsonl").read_text().splitlines()]
    assert [d["ok"] for d in recorded[-1]["deliveries"]] == [False, False]


def test_client_errors_are_not_retried(tmp_path: Path, receiver: Receiver) -> None:
    receiver.always = 404
    run_id = record_run(tmp_path, RED)
    outcome = _notify(tmp_path, _settings(webhook={"url": receiver.url}), run_id)
    assert outcome.deliveries[0].attempts == 1 and "HTTP 404" in outcome.deliveries[0].error


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port (the controller cannot report port 0's)
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_email_is_sent_with_subject_and_body(tmp_path: Path, smtp: tuple[_Inbox, int]) -> None:
    inbox, port = smtp
    run_id = record_run(tmp_path, RED)
    settings = _settings(
        email={
            "host": "127.0.0.1",
            "port": port,
            "from": "ci@example.com",
            "to": ["team@example.com", "lead@example.com"],
        }
    )
    outcome = _notify(tmp_path, settings, run_id)
    assert outcome.deliveries[0].ok, outcome.warnings
    ((recipients, message),) = inbox.messages
    assert recipients == ["team@example.com", "lead@example.com"]
    assert message["Subject"].startswith(
        f"❌ Nightly build FAILED (run {run_id})"
    ) or "Nightly build FAILED" in str(message["Subject"])
    body = message.get_payload(decode=True).decode()
    assert "`tests/test_a.py::test_bad` [unit, assertion]" in body


def test_policies(tmp_path: Path, receiver: Receiver) -> None:
    settings = _settings(webhook={"url": receiver.url})
    green = record_run(tmp_path, GREEN)
    assert not _notify(tmp_path, settings, green).decision.send  # failure policy, green
    assert _notify(tmp_path, settings, green, policy="always").decision.send
    change = _settings(webhook={"url": receiver.url}, policy="change")
    first = _notify(tmp_path, change, green).decision
    assert not first.send and first.change == "first run"
    red = record_run(tmp_path, RED)
    broken = _notify(tmp_path, change, red).decision
    assert broken.send and broken.change == "broken"
    red_again = record_run(tmp_path, RED)
    assert _notify(tmp_path, change, red_again).decision.change == "still failing"
    fixed_run = record_run(tmp_path, GREEN)
    fixed = _notify(tmp_path, change, fixed_run).decision
    assert fixed.send and fixed.reasons == ["fixed"]
    other = record_run(tmp_path, RED, workflow="other.yml")  # first run of another workflow
    assert _notify(tmp_path, change, other).decision.change == "broken"


def test_alert_rules_fire_even_when_the_policy_is_quiet(tmp_path: Path, receiver: Receiver) -> None:
    run_id = record_run(
        tmp_path,
        {"smoke": RED["unit"]},
    )
    quiet = _settings(webhook={"url": receiver.url}, policy="change", alerts=["any smoke failure"])
    record_run(tmp_path, {"smoke": RED["unit"]})
    latest = record_run(tmp_path, {"smoke": RED["unit"]})
    decision = _notify(tmp_path, quiet, latest).decision
    assert decision.send and decision.reasons == ["alert: any smoke failure"]
    assert run_id < latest


def test_notify_action_never_fails_the_step(tmp_path: Path, receiver: Receiver) -> None:
    import threading

    from conveyor.actions.registry import find_builtin
    from conveyor.engine.masking import Masker
    from conveyor.engine.ports import ActionContext, CommandAnnotation

    class Output:
        def __init__(self) -> None:
            self.lines: list[str] = []
            self.notes: list[CommandAnnotation] = []

        def line(self, text: str, stream: str = "stdout") -> None:
            self.lines.append(text)

        def annotation(self, annotation: CommandAnnotation) -> None:
            self.notes.append(annotation)

    receiver.always = 503
    run_id = record_run(tmp_path, RED)
    workspace = tmp_path / "ws"
    (workspace / ".git").mkdir(parents=True)
    (workspace / "conveyor.toml").write_text(
        f'[notify]\nwebhook = {{url = "{receiver.url}"}}\nretry = {{attempts = 2, backoff = 0}}\n'
    )
    output = Output()
    action = find_builtin("conveyor/notify")
    assert action is not None
    context = ActionContext(
        inputs={"channels": "webhook"},
        workspace=workspace,
        repository_root=workspace,
        state_dir=tmp_path,
        env={},
        github={},
        run_id=run_id,
        job_key="notify",
        output=output,
        masker=Masker(),
        cancel=threading.Event(),
    )
    result = action(context)
    assert result.ok and result.outputs == {"sent": "true", "delivered": "0"}
    assert output.notes and output.notes[0].level == "warning"
    assert "HTTP 503" in output.notes[0].message
    bad = action(dataclasses.replace(context, inputs={"policy": "never"}))
    assert bad.ok and bad.outputs["sent"] == "false"
    assert "input 'policy' must be one of" in output.notes[-1].message


def test_url_from_env_is_never_printed_or_recorded(
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret_path = "services/T0AAA/B0BBB/hunter2hunter2"
    monkeypatch.setenv("SLACK_HOOK", f"{receiver.url}/{secret_path}")
    monkeypatch.setenv("DEAD_HOOK", f"http://127.0.0.1:9/{secret_path}?token=abc")
    run_id = record_run(tmp_path, RED)
    config = tmp_path / "conveyor.toml"
    config.write_text(
        '[notify]\nslack = {url_env = "SLACK_HOOK"}\nwebhook = {url_env = "DEAD_HOOK"}\n'
        "retry = {attempts = 1}\n"
    )
    code = main(["notify", str(run_id), "--config", str(config), "--state-dir", str(tmp_path)])
    assert code == 0
    captured = capsys.readouterr()
    assert len(receiver.bodies) == 1  # delivered all the same
    recorded = (tmp_path / "notifications.jsonl").read_text()
    for text in (captured.out, captured.err, recorded):
        assert "hunter2" not in text and "T0AAA" not in text and "token=abc" not in text
    assert "slack: delivered to http://127.0.0.1:" in captured.out
    assert "/… (from $SLACK_HOOK)" in captured.out
    assert "webhook notification to http://127.0.0.1:9/… (from $DEAD_HOOK) failed" in captured.err


def test_no_channel_configured_says_so_and_records_not_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = record_run(tmp_path, RED)
    config = tmp_path / "conveyor.toml"
    config.write_text('[notify]\npolicy = "always"\n')
    code = main(["notify", str(run_id), "--config", str(config), "--state-dir", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "no notify channel is configured" in out and "notifying because" not in out
    recorded = json.loads((tmp_path / "notifications.jsonl").read_text().splitlines()[-1])
    assert recorded["sent"] is False and recorded["deliveries"] == []
