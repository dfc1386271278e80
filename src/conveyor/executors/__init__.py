"""Job executors beyond the engine's in-process one: each job in a child ``conveyor``
process that reads its :class:`~conveyor.engine.wire.JobRequest` as JSON and writes its
events as JSON lines -- the path a remote worker takes too."""
