"""``LocalStepRunner``: runs a step as a local subprocess (implements ``StepRunner``).

Per step: resolve the shell, write the script and the empty file-command files to
the step's temp directory, build the environment, run the process (see
:mod:`conveyor.runners.process`), then merge what workflow commands and file
commands produced into a :class:`StepResult`.

A step that cannot start (unknown shell, missing working directory, command not
found) gives ``StepResult(exit_code=None, error=...)``, never an exception. A step
whose commands are invalid (bad ``$GITHUB_OUTPUT`` content, a disabled
``::set-env::``) fails like on GitHub: the error is printed and annotated and a
zero exit code becomes 1. Outputs, env and state keep their real values (the
engine masks what it prints or stores); the step summary is masked here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from conveyor.engine.masking import Masker
from conveyor.engine.ports import StepOutput, StepRequest, StepResult
from conveyor.engine.secrets import without_secrets
from conveyor.runners.filecommands import FileCommandError, FileCommands
from conveyor.runners.process import Limits, ProcessOutcome, run_process
from conveyor.runners.shells import ShellError, resolve_shell
from conveyor.runners.workflowcommands import LineProcessor

_KILLED_BACKGROUND = (
    "background processes still writing to this step's output were stopped when the step "
    "ended; redirect their output (e.g. `cmd > cmd.log 2>&1 &`) to keep them running"
)
_ABANDONED = (
    "a process outside this step's process group still holds its output; "
    "its further output is ignored"
)


class _CannotStart(Exception):
    """The step cannot start; the message says why and what to do."""


class LocalStepRunner:
    """Runs steps as subprocesses of this machine, each in its own process group.

    ``kill_grace``: seconds between SIGTERM and SIGKILL when stopping a step.
    ``orphan_grace``: seconds to wait, after the step's main process exits, for
    leftover processes to release its output before stopping them.
    ``base_env``: the environment that ``request.env`` is layered on (default: this
    process's environment, read at each step), less the ``CONVEYOR_SECRET_*`` variables:
    a step sees a secret only through ``${{ secrets.NAME }}``.
    """

    def __init__(
        self,
        *,
        kill_grace: float = 2.0,
        orphan_grace: float = 0.5,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        self.kill_grace = kill_grace
        self.orphan_grace = orphan_grace
        self.base_env = base_env

    def run(
        self,
        request: StepRequest,
        output: StepOutput,
        masker: Masker,
        cancel: threading.Event,
    ) -> StepResult:
        if cancel.is_set():
            return StepResult(exit_code=None, cancelled=True)
        if not request.working_directory.is_dir():
            return StepResult(
                exit_code=None,
                error=f"working directory '{request.working_directory}' does not exist; "
                "create it in an earlier step or fix 'working-directory'",
            )
        own_temp = request.temp_dir is None
        try:
            if request.temp_dir is None:
                temp = Path(tempfile.mkdtemp(prefix="conveyor-step-"))
            else:
                temp = request.temp_dir
                temp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return StepResult(exit_code=None, error=f"cannot create the step's temp dir: {exc}")
        token = secrets.token_hex(8)
        script_path: Path | None = None
        files: FileCommands | None = None
        try:
            files = FileCommands(temp, token)
            env = self._environment(request, files)
            if request.script is not None:
                shell = resolve_shell(request.shell, env.get("PATH"))
                script_path = temp / f"{token}{shell.extension}"
                script_path.write_bytes(shell.script_text(request.script).encode("utf-8"))
                argv = shell.argv(script_path)
            elif request.argv:
                argv = list(request.argv)
            else:
                raise _CannotStart("the step has neither a script nor a command to run")
            processor = LineProcessor(output, masker, env)
            outcome = self._start(argv, request, env, processor, cancel)
            processor.close()
            return self._result(outcome, processor, files, masker)
        except (_CannotStart, ShellError) as exc:
            return StepResult(exit_code=None, error=str(exc))
        except OSError as exc:
            return StepResult(exit_code=None, error=f"cannot prepare the step: {exc}")
        finally:
            if own_temp:
                shutil.rmtree(temp, ignore_errors=True)
            else:
                if files is not None:
                    files.remove()
                if script_path is not None:
                    script_path.unlink(missing_ok=True)

    # ------------------------------------------------------------ helpers

    def _environment(self, request: StepRequest, files: FileCommands) -> dict[str, str]:
        env = without_secrets(os.environ if self.base_env is None else self.base_env)
        env.update(request.env)
        for name, value in request.state.items():
            env[f"STATE_{name}"] = value
        env.update(files.environment())
        return env

    def _start(
        self,
        argv: list[str],
        request: StepRequest,
        env: dict[str, str],
        processor: LineProcessor,
        cancel: threading.Event,
    ) -> ProcessOutcome:
        limits = Limits(request.timeout_seconds, self.kill_grace, self.orphan_grace)
        try:
            return run_process(
                argv,
                cwd=request.working_directory,
                env=env,
                feed=processor.feed,
                cancel=cancel,
                limits=limits,
                owner=request.name,
            )
        except FileNotFoundError as exc:
            if exc.filename is not None and Path(str(exc.filename)) == request.working_directory:
                raise _CannotStart(
                    f"working directory '{request.working_directory}' does not exist"
                ) from None
            what = f"shell '{request.shell}'" if request.script is not None else "command"
            raise _CannotStart(
                f"{what}: '{argv[0]}' was not found on PATH; install it or fix the step"
            ) from None
        except PermissionError as exc:
            if exc.filename is not None and Path(str(exc.filename)) == request.working_directory:
                raise _CannotStart(
                    f"working directory '{request.working_directory}' is not accessible"
                ) from None
            raise _CannotStart(
                f"'{argv[0]}' is not executable; check its permissions (chmod +x)"
            ) from None
        except OSError as exc:
            raise _CannotStart(f"cannot start '{argv[0]}': {exc.strerror or exc}") from None

    @staticmethod
    def _result(
        outcome: ProcessOutcome, processor: LineProcessor, files: FileCommands, masker: Masker
    ) -> StepResult:
        if outcome.killed_background:
            processor.note(_KILLED_BACKGROUND)
        if outcome.output_abandoned:
            processor.note(_ABANDONED)
        effects = processor.effects
        result = StepResult(
            exit_code=outcome.exit_code,
            timed_out=outcome.timed_out,
            cancelled=outcome.cancelled,
            outputs=dict(effects.outputs),
            env=dict(effects.env),
            path=list(effects.path),
            state=dict(effects.state),
        )
        try:
            values = files.read()
        except FileCommandError as exc:
            processor.fail(str(exc))
        else:
            result.outputs.update(values.outputs)
            result.env.update(values.env)
            result.path.extend(values.path)
            result.state.update(values.state)
            result.summary = masker.mask(values.summary)
        if effects.failures and result.exit_code == 0:
            result.exit_code = 1
        return result
