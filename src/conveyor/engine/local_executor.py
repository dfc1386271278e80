"""The local executor: jobs run on threads of this process (the default)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from conveyor.engine.events import Event
from conveyor.engine.jobexec import execute_job
from conveyor.engine.jobstate import JobServices
from conveyor.engine.masking import Masker
from conveyor.engine.ports import ActionProvider, StepReports, StepRunner
from conveyor.engine.wire import JobOutcome, JobRequest


class MappingSecrets:
    """Secrets held in this process (from ``--secret``, files or the environment)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def get(self, name: str) -> str | None:
        return self._values.get(name)


class LocalJobExecutor:
    """Executes each job on the calling thread, with this process's step runner, action
    provider, masker and secrets."""

    def __init__(
        self,
        runner: StepRunner,
        actions: ActionProvider,
        masker: Masker,
        secrets: Mapping[str, str],
        reports: StepReports | None = None,
    ) -> None:
        self._runner = runner
        self._reports = reports
        self._actions = actions
        self._masker = masker
        self._secrets = MappingSecrets(secrets)

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        services = JobServices(
            self._runner, self._actions, self._masker, publish, reports=self._reports
        )
        return execute_job(request, services, self._secrets, cancel, stop)

    def close(self) -> None:
        return None
