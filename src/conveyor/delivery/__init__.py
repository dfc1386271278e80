"""Delivery: environments with protection rules and approvals, build artifacts promoted
from one environment to the next, zero-downtime deploys through a provider, gates and
rollback. The domain and its ports live here; providers are in :mod:`conveyor.providers`,
the built-in actions in :mod:`conveyor.actions`."""
