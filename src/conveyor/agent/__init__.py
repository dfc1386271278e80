"""The conveyor agent: a per-user process that has conveyor's heavy modules imported and
forks a worker for each command the ``conveyor`` console script hands it
(:mod:`conveyor.client`). Nothing here is imported by a cold command."""
