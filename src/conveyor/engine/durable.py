"""What a run keeps so another process can continue it.

Not the plan itself: the workflow file it came from and a digest of the compiled plan.
A resume plans and compiles that file again (with the recorded event, payload and
inputs) and refuses if the result differs -- the workflow or an action it uses changed
since the run began. So nothing a workflow's text holds is copied into the database.
The options are kept without secret values (secrets are found again by name), and the
payload and inputs pass through the run's masker first.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import msgspec

from conveyor.engine.masking import Masker
from conveyor.engine.runstate import RunOptions
from conveyor.engine.wire import JSON_ENCODER, json_decoder
from conveyor.planner.plan import WorkflowPlan, encode_workflow

RECORD_SCHEMA_VERSION = 1


class RunRecord(msgspec.Struct, frozen=True):
    workflow_file: str
    plan_digest: str
    options: RunOptions
    inputs: dict[str, Any]
    secret_names: list[str]
    schema: int = RECORD_SCHEMA_VERSION


def plan_digest(plan: WorkflowPlan) -> str:
    """A digest of what the plan would run (not of why it fired)."""
    steady = msgspec.structs.replace(plan, fires=True, reason="")
    return hashlib.sha256(encode_workflow(steady)).hexdigest()


def _masked(value: Any, masker: Masker) -> Any:
    if isinstance(value, str):
        return masker.mask(value)
    if isinstance(value, list):
        return [_masked(item, masker) for item in value]
    if isinstance(value, dict):
        return {key: _masked(item, masker) for key, item in value.items()}
    return value


def make_record(
    plan: WorkflowPlan, options: RunOptions, inputs: dict[str, Any], masker: Masker
) -> RunRecord:
    """The record of a run that begins: ``options`` lose their secrets; the payload and
    inputs are masked."""
    kept = dataclasses.replace(
        options,
        secrets={},
        payload=_masked(dict(options.payload), masker),
        inputs=_masked(dict(options.inputs), masker),
    )
    return RunRecord(
        workflow_file=plan.file or plan.path,
        plan_digest=plan_digest(plan),
        options=kept,
        inputs=_masked(inputs, masker),
        secret_names=sorted(options.secrets),
    )


_DECODER = json_decoder(RunRecord)


def encode_record(record: RunRecord) -> bytes:
    return JSON_ENCODER.encode(record)


def decode_record(data: bytes | str) -> RunRecord:
    record = _DECODER.decode(data)
    if record.schema != RECORD_SCHEMA_VERSION:
        raise ValueError(
            f"the run was recorded by another conveyor version (schema {record.schema}); "
            "resume it with that version"
        )
    return record
