"""Keeps the Rust core's log threshold in step with Python's ``logging``.

The native module forwards the core's ``tracing`` events to ``logging.getLogger('satyr.<module>')``
(``satyr.driver.actor``, ``satyr.executor.guard``, ...) from a background thread. To filter
without the GIL it caches the most verbose level any ``satyr`` logger enables; this module
recomputes that level at import and whenever Python's logging levels change (``setLevel``,
``basicConfig``, ``dictConfig``, ``logging.disable`` all clear the logging manager's level
cache, which is where the hook sits).
"""

from __future__ import annotations

import atexit
import logging
from typing import Any

from satyr import _satyr

__all__ = ["flush_logs", "sync_log_level"]


def sync_log_level() -> None:
    """Tells the Rust core the most verbose level any ``satyr`` logger enables. Automatic
    after every ``setLevel``; call it after assigning a logger's ``level`` attribute directly."""
    manager = logging.Logger.manager
    level = logging.getLogger("satyr").getEffectiveLevel()
    for name, logger in list(manager.loggerDict.items()):
        if name.startswith("satyr.") and isinstance(logger, logging.Logger):
            level = min(level, logger.getEffectiveLevel())
    _satyr.log_set_level(max(level, manager.disable + 1))


def flush_logs(timeout: float | None = None) -> bool:
    """Waits until every record the Rust core emitted so far has reached ``logging`` (they are
    handed over by a background thread); False if ``timeout`` seconds passed first."""
    return _satyr.log_flush(timeout)


def _close() -> None:
    # Late records still get out; after this the core drops them (the interpreter finalizes).
    _satyr.log_flush(1.0)
    _satyr.log_close()


def _install() -> None:
    manager: Any = logging.Logger.manager
    clear = getattr(manager, "_clear_cache", None)
    if callable(clear) and not getattr(clear, "satyr_sync", False):

        def clear_cache() -> None:
            clear()
            sync_log_level()

        clear_cache.satyr_sync = True  # type: ignore[attr-defined]
        manager._clear_cache = clear_cache
    sync_log_level()
    atexit.register(_close)


_install()
