"""Deployment providers behind :class:`conveyor.delivery.ports.Provider`."""
