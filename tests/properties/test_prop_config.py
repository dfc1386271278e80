"""``conveyor.toml`` parsing never fails with anything but a ConfigError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import config_texts

from conveyor.errors import ConfigError
from conveyor.tiers.configfile import load_config, parse_config

pytestmark = pytest.mark.property


@given(config_texts)
def test_parsing_any_config_text(text: str) -> None:
    path = Path("conveyor.toml")
    try:
        config = parse_config(text, path)
    except ConfigError as exc:
        assert str(exc).startswith("conveyor.toml")
        return
    config.ordered()
    config.targets.to_targets()
    config.notify.rules()
    for _name, tier in config.ordered():
        assert tier.marker or tier.paths


@given(config_texts)
def test_parsing_any_config_inside_pyproject(text: str) -> None:
    nested = "\n".join(
        line.replace("[", "[tool.conveyor.", 1) if line.startswith("[") else line
        for line in text.splitlines()
    )
    try:
        parse_config("[tool.conveyor]\n" + nested, Path("pyproject.toml"), ("tool", "conveyor"))
    except ConfigError:
        return


@given(
    st.binary(max_size=200)
    | config_texts.map(lambda t: t.encode("utf-16"))
    | config_texts.map(lambda t: t.encode("latin-1", "replace"))
)
def test_reading_any_bytes_as_the_config_file(tmp_path_factory, data: bytes) -> None:
    folder = Path(tmp_path_factory.mktemp("cfg"))
    (folder / ".git").mkdir()
    for name in ("conveyor.toml", "pyproject.toml"):
        path = folder / name
        path.write_bytes(data)
        try:
            load_config(start=folder)
        except ConfigError as exc:
            assert str(exc).startswith(str(path)), exc
        path.unlink()
