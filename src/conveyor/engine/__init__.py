"""Run engine: orchestrates runs, jobs and steps against the ports in :mod:`conveyor.engine.ports`.

The engine never imports runners, actions or store directly (they sit above it);
the CLI wires concrete implementations in.
"""
