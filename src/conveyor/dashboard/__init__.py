"""The browser dashboard: runs, live logs, tests, trends, environments, schedules.

Server-rendered pages mounted by :func:`conveyor.server.app.create_app` at ``/``; the
pages' actions call the server's API (``/api/...``) with the viewer's token.
"""
