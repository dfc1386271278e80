"""``conveyor.toml`` parsing never fails with anything but a ConfigError naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from property_helpers import config_texts

from conveyor.errors import ConfigError
from conveyor.tiers.configfile import parse_config

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
