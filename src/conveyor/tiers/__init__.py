"""Test tiers (unit, mocked, integration, smoke, e2e) from ``conveyor.toml`` and the runner
behind ``conveyor test`` and ``conveyor/test@v1``."""
