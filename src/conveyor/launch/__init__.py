"""Launching runs: the engine wired to the store, the console, the action provider and a
job executor (local threads, or child processes). ``conveyor run``, ``conveyor trigger``,
``conveyor resume`` and the scheduler all start runs here."""
