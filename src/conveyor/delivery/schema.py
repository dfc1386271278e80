"""A database's schema against what the code expects: the blocking schema gate and
migrations (``conveyor/schema-gate@v1``, ``conveyor/migrate@v1``).

The code's expectation is an **Alembic** script directory (or its ``alembic.ini``): the
database's revision must be the scripts' head -- pending revisions, or a revision the
scripts do not know (newer code migrated it), are differences; or a **SQLAlchemy
metadata** (``module:attribute``, a ``MetaData`` or a declarative base): every table and
column must exist in the database with a compatible type (same type family, not
narrower), found by reflection.

Both import the project's own code (its ``env.py``, its models), so they run in a child
process (:func:`run_schema`: ``python -m conveyor.delivery.schema``), never inside
conveyor: the request -- with the database URL -- goes in through the environment, not
the command line; the result comes back as one JSON line.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conveyor.runners.process import Limits, run_process
from conveyor.store.paths import driver_url

REQUEST_ENV = "CONVEYOR_SCHEMA_REQUEST"
RESULT_MARK = "::conveyor-schema-result::"
_INTEGER_WIDTH = {"SmallInteger": 1, "Integer": 2, "BigInteger": 3}


@dataclass(frozen=True, slots=True)
class SchemaRequest:
    command: str  # gate / migrate
    url: str
    alembic: str = ""  # an Alembic script directory or alembic.ini (absolute)
    metadata: str = ""  # module:attribute
    version_table: str = "alembic_version"
    target: str = "heads"  # migrate: the revision to upgrade to
    apply: bool = True  # migrate: False previews only


@dataclass(slots=True)
class SchemaResult:
    ok: bool = True
    differences: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)  # the database's revision(s)
    heads: list[str] = field(default_factory=list)  # the scripts' head(s)
    pending: list[str] = field(default_factory=list)  # "rev: message", oldest first
    sql: str = ""  # migrate: the offline SQL of the upgrade
    after: list[str] = field(default_factory=list)  # migrate: the revision(s) after
    error: str = ""  # it could not be checked at all (bad input, unreachable database)


# ---------------------------------------------------------------- the parent side


def run_schema(
    request: SchemaRequest,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Callable[[str], None],
    cancel: threading.Event,
    timeout: float = 1800.0,
) -> SchemaResult:
    """Run ``request`` in a child process of this Python with ``cwd`` first on its path;
    its other output lines go to ``log``."""
    found: list[str] = []

    def feed(line: str, _stream: str) -> None:
        if line.startswith(RESULT_MARK):
            found.append(line.removeprefix(RESULT_MARK))
        else:
            log(line)

    path = os.pathsep.join(p for p in (str(cwd), env.get("PYTHONPATH", "")) if p)
    child_env = {**env, "PYTHONPATH": path, REQUEST_ENV: json.dumps(asdict(request))}
    try:
        outcome = run_process(
            [sys.executable, "-m", "conveyor.delivery.schema"],
            cwd=cwd,
            env=child_env,
            feed=feed,
            cancel=cancel,
            limits=Limits(timeout=timeout),
        )
    except OSError as exc:
        return SchemaResult(ok=False, error=f"could not start Python: {exc}")
    if not found:
        why = "timed out" if outcome.timed_out else f"exit code {outcome.exit_code}"
        return SchemaResult(ok=False, error=f"the schema check ended without a result ({why})")
    return SchemaResult(**json.loads(found[-1]))


# ---------------------------------------------------------------- the child side


def _engine(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(driver_url(url), poolclass=NullPool)


def _alembic_config(location: str, url: str) -> Any:
    from alembic.config import Config

    path = Path(location)
    if path.is_file():
        config = Config(str(path))
        script = config.get_main_option("script_location") or ""
        if script and not Path(script).is_absolute():
            script = str((path.parent / script).resolve())
        config.set_main_option("script_location", script.replace("%", "%%"))
    elif path.is_dir():
        config = Config()
        config.set_main_option("script_location", str(path).replace("%", "%%"))
    else:
        raise ValueError(f"{location}: no Alembic script directory or alembic.ini there")
    config.set_main_option("sqlalchemy.url", driver_url(url).replace("%", "%%"))
    return config


def _revisions(config: Any, connection: Any, version_table: str) -> SchemaResult:
    """The database's revision against the scripts' heads."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    script = ScriptDirectory.from_config(config)
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    result = SchemaResult(current=list(context.get_current_heads()), heads=list(script.get_heads()))
    unknown = [rev for rev in result.current if not _known(script, rev)]
    if unknown:
        result.differences.append(
            f"the database is at revision {', '.join(unknown)}, which these migrations do not "
            "know: newer code migrated it; deploy that code, or migrate the database back"
        )
        return result
    try:
        pending = list(script.iterate_revisions("heads", tuple(result.current)))
    except CommandError as exc:
        result.differences.append(f"cannot order the revisions: {exc}")
        return result
    result.pending = [f"{rev.revision}: {(rev.doc or '').strip()}" for rev in reversed(pending)]
    if result.pending:
        at = ", ".join(result.current) or "no revision (empty)"
        result.differences.append(
            f"{len(result.pending)} pending migration(s): the database is at {at}, the "
            f"code's head is {', '.join(result.heads)}"
        )
        result.differences.extend(f"  pending {line}" for line in result.pending)
    return result


def _known(script: Any, revision: str) -> bool:
    from alembic.util.exc import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def load_metadata(spec: str) -> Any:
    """The ``MetaData`` at ``module:attribute`` (a declarative base gives its own)."""
    from sqlalchemy import MetaData

    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"metadata {spec!r}: write module:attribute, e.g. app.models:Base")
    found: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        found = getattr(found, part)
    metadata = found if isinstance(found, MetaData) else getattr(found, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise ValueError(f"metadata {spec!r} is neither a MetaData nor a declarative base")
    return metadata


def _compatible(expected: Any, actual: Any) -> bool:
    want, have = expected._type_affinity, actual._type_affinity
    if want is None or have is None:
        return True
    if not (issubclass(have, want) or issubclass(want, have)):
        return False
    wide = {_INTEGER_WIDTH.get(cls.__name__, 0) for cls in type(expected).__mro__} - {0}
    has = {_INTEGER_WIDTH.get(cls.__name__, 0) for cls in type(actual).__mro__} - {0}
    if wide and has and max(has) < max(wide):
        return False
    want_length, have_length = getattr(expected, "length", None), getattr(actual, "length", None)
    return not (want_length and have_length and have_length < want_length)


def metadata_differences(connection: Any, metadata: Any) -> list[str]:
    """What the database lacks of ``metadata``: tables, columns, compatible types."""
    from sqlalchemy import inspect

    inspector = inspect(connection)
    dialect = connection.dialect
    differences: list[str] = []
    for table in metadata.sorted_tables:
        name = f"{table.schema}.{table.name}" if table.schema else table.name
        if not inspector.has_table(table.name, schema=table.schema):
            differences.append(f"missing table {name}")
            continue
        columns = {c["name"]: c for c in inspector.get_columns(table.name, schema=table.schema)}
        for column in table.columns:
            wanted = column.type.compile(dialect=dialect)
            found = columns.get(column.name)
            if found is None:
                differences.append(f"table {name}: missing column {column.name} ({wanted})")
            elif not _compatible(column.type, found["type"]):
                have = found["type"].compile(dialect=dialect)
                differences.append(
                    f"table {name}: column {column.name} is {have} in the database, the "
                    f"code expects {wanted}"
                )
    return differences


def gate(request: SchemaRequest) -> SchemaResult:
    engine = _engine(request.url)
    try:
        with engine.connect() as connection:
            if request.alembic:
                config = _alembic_config(request.alembic, request.url)
                result = _revisions(config, connection, request.version_table)
            else:
                result = SchemaResult()
            if request.metadata:
                metadata = load_metadata(request.metadata)
                result.differences.extend(metadata_differences(connection, metadata))
    finally:
        engine.dispose()
    result.ok = not result.differences
    return result


def migrate(request: SchemaRequest) -> SchemaResult:
    """Preview the upgrade as SQL (Alembic's offline mode), then apply it."""
    from alembic import command

    config = _alembic_config(request.alembic, request.url)
    engine = _engine(request.url)
    try:
        with engine.connect() as connection:
            before = _revisions(config, connection, request.version_table)
        if before.differences and not before.pending:  # e.g. a revision it does not know
            before.ok = False
            return before
        start = ",".join(before.current) if len(before.current) == 1 else ""
        buffer = io.StringIO()
        config.output_buffer = buffer
        span = f"{start}:{request.target}" if start else request.target
        with _quiet_stdout():
            command.upgrade(config, span, sql=True)
        before.sql = buffer.getvalue()
        config.output_buffer = None
        if request.apply and before.pending:
            command.upgrade(config, request.target)
        with engine.connect() as connection:
            after = _revisions(config, connection, request.version_table)
    finally:
        engine.dispose()
    before.after = after.current
    before.differences = after.differences if request.apply else before.differences
    before.ok = not before.differences or not request.apply
    return before


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Alembic writes the offline SQL to the output buffer; keep stdout for the result."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def main() -> int:
    raw = os.environ.pop(REQUEST_ENV, "")
    try:
        request = SchemaRequest(**json.loads(raw))
        result = gate(request) if request.command == "gate" else migrate(request)
    except Exception as exc:  # every failure is reported to the parent as the result
        result = SchemaResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    sys.stdout.write(RESULT_MARK + json.dumps(asdict(result)) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
