"""The ``shell:`` of a ``run:`` step, resolved as GitHub does on Linux.

=============  ===========================================  =========
``shell``      command                                      script
=============  ===========================================  =========
(unset)        ``bash -e {0}`` (``sh -e {0}`` without bash)  ``.sh``
``bash``       ``bash --noprofile --norc -eo pipefail {0}``  ``.sh``
``sh``         ``sh -e {0}``                                ``.sh``
``python``     ``python {0}``                               ``.py``
``pwsh``       ``pwsh -command ". '{0}'"``                  ``.ps1``
custom         any template containing ``{0}``              by command
=============  ===========================================  =========

Executables are looked up on the step's ``PATH`` once per (name, PATH) and cached,
so resolving a shell costs nothing per step after the first.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

PLACEHOLDER = "{0}"

_PWSH_PROLOGUE = "$ErrorActionPreference = 'stop'\n"
_PWSH_EPILOGUE = "\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }\n"
_EXTENSIONS = {
    "bash": ".sh",
    "sh": ".sh",
    "python": ".py",
    "python3": ".py",
    "pwsh": ".ps1",
    "powershell": ".ps1",
    "cmd": ".cmd",
}


class ShellError(Exception):
    """The shell cannot be used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Shell:
    """A resolved shell: the argv template (with ``{0}``) and how to write the script."""

    template: tuple[str, ...]
    extension: str
    pwsh: bool = False

    def argv(self, script: PurePath) -> list[str]:
        path = str(script)
        if self.pwsh:  # inside a single-quoted PowerShell string
            path = path.replace("'", "''")
        return [part.replace(PLACEHOLDER, path) for part in self.template]

    def script_text(self, script: str) -> str:
        if self.pwsh:
            return f"{_PWSH_PROLOGUE}{script}{_PWSH_EPILOGUE}"
        return script


@lru_cache(maxsize=512)
def which(name: str, path: str | None) -> str | None:
    """``shutil.which`` on the given ``PATH``, cached."""
    return shutil.which(name, path=path)


def _require(name: str, path: str | None, advice: str) -> str:
    found = which(name, path)
    if found is None:
        raise ShellError(f"shell '{name}' is not installed; {advice}")
    return found


def resolve_shell(shell: str | None, path: str | None) -> Shell:
    """Resolve ``shell`` (a GitHub shell name, a ``{0}`` template, or None) on ``path``."""
    name = shell.strip() if shell is not None else None
    if name is None or name == "":
        bash = which("bash", path)
        if bash is not None:
            return Shell((bash, "-e", PLACEHOLDER), ".sh")
        sh = _require("sh", path, "put bash or sh on PATH")
        return Shell((sh, "-e", PLACEHOLDER), ".sh")
    if name == "bash":
        bash = _require("bash", path, "install bash or choose another shell")
        return Shell((bash, "--noprofile", "--norc", "-eo", "pipefail", PLACEHOLDER), ".sh")
    if name == "sh":
        sh = _require("sh", path, "put sh on PATH or choose another shell")
        return Shell((sh, "-e", PLACEHOLDER), ".sh")
    if name == "python":
        python = which("python", path) or which("python3", path)
        if python is None:
            raise ShellError(
                "shell 'python' is not installed (neither python nor python3 is on PATH); "
                "install Python or choose another shell"
            )
        return Shell((python, PLACEHOLDER), ".py")
    if name == "pwsh":
        pwsh = _require("pwsh", path, "install PowerShell or choose another shell")
        return Shell((pwsh, "-command", f". '{PLACEHOLDER}'"), ".ps1", pwsh=True)
    if name in ("powershell", "cmd"):
        raise ShellError(
            f"shell '{name}' is only available on Windows; use bash, sh, python or pwsh "
            "(PowerShell Core) instead"
        )
    return _custom(name)


def _custom(template: str) -> Shell:
    if PLACEHOLDER not in template:
        raise ShellError(
            f"unknown shell '{template}': use bash, sh, python or pwsh, or a custom command "
            f"template containing {{0}} where the script path goes, e.g. '{template} {{0}}'"
        )
    try:
        parts = tuple(shlex.split(template))
    except ValueError as exc:
        raise ShellError(f"cannot parse shell template '{template}': {exc}") from None
    if not parts or parts[0] == PLACEHOLDER:
        raise ShellError(
            f"shell template '{template}' must start with a command, e.g. 'perl {{0}}'"
        )
    extension = _EXTENSIONS.get(PurePath(parts[0]).name, "")
    return Shell(parts, extension)
