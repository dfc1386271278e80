from __future__ import annotations

import pytest

from conveyor.actions.uses import DockerRef, LocalRef, RemoteRef, parse_uses
from conveyor.errors import ActionError


def test_local() -> None:
    assert parse_uses("./.github/actions/build") == LocalRef("./.github/actions/build")


def test_docker() -> None:
    assert parse_uses("docker://alpine:3.19") == DockerRef("alpine:3.19")


def test_remote_forms() -> None:
    ref = parse_uses("Actions/Cache/restore@v4")
    assert ref == RemoteRef("Actions", "Cache", "restore", "v4")
    assert isinstance(ref, RemoteRef)
    assert ref.name == "actions/cache/restore"
    wf = parse_uses("octo/ci/.github/workflows/build.yml@main")
    assert isinstance(wf, RemoteRef) and wf.is_workflow
    assert parse_uses("octo/tool") == RemoteRef("octo", "tool", "", None)


@pytest.mark.parametrize("bad", ["justname", "octo/tool@", "octo/to ol@v1", "docker://"])
def test_invalid(bad: str) -> None:
    with pytest.raises(ActionError, match="uses"):
        parse_uses(bad)
