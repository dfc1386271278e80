"""Workflow commands (``::name props::message``), escaping and masking."""

from __future__ import annotations

import pytest

from conveyor.engine.events import GROUP_END
from conveyor.engine.masking import Masker
from conveyor.runners import Annotation
from conveyor.runners.commandsyntax import (
    escape_data,
    escape_property,
    parse_command,
    unescape_data,
    unescape_property,
)
from conveyor.runners.workflowcommands import COMMAND_NAMES

# ------------------------------------------------------------ syntax


def test_parse_properties_and_data() -> None:
    cmd = parse_command("  ::error file=a.py, line=3,bad,=x,col=::msg::more", COMMAND_NAMES)
    assert cmd is not None
    assert cmd.name == "error"
    assert cmd.properties == {"file": "a.py", " line": "3"}
    assert cmd.data == "msg::more"


@pytest.mark.parametrize(
    "line", ["::unknown::x", "::error", "error::x", ":: error::x", "text ::error::x"]
)
def test_not_commands(line: str) -> None:
    assert parse_command(line, COMMAND_NAMES) is None


def test_escaping_rules() -> None:
    assert unescape_data("a%0Ab%0Dc%25d%3A") == "a\nb\rc%d%3A"
    assert unescape_property("x%3Ay%2Cz%0A") == "x:y,z\n"
    assert unescape_data("%250A") == "%0A"  # %25 is decoded last
    for text in ("100%\r\nx:y,z", "%0A literal", ""):
        assert unescape_data(escape_data(text)) == text
        assert unescape_property(escape_property(text)) == text


# ------------------------------------------------------------ through the runner


def test_add_mask_masks_later_lines_not_earlier(run) -> None:
    script = "echo before hunter2\necho '::add-mask::hunter2'\necho after hunter2\n"
    script += "echo err hunter2 >&2"
    masker = Masker()
    result, rec = run(script, masker=masker)
    assert result.succeeded
    # one pipe: the stderr line comes after the add-mask line, so it is always masked
    assert rec.texts() == ["before hunter2", "after ***", "err ***"]
    assert "hunter2" in masker.values


def test_add_mask_escaped_multiline_secret(run) -> None:
    script = "echo '::add-mask::first%0Asecond'\necho first\necho second line\necho 'first%0A'"
    _result, rec = run(script)
    assert rec.texts() == ["***", "*** line", "***%0A"]


def test_multiline_secret_from_masker_is_masked_per_line(run) -> None:
    masker = Masker(["line-one\nline-two"])
    _result, rec = run("echo line-one\necho x line-two y", masker=masker)
    assert rec.texts() == ["***", "x *** y"]


def test_error_warning_notice_annotations(run) -> None:
    script = (
        "echo '::error file=src/a.py,line=3,col=5,endLine=4,endColumn=9,title=Bad%2C thing::"
        "it failed%0Aon two lines'\n"
        "echo '::warning::careful'\n"
        "echo '::notice title=FYI::note'\n"
    )
    result, rec = run(script)
    assert result.succeeded
    assert rec.annotations == [
        Annotation(
            level="error",
            message="it failed\non two lines",
            file="src/a.py",
            line=3,
            col=5,
            title="Bad, thing",
            end_line=4,
            end_column=9,
        ),
        Annotation(level="warning", message="careful"),
        Annotation(level="notice", message="note", title="FYI"),
    ]
    assert rec.texts() == [
        "Error: src/a.py:3:5: Bad, thing: it failed",
        "on two lines",
        "Warning: careful",
        "Notice: FYI: note",
    ]


def test_annotations_are_masked(run) -> None:
    _result, rec = run("echo '::error title=pw s3cret::bad s3cret'", masker=Masker(["s3cret"]))
    assert rec.annotations[0].message == "bad ***"
    assert rec.annotations[0].title == "pw ***"
    assert rec.texts() == ["Error: pw ***: bad ***"]


def test_debug_only_when_enabled(run) -> None:
    _result, rec = run("echo '::debug::details'")
    assert rec.texts() == []
    for var, value in (("RUNNER_DEBUG", "1"), ("ACTIONS_STEP_DEBUG", "true")):
        _, rec = run("echo '::debug::details'", env={var: value})
        assert "Debug: details" in rec.texts()


def test_group_markers(run) -> None:
    _result, rec = run("echo '::group::Install'\necho inside\necho '::endgroup::'\necho outside")
    assert rec.lines == [
        ("stdout", "▸ Install"), ("stdout", "inside"), (GROUP_END, ""), ("stdout", "outside"),
    ]  # fmt: skip


def test_stop_commands_until_token(run) -> None:
    script = (
        "echo '::stop-commands::tok123'\n"
        "echo '::error::not processed'\n"
        "echo '::add-mask::visible'\n"
        "echo visible\n"
        "echo '::tok123::'\n"
        "echo '::warning::processed'\n"
        "echo visible\n"
    )
    result, rec = run(script)
    assert result.succeeded
    assert rec.texts() == [
        "::error::not processed",
        "::add-mask::visible",
        "visible",
        "Warning: processed",
        "visible",
    ]
    assert [a.level for a in rec.annotations] == ["warning"]


def test_stop_commands_with_a_command_name_fails(run) -> None:
    result, rec = run("echo '::stop-commands::error'")
    assert result.exit_code == 1
    assert "invalid ::stop-commands:: token" in rec.out


def test_deprecated_set_output_and_save_state(run) -> None:
    script = (
        "echo '::set-output name=a::one%0Atwo'\n"
        "echo '::set-output name=b::2'\n"
        "echo '::save-state name=pid::9'\n"
        'echo "b=file wins" >> "$GITHUB_OUTPUT"\n'
    )
    result, rec = run(script)
    assert result.succeeded
    assert result.outputs == {"a": "one\ntwo", "b": "file wins"}
    assert result.state == {"pid": "9"}
    warnings = [a.message for a in rec.annotations if a.level == "warning"]
    assert len(warnings) == 2  # once per command, not per line
    assert all("deprecated" in w and "Environment Files" in w for w in warnings)


@pytest.mark.parametrize("line", ["::set-env name=A::1", "::add-path::/x"])
def test_set_env_and_add_path_are_disabled(run, line: str) -> None:
    result, rec = run(f"echo '{line}'")
    assert result.exit_code == 1
    assert result.env == {}
    assert result.path == []
    assert "is disabled" in rec.annotations[0].message
    assert "ACTIONS_ALLOW_UNSECURE_COMMANDS" in rec.out


def test_set_env_and_add_path_when_unsecure_allowed(run) -> None:
    script = "echo '::set-env name=A::1'\necho '::add-path::/x'"
    result, _ = run(script, env={"ACTIONS_ALLOW_UNSECURE_COMMANDS": "true"})
    assert result.succeeded
    assert result.env == {"A": "1"}
    assert result.path == ["/x"]


def test_commands_on_stderr_are_processed(run) -> None:
    _result, rec = run("echo '::warning::from stderr' >&2")
    assert rec.annotations[0].message == "from stderr"
    assert rec.lines == [("stdout", "Warning: from stderr")]


def test_unknown_commands_are_printed_as_is(run) -> None:
    _result, rec = run("echo '::not-a-command::x'\necho ':: error::y'")
    assert rec.texts() == ["::not-a-command::x", ":: error::y"]


def test_echo_on_prints_command_lines_masked(run) -> None:
    script = "echo '::echo::on'\necho '::add-mask::pw'\necho '::notice::n'\necho '::echo::off'\n"
    script += "echo '::notice::quiet'"
    _result, rec = run(script)
    assert rec.texts() == ["::add-mask::***", "Notice: n", "::notice::n", "Notice: quiet"]


def test_add_matcher_is_ignored(run) -> None:
    result, rec = run("echo '::add-matcher::/tmp/m.json'\necho '::remove-matcher owner=x::'")
    assert result.succeeded
    assert rec.texts() == []
