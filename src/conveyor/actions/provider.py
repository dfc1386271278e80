"""``DefaultActionProvider``: where a ``uses:`` points (built-in, local, remote, docker)."""

from __future__ import annotations

from pathlib import Path

from conveyor.actions.metadata import METADATA_FILES, find_metadata, read_metadata
from conveyor.actions.registry import find_builtin, find_check
from conveyor.actions.remote_cache import ActionCache, source_template, source_url
from conveyor.actions.uses import DockerRef, LocalRef, RemoteRef, is_workflow_path, parse_uses
from conveyor.engine.ports import ResolvedAction
from conveyor.errors import ActionError


class DefaultActionProvider:
    """Resolves ``uses:`` for the engine.

    ``state_dir`` holds the action cache (``<state_dir>/actions``). Remote actions are
    cloned from ``source_url_template`` (``{owner}``/``{repo}`` placeholders), else
    ``$CONVEYOR_ACTIONS_URL``, else ``https://github.com/{owner}/{repo}``. With
    ``offline`` only cached copies are used.
    """

    def __init__(
        self, state_dir: Path, source_url_template: str | None = None, offline: bool = False
    ) -> None:
        self.state_dir = Path(state_dir)
        self.source_url_template = source_url_template
        self.offline = offline
        self.cache = ActionCache(self.state_dir / "actions")

    def resolve(self, uses: str, *, workspace: Path, repository_root: Path) -> ResolvedAction:
        ref = parse_uses(uses)
        if isinstance(ref, LocalRef):
            return self._local(uses, ref, workspace, repository_root)
        if isinstance(ref, DockerRef):
            return ResolvedAction(uses=uses, kind="docker")
        builtin = None if ref.is_workflow else find_builtin(ref.name)
        if builtin is not None:
            check = find_check(ref.name)
            return ResolvedAction(uses=uses, kind="builtin", builtin=builtin, check=check)
        return self._remote(uses, ref)

    def _local(
        self, uses: str, ref: LocalRef, workspace: Path, repository_root: Path
    ) -> ResolvedAction:
        bases = [Path(workspace), Path(repository_root)]
        if is_workflow_path(ref.path):
            for base in bases:
                candidate = base / ref.path
                if candidate.is_file():
                    return ResolvedAction(uses=uses, kind="workflow", workflow_file=candidate)
            raise ActionError(
                f"reusable workflow '{uses}' not found (looked in {bases[0]} and {bases[1]}); "
                "check the path, which is relative to the repository root"
            )
        for base in bases:
            directory = base / ref.path
            metadata = find_metadata(directory)
            if metadata is not None:
                kind, loaded = read_metadata(metadata, uses)
                return ResolvedAction(
                    uses=uses, kind=kind, directory=directory.resolve(), metadata=loaded
                )
        names = " or ".join(METADATA_FILES)
        raise ActionError(
            f"local action '{uses}' not found: no {names} in {bases[0] / ref.path} or "
            f"{bases[1] / ref.path}. Check the path (relative to the repository root) and "
            "run actions/checkout before using a local action"
        )

    def _remote(self, uses: str, ref: RemoteRef) -> ResolvedAction:
        if not ref.ref:
            raise ActionError(
                f"uses: '{uses}' needs a version, e.g. '{uses}@v1' (a tag, branch or commit SHA)"
            )
        url = source_url(source_template(self.source_url_template), ref.owner, ref.repo)
        root = self.cache.get(
            ref.owner, ref.repo, ref.ref, url=url, offline=self.offline, uses=uses
        )
        target = root / ref.subpath if ref.subpath else root
        if ref.is_workflow:
            if not target.is_file():
                raise ActionError(f"reusable workflow '{uses}': {ref.subpath} not found in {url}")
            return ResolvedAction(uses=uses, kind="workflow", workflow_file=target)
        metadata = find_metadata(target)
        if metadata is None:
            where = f"'{ref.subpath}'" if ref.subpath else "the repository root"
            raise ActionError(
                f"action '{uses}': no {' or '.join(METADATA_FILES)} at {where} of {url}@{ref.ref}"
            )
        kind, loaded = read_metadata(metadata, uses)
        return ResolvedAction(uses=uses, kind=kind, directory=target, metadata=loaded)
