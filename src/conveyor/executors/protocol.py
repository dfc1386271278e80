"""The lines a job process and its parent exchange.

Parent -> child, on the child's stdin: the :class:`~conveyor.engine.wire.JobRequest` as one
JSON line, then control lines: ``cancel`` (stop the steps; post steps still run) and
``stop`` (the run is torn down: skip post steps too). End of input means the parent is
gone: the child stops its job.

Child -> parent, on the child's stdout: one line per message, a one-letter kind and JSON:
``E{event}`` for each event in order, then ``O{outcome}`` last.
"""

from __future__ import annotations

CANCEL = b"cancel\n"
STOP = b"stop\n"
EVENT = b"E"
OUTCOME = b"O"
JOB_TOKEN_ENV = "CONVEYOR_JOB_TOKEN"
"""Every process of one job process carries this, so it can be swept if the job dies."""
SECRET_ENV_PREFIX = "CONVEYOR_SECRET_"
"""How a job process receives the run's secrets (never in the request)."""
