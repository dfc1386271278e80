"""`conveyor serve`: the ASGI application (FastAPI on uvicorn) that takes webhooks and API
calls, queues runs on an executor, and serves the dashboard.

:func:`conveyor.server.app.create_app` builds the application from a
:class:`conveyor.server.config.ServerConfig`; routers live in modules of their own and are
included there.
"""
