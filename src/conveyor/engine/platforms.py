"""Which ``runs-on`` labels run on this machine and which are skipped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from conveyor.engine.secrets import parse_pairs
from conveyor.errors import UsageError

LOCAL = "local"
SKIP = "skip"
_LINUX_PREFIXES = ("ubuntu-", "linux")
_LINUX_LABELS = frozenset({"self-hosted", "linux", "x64", "arm64", "ubuntu-latest"})


@dataclass(frozen=True, slots=True)
class Placement:
    local: bool
    note: str = ""


def place(
    labels: Sequence[str],
    mapping: Mapping[str, str],
    *,
    group: str | None = None,
    routed: bool = False,
) -> Placement:
    """Decide where a job with these labels (and runner group) runs. ``mapping`` is
    ``--platform LABEL=local|skip`` (a runner group is mapped by its name too). With
    ``routed`` the executor sends jobs to workers by their labels: only a label mapped to
    skip (or no label at all) skips the job here."""
    if routed:
        return _routed(labels, mapping)
    if group is not None:
        choice = mapping.get(group)
        if choice == SKIP:
            return Placement(
                False, f"skipped: runner group '{group}' is mapped to skip (--platform)"
            )
        if choice != LOCAL:
            return Placement(
                False,
                f"skipped: runner group '{group}' is not available locally; "
                f"map it with --platform {group}=local to run it here",
            )
        if not labels:
            return Placement(True)
    if not labels:
        return Placement(False, "skipped: the job has no runs-on label")
    for label in labels:
        choice = mapping.get(label)
        if choice == SKIP:
            return Placement(False, f"skipped: runs-on '{label}' is mapped to skip (--platform)")
    unsupported = [
        label
        for label in labels
        if mapping.get(label) != LOCAL
        and label.lower() not in _LINUX_LABELS
        and not label.lower().startswith(_LINUX_PREFIXES)
    ]
    if unsupported:
        shown = ", ".join(unsupported)
        return Placement(
            False,
            f"skipped: runs-on {shown} is not available locally (conveyor runs Linux jobs); "
            f"map it with --platform {unsupported[0]}=local to run it here",
        )
    return Placement(True)


def _routed(labels: Sequence[str], mapping: Mapping[str, str]) -> Placement:
    if not labels:
        return Placement(False, "skipped: the job has no runs-on label")
    for label in labels:
        if mapping.get(label) == SKIP:
            return Placement(False, f"skipped: runs-on '{label}' is mapped to skip (--platform)")
    return Placement(True)


def parse_platforms(pairs: Sequence[str]) -> dict[str, str]:
    result = parse_pairs(pairs, "--platform")
    for label, choice in result.items():
        if choice not in (LOCAL, SKIP):
            raise UsageError(f"--platform {label}={choice}: expected 'local' or 'skip'")
    return result
