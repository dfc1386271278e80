"""Run reports (markdown, JSON, HTML), notifications (Slack, webhook, email) and ``gc``.

Builds on :mod:`conveyor.results` (test rows per run) and :mod:`conveyor.store` (runs).
Never imports :mod:`conveyor.tiers`; the tiers feature builds on this package.
"""
