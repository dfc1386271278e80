"""Report files conveyor keeps: copies inside the state directory, masked when secrets apply.

``conveyor ingest /some/where/junit.xml`` keeps a copy under ``<state>/results/``, so the
history (and ``conveyor gc``) only ever touches files conveyor wrote itself. The copy is
the file passed through the run's masker (:meth:`Masker.mask_stream`; the masker also knows
the XML- and JSON-escaped forms of each secret, so escaped values are masked too).
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import shutil
from pathlib import Path

from conveyor.engine.masking import Masker
from conveyor.errors import UserError
from conveyor.results.model import TestCaseResult
from conveyor.store.paths import sanitize

RESULTS_DIR = "results"
RUNLESS_DIR = "ingests"  # results/ingests/<ingest id>/: reports ingested without a run


def mask_case(case: TestCaseResult, masker: Masker | None) -> TestCaseResult:
    """``case`` with every text field masked (the test id follows from them)."""
    if masker is None or not masker.active:
        return case
    mask = masker.mask
    return dataclasses.replace(
        case,
        name=mask(case.name),
        classname=mask(case.classname),
        suite=mask(case.suite),
        file=mask(case.file) if case.file is not None else None,
        message=mask(case.message),
        output=mask(case.output),
    )


def inside(path: Path, directory: Path) -> bool:
    """True when ``path`` is ``directory`` or lies under it, symlinks resolved."""
    try:
        return path.resolve().is_relative_to(directory.resolve())
    except (OSError, RuntimeError):  # unreadable, or a symlink loop
        return False


def keep_dir(state_dir: Path, run_key: str | None, ingest_id: int) -> Path:
    """Where an ingest's copies go: ``results/<run key>/`` (see
    :mod:`conveyor.engine.runkeys`) or, without a run, ``results/ingests/<id>-<random>/``
    (ingest ids, like run ids, repeat across databases sharing the state directory)."""
    if run_key is not None:
        return state_dir / RESULTS_DIR / run_key
    return state_dir / RESULTS_DIR / RUNLESS_DIR / f"{ingest_id}-{secrets.token_hex(6)}"


def copy_masked(source: Path, target: Path, masker: Masker | None) -> None:
    """Write ``source`` to ``target`` (which may be ``source`` itself), masked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if masker is None or not masker.active:
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        return
    scratch = target.with_name(f".{target.name}.masking")
    try:
        with source.open("rb") as reader, scratch.open("wb") as out:
            masker.mask_stream(reader, out)
        scratch.replace(target)
    except OSError as exc:
        scratch.unlink(missing_ok=True)
        raise UserError(f"{source}: cannot keep a copy in {target.parent}: {exc}") from exc


class _Hashing:
    """A write-only binary sink that only hashes what it is given."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return len(data)


def masked_digest(path: Path, masker: Masker | None) -> str:
    """The sha256 of ``path`` as it would be kept (masked): the same report downloaded in
    another job (artifacts are stored masked) has the same digest."""
    sink = _Hashing()
    with path.open("rb") as reader:
        if masker is None or not masker.active:
            for chunk in iter(lambda: reader.read(1 << 20), b""):
                sink.write(chunk)
        else:
            masker.mask_stream(reader, sink)  # type: ignore[arg-type]
    return sink.sha.hexdigest()


def remove_copies(kept: list[Path], sources: list[Path]) -> None:
    """Undo :func:`keep_reports`: delete the copies (never a source file)."""
    originals = {p.absolute() for p in sources}
    for copy in kept:
        if copy not in originals:
            copy.unlink(missing_ok=True)


def keep_reports(
    paths: list[Path], directory: Path, prefix: str, masker: Masker | None
) -> list[Path]:
    """The kept file for each of ``paths``: a report already in ``directory`` (the tier
    runner writes there) is kept where it is (masked in place), any other is copied into
    it -- one from a job's workspace too, which goes when the job ends. All or nothing: on
    an error the copies made so far are removed."""
    kept: list[Path] = []
    try:
        for index, path in enumerate(paths, start=1):
            if inside(path, directory):
                target = path.absolute()
            else:
                target = directory / f"{prefix}-{index}-{sanitize(path.name, 'report')}"
            copy_masked(path, target, masker)
            kept.append(target)
    except BaseException:
        remove_copies(kept, paths)
        raise
    return kept
