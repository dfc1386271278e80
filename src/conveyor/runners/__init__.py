"""The local step runner: shells, process groups, timeouts, file and workflow commands.

:class:`LocalStepRunner` implements :class:`conveyor.engine.ports.StepRunner`;
:func:`kill_all_process_groups` stops every process a step started (the CLI calls it
on Ctrl-C, SIGTERM and at the end of a run).
"""

from conveyor.runners.groups import kill_all_process_groups, live_process_groups
from conveyor.runners.local import LocalStepRunner
from conveyor.runners.workflowcommands import Annotation

__all__ = ["Annotation", "LocalStepRunner", "kill_all_process_groups", "live_process_groups"]
