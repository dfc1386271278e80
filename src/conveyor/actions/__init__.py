"""Built-in actions, action resolution (``uses:``) and the action cache.

:class:`DefaultActionProvider` implements :class:`conveyor.engine.ports.ActionProvider`.
Built-ins live in :data:`BUILTINS` (``owner/repo[/path]`` -> callable); add one with a
line there or :func:`register_builtin`.
"""

from conveyor.actions.provider import DefaultActionProvider
from conveyor.actions.registry import BUILTINS, find_builtin, register_builtin
from conveyor.actions.remote_cache import DEFAULT_SOURCE, SOURCE_ENV

__all__ = [
    "BUILTINS",
    "DEFAULT_SOURCE",
    "SOURCE_ENV",
    "DefaultActionProvider",
    "find_builtin",
    "register_builtin",
]
