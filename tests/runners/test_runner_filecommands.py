"""$GITHUB_OUTPUT / ENV / PATH / STATE / STEP_SUMMARY and STATE_* inputs."""

from __future__ import annotations

import pytest

from conveyor.engine.masking import Masker
from conveyor.runners.filecommands import FileCommandError, parse_key_values

# ------------------------------------------------------------ the format


def test_simple_values_split_at_first_equals() -> None:
    text = "a=1\nb=x=y\n\nempty=\nspaced = v \n"
    assert parse_key_values(text, "output") == {
        "a": "1",
        "b": "x=y",
        "empty": "",
        "spaced ": " v ",
    }


def test_multiline_value_keeps_inner_newlines_not_the_last() -> None:
    text = "body<<EOF\nline 1\n\nline 3\nEOF\nnext=1\n"
    assert parse_key_values(text, "output") == {"body": "line 1\n\nline 3", "next": "1"}


def test_multiline_empty_and_crlf() -> None:
    assert parse_key_values("x<<END\nEND\n", "env") == {"x": ""}
    assert parse_key_values("x<<END\r\na\r\nb\r\nEND\r\n", "env") == {"x": "a\r\nb"}


def test_first_of_equals_and_heredoc_wins() -> None:
    assert parse_key_values("a=b<<c\n", "output") == {"a": "b<<c"}
    assert parse_key_values("a<<X=Y\nv\nX=Y\n", "output") == {"a": "v"}


def test_delimiter_must_match_whole_line() -> None:
    text = "a<<EOF\nEOF \n EOF\nEOF\n"
    assert parse_key_values(text, "output") == {"a": "EOF \n EOF"}


def test_missing_delimiter_is_githubs_error() -> None:
    with pytest.raises(FileCommandError) as info:
        parse_key_values("a<<EOF\nvalue\n", "output")
    assert str(info.value) == (
        "Unable to process file command 'output' successfully. "
        "Invalid value. Matching delimiter not found 'EOF'"
    )


@pytest.mark.parametrize("text", ["=v\n", "<<EOF\nEOF\n", "a<<\n", "novalue\n"])
def test_invalid_lines(text: str) -> None:
    with pytest.raises(FileCommandError, match="Invalid format"):
        parse_key_values(text, "env")


# ------------------------------------------------------------ through the runner


def test_outputs_env_path_state_summary(run) -> None:
    script = """
echo "simple=one" >> "$GITHUB_OUTPUT"
{ echo "multi<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
echo "MY_VAR=value" >> "$GITHUB_ENV"
echo "/opt/tool/bin" >> "$GITHUB_PATH"
echo "/opt/other/bin" >> "$GITHUB_PATH"
echo "pid=42" >> "$GITHUB_STATE"
echo "# Summary" >> "$GITHUB_STEP_SUMMARY"
"""
    result, _ = run(script)
    assert result.succeeded
    assert result.outputs == {"simple": "one", "multi": "line 1\nline 2"}
    assert result.env == {"MY_VAR": "value"}
    assert result.path == ["/opt/tool/bin", "/opt/other/bin"]
    assert result.state == {"pid": "42"}
    assert result.summary == "# Summary\n"


def test_summary_is_masked_but_outputs_are_not(run) -> None:
    masker = Masker(["s3cret"])
    script = 'echo "token=s3cret" >> "$GITHUB_OUTPUT"\necho "the s3cret" >> "$GITHUB_STEP_SUMMARY"'
    result, _ = run(script, masker=masker)
    assert result.outputs == {"token": "s3cret"}
    assert result.summary == "the ***\n"


def test_state_is_exposed_as_state_env(run) -> None:
    _result, rec = run('echo "$STATE_pid $STATE_other"', state={"pid": "7", "other": "x y"})
    assert rec.texts() == ["7 x y"]


def test_unterminated_multiline_fails_the_step(run) -> None:
    script = 'echo "a<<EOF" >> "$GITHUB_OUTPUT"\necho "v" >> "$GITHUB_OUTPUT"'
    result, rec = run(script)
    assert result.exit_code == 1
    assert result.error == ""
    assert "Matching delimiter not found 'EOF'" in rec.out
    assert rec.annotations[0].level == "error"


def test_node_options_is_refused_in_github_env(run) -> None:
    result, rec = run('echo "NODE_OPTIONS=--x" >> "$GITHUB_ENV"')
    assert result.exit_code == 1
    assert "Can't store NODE_OPTIONS" in rec.out


def test_failing_step_keeps_its_exit_code_and_outputs(run) -> None:
    result, _ = run('echo "a=1" >> "$GITHUB_OUTPUT"\nexit 5')
    assert result.exit_code == 5
    assert result.outputs == {"a": "1"}


def test_deleted_command_file_means_nothing_written(run) -> None:
    result, _ = run('rm "$GITHUB_OUTPUT"')
    assert result.succeeded
    assert result.outputs == {}
