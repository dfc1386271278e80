"""conveyor: run GitHub-Actions-syntax workflows locally, without Docker."""

__version__ = "0.1.0"
