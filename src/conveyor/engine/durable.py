"""What a run keeps so another process can continue it: its compiled plan, its options
(everything but secret values) and its typed inputs, as one JSON document stored with the
run when it begins. Secrets are found again by name when the run resumes."""

from __future__ import annotations

from typing import Any

import msgspec

from conveyor.engine.runstate import RunOptions
from conveyor.engine.wire import JSON_ENCODER, json_decoder
from conveyor.planner.plan import WorkflowPlan

RECORD_SCHEMA_VERSION = 1


class RunRecord(msgspec.Struct, frozen=True):
    plan: WorkflowPlan
    options: RunOptions
    inputs: dict[str, Any]
    secret_names: list[str]
    schema: int = RECORD_SCHEMA_VERSION


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
