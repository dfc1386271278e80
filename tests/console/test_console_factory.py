"""make_console picks live output only for an interactive terminal outside CI."""

from __future__ import annotations

import io

import pytest

from conveyor.console import LiveConsole, PlainConsole, make_console, wants_plain


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_pipes_and_files_get_plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert isinstance(make_console(io.StringIO()), PlainConsole)


def test_a_terminal_gets_the_live_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    sink = make_console(FakeTerminal())
    assert isinstance(sink, LiveConsole)
    sink.close()


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_ci_forces_plain_even_on_a_terminal(value: str) -> None:
    assert wants_plain(FakeTerminal(), {"CI": value, "TERM": "xterm"})


def test_dumb_terminal_is_plain_and_ci_false_is_not() -> None:
    assert wants_plain(FakeTerminal(), {"TERM": "dumb"})
    assert not wants_plain(FakeTerminal(), {"CI": "false", "TERM": "xterm"})


def test_explicit_choice_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert isinstance(make_console(FakeTerminal(), plain=True), PlainConsole)
    sink = make_console(io.StringIO(), plain=False)
    assert isinstance(sink, LiveConsole)
    sink.close()


def test_default_stream_is_stdout_at_call_time(capsys: pytest.CaptureFixture[str]) -> None:
    sink = make_console(plain=True)
    sink.close()
    assert isinstance(sink, PlainConsole)
