"""Shells, exit codes, working directory, environment and start failures."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from conveyor.runners.shells import ShellError, resolve_shell

HAS_BASH = shutil.which("bash") is not None
needs_bash = pytest.mark.skipif(not HAS_BASH, reason="bash not installed")


# ------------------------------------------------------------ resolution


@needs_bash
def test_default_shell_is_bash_e() -> None:
    shell = resolve_shell(None, os.environ.get("PATH"))
    assert Path(shell.template[0]).name == "bash"
    assert shell.template[1:] == ("-e", "{0}")
    assert shell.extension == ".sh"


@needs_bash
def test_explicit_bash_adds_pipefail_and_no_profile() -> None:
    shell = resolve_shell("bash", os.environ.get("PATH"))
    assert shell.template[1:] == ("--noprofile", "--norc", "-eo", "pipefail", "{0}")


def test_default_falls_back_to_sh_without_bash(tmp_path: Path) -> None:
    (tmp_path / "sh").symlink_to(shutil.which("sh") or "/bin/sh")
    shell = resolve_shell(None, str(tmp_path))
    assert shell.template == (str(tmp_path / "sh"), "-e", "{0}")


def test_custom_template_is_split_and_placeholder_replaced() -> None:
    shell = resolve_shell("perl -w {0} --flag", None)
    assert shell.argv(Path("/t/s")) == ["perl", "-w", "/t/s", "--flag"]
    assert shell.extension == ""
    assert resolve_shell("bash -x {0}", None).extension == ".sh"
    assert resolve_shell("python3 -u {0}", None).extension == ".py"


@pytest.mark.parametrize("name", ["perl", "fish -x"])
def test_custom_without_placeholder_is_an_error(name: str) -> None:
    with pytest.raises(ShellError, match=r"\{0\}"):
        resolve_shell(name, None)


@pytest.mark.parametrize("name", ["cmd", "powershell"])
def test_windows_shells_are_not_supported(name: str) -> None:
    with pytest.raises(ShellError, match="only available on Windows"):
        resolve_shell(name, None)


def test_pwsh_missing_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ShellError) as info:
        resolve_shell("pwsh", str(tmp_path))
    assert str(info.value) == (
        "shell 'pwsh' is not installed; install PowerShell or choose another shell"
    )


def test_pwsh_template_when_installed(tmp_path: Path) -> None:
    fake = tmp_path / "pwsh"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    shell = resolve_shell("pwsh", str(tmp_path))
    assert shell.extension == ".ps1"
    assert shell.argv(Path("/t/it's.ps1")) == [str(fake), "-command", ". '/t/it''s.ps1'"]
    text = shell.script_text("Write-Output hi")
    assert text.startswith("$ErrorActionPreference = 'stop'\n")
    assert "exit $LASTEXITCODE" in text


# ------------------------------------------------------------ running


@needs_bash
def test_bash_runs_and_reports_exit_code(run) -> None:
    result, rec = run("echo hello\nexit 3", shell="bash")
    assert result.exit_code == 3
    assert not result.succeeded
    assert rec.texts("stdout") == ["hello"]


@needs_bash
def test_pipefail_only_with_explicit_bash(run) -> None:
    default, _ = run("false | true\necho after")
    assert default.exit_code == 0
    explicit, rec = run("false | true\necho after", shell="bash")
    assert explicit.exit_code == 1
    assert "after" not in rec.texts()


def test_errexit_in_default_and_sh(run) -> None:
    for shell in (None, "sh"):
        result, rec = run("false\necho unreachable", shell=shell)
        assert result.exit_code == 1
        assert rec.texts() == []


@needs_bash
def test_explicit_bash_does_not_read_profiles(run, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("echo bashrc\n")
    (home / ".bash_profile").write_text("echo profile\n")
    result, rec = run("echo body", shell="bash", env={"HOME": str(home)})
    assert result.succeeded
    assert rec.texts() == ["body"]


def test_sh_shell(run) -> None:
    result, rec = run('printf "%s\\n" "$0"', shell="sh")
    assert result.succeeded
    assert rec.texts()[0].endswith(".sh")


def test_python_shell_writes_py_script(run) -> None:
    result, rec = run("import sys\nprint(sys.argv[0].endswith('.py'))\nsys.exit(4)", shell="python")
    assert result.exit_code == 4
    assert rec.texts() == ["True"]


def test_custom_shell_template(run) -> None:
    result, rec = run("print('custom')", shell=f"{sys.executable} -u {{0}}")
    assert result.succeeded
    assert rec.texts() == ["custom"]


def test_custom_shell_not_found_is_a_start_error(run) -> None:
    result, _ = run("x", shell="no-such-shell-xyz {0}")
    assert result.exit_code is None
    assert "'no-such-shell-xyz' was not found on PATH" in result.error


def test_missing_shell_is_a_start_error(run, tmp_path: Path) -> None:
    result, _ = run("echo hi", shell="bash", env={"PATH": str(tmp_path / "empty")})
    assert result.exit_code is None
    assert result.error.startswith("shell 'bash' is not installed")
    result, _ = run("echo hi", shell="pwsh", env={"PATH": str(tmp_path / "empty")})
    assert result.error == (
        "shell 'pwsh' is not installed; install PowerShell or choose another shell"
    )


def test_unsupported_shell_is_a_start_error(run) -> None:
    result, _ = run("dir", shell="cmd")
    assert result.exit_code is None
    assert "only available on Windows" in result.error


def test_missing_working_directory_is_a_start_error(run, tmp_path: Path) -> None:
    result, _ = run("echo hi", cwd=tmp_path / "nope")
    assert result.exit_code is None
    assert "does not exist" in result.error
    assert "working-directory" in result.error


def test_working_directory_and_env(run, tmp_path: Path) -> None:
    where = tmp_path / "sub dir"
    where.mkdir()
    result, rec = run('pwd\necho "$GREETING"', cwd=where, env={"GREETING": "hi there"})
    assert result.succeeded
    assert rec.texts() == [str(where), "hi there"]


def test_environment_is_layered_on_os_environ(run) -> None:
    _result, rec = run('echo "${HOME:+home-set}"')
    assert rec.texts() == ["home-set"]


def test_argv_step(run) -> None:
    result, rec = run(argv=[sys.executable, "-c", "print('argv')"])
    assert result.succeeded
    assert rec.texts() == ["argv"]


def test_argv_not_found(run) -> None:
    result, _ = run(argv=["definitely-not-a-command-xyz"])
    assert result.exit_code is None
    assert "not found on PATH" in result.error


def test_neither_script_nor_argv(run) -> None:
    result, _ = run()
    assert result.exit_code is None
    assert "neither a script nor a command" in result.error


def test_stdout_and_stderr_interleave_in_the_order_written(run) -> None:
    script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done"
    _result, rec = run(script)
    assert rec.texts() == [line for i in range(1, 6) for line in (f"out{i}", f"err{i}")]


def test_partial_last_line_crlf_and_invalid_utf8(run) -> None:
    _result, rec = run("printf 'a\\r\\nb\\xff\\nlast'")
    assert rec.texts() == ["a", "b\ufffd", "last"]


def test_stdin_is_dev_null(run) -> None:
    result, rec = run("cat\necho done", timeout=5)
    assert result.succeeded
    assert rec.texts() == ["done"]


def test_temp_dir_is_used_and_cleaned(run, tmp_path: Path) -> None:
    temp = tmp_path / "temp"
    _result, rec = run('dirname "$0"\ndirname "$GITHUB_OUTPUT"', temp_dir=temp)
    assert rec.texts() == [str(temp), str(temp)]
    assert list(temp.iterdir()) == []
