"""Workflow model, YAML loading with positions, and validation (pure layer)."""
