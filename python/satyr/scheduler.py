"""Running a framework: :class:`Running` (this part) starts a scheduler against a Mesos master and
stops it again; the ready-made schedulers follow further down in this module."""

from __future__ import annotations

import getpass
import logging
import math
import signal
import threading
import types
from collections.abc import Iterable, Mapping
from typing import Any

from satyr._satyr import InvalidCallError, SatyrError
from satyr.driver import SchedulerDriver, resolve_master
from satyr.interface import Scheduler
from satyr.proxies.messages import FrameworkInfo

__all__ = ["Running"]

log = logging.getLogger("satyr.scheduler")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


# ================================================================================================
# Running
# ================================================================================================


def _framework_info(
    name: str,
    user: str | None,
    role: str | None,
    roles: Iterable[str] | None,
    principal: str | None,
    failover_timeout: float | None,
    checkpoint: bool | None,
    fields: Mapping[str, Any],
) -> FrameworkInfo:
    if not isinstance(name, str) or not name:
        raise InvalidCallError(f"name must be a non-empty str, got {name!r}")
    if user is None:
        user = getpass.getuser()
    if not isinstance(user, str) or not user:
        raise InvalidCallError(f"user must be a non-empty str, got {user!r}")
    info = FrameworkInfo(name=name, user=user)
    if role is not None and roles is not None:
        raise InvalidCallError("give role (one role) or roles (MULTI_ROLE), not both")
    if role is not None:
        if not isinstance(role, str) or not role:
            raise InvalidCallError(f"role must be a non-empty str, got {role!r}")
        info.role = role
    if roles is not None:
        roles = [roles] if isinstance(roles, str) else list(roles)
        if not roles or not all(isinstance(r, str) and r for r in roles):
            raise InvalidCallError(f"roles must be non-empty role names, got {roles!r}")
        info.roles = roles
        info.capabilities = [*info.capabilities, {"type": "MULTI_ROLE"}]
    if principal is not None:
        info.principal = principal
    if failover_timeout is not None:
        if (
            isinstance(failover_timeout, bool)
            or not isinstance(failover_timeout, int | float)
            or not math.isfinite(failover_timeout)
            or failover_timeout < 0
        ):
            raise InvalidCallError(
                f"failover_timeout must be a number of seconds >= 0, got {failover_timeout!r}"
            )
        info.failover_timeout = float(failover_timeout)
    if checkpoint is not None:
        if not isinstance(checkpoint, bool):
            raise InvalidCallError(f"checkpoint must be a bool, got {checkpoint!r}")
        info.checkpoint = checkpoint
    for key, value in fields.items():
        try:
            setattr(info, key, value)
        except (AttributeError, TypeError, ValueError) as e:
            raise InvalidCallError(f"FrameworkInfo setting {key}={value!r}: {e}") from None
    return info


class Running:
    """Runs ``scheduler`` as the framework ``name`` on a Mesos master::

        with Running(MyScheduler(), name='my-framework') as driver:
            ...   # the framework runs; callbacks arrive on the dispatcher thread

    On entry the driver starts and SIGINT/SIGTERM handlers are installed (in the main thread)
    that stop the framework and then do what the handlers they replaced did (by default:
    ``KeyboardInterrupt``, and ``SystemExit(143)`` for SIGTERM); on exit the driver is stopped
    (``stop(failover=failover)``), joined, and the replaced handlers are restored. If the driver
    stopped by itself with an error (framework removed, credentials refused), leaving the block
    raises that error, unless the block raised one of its own.

    ``master`` defaults to the ``MESOS_MASTER`` environment variable, read here (not at import):
    ``zk://[user:pass@]h1:2181,h2:2181/mesos``, ``http(s)://host:5050``, ``host:5050``,
    ``file:///path``. ``user`` defaults to the current user; ``role`` subscribes with one role,
    ``roles`` with several (MULTI_ROLE); ``principal``/``secret`` authenticate over HTTP basic
    auth; ``failover_timeout`` (seconds) is how long the master keeps the framework after the
    driver goes away (with ``failover=True`` on exit, or a crash); other ``FrameworkInfo``
    fields may be given as keywords (``webui_url=...``, ``labels=...``). ``driver_options`` go to
    :class:`~satyr.driver.SchedulerDriver` (``encoding``, ``ca_file``, ``heartbeats``,
    ``backoff_max``, ...). Every setting is checked here; a bad one raises
    :class:`~satyr.InvalidCallError` naming it.
    """

    def __init__(
        self,
        scheduler: Scheduler,
        name: str = "satyr",
        master: str | None = None,
        user: str | None = None,
        *,
        role: str | None = None,
        roles: Iterable[str] | None = None,
        principal: str | None = None,
        secret: str | None = None,
        failover_timeout: float | None = None,
        checkpoint: bool | None = None,
        implicit_acknowledgements: bool = True,
        failover: bool = False,
        driver_options: Mapping[str, Any] | None = None,
        **framework_info_fields: Any,
    ) -> None:
        info = _framework_info(
            name,
            user,
            role,
            roles,
            principal,
            failover_timeout,
            checkpoint,
            framework_info_fields,
        )
        self.master = resolve_master(master)
        self.failover = failover
        self.driver = SchedulerDriver(
            scheduler,
            info,
            self.master,
            implicit_acknowledgements=implicit_acknowledgements,
            principal=principal,
            secret=secret,
            **dict(driver_options or {}),
        )
        self._replaced: dict[int, Any] = {}

    @property
    def scheduler(self) -> Scheduler:
        """The scheduler whose callbacks run."""
        return self.driver.scheduler

    def start(self) -> SchedulerDriver:
        """Starts the driver and installs the signal handlers; returns the driver."""
        self.driver.start()
        self._install_handlers()
        return self.driver

    def stop(self, failover: bool | None = None) -> None:
        """Stops the driver (``failover`` defaults to the one given at construction)."""
        try:
            self.driver.stop(self.failover if failover is None else failover)
        finally:
            self._restore_handlers()

    def join(self, timeout: float | None = None) -> bool:
        """Waits for the driver to stop (see :meth:`SchedulerDriver.join`)."""
        return self.driver.join(timeout)

    def run(self) -> SatyrError | None:
        """Runs until the driver stops (by a signal, or from a callback); returns the fatal
        error, if any."""
        with self:
            self.join()
        return self.driver.error

    def __enter__(self) -> SchedulerDriver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except SatyrError as e:
            if exc is None and self.driver.state != "STOPPED":
                raise
            log.warning("stopping the driver: %s", e)
        self.join()
        if exc is None and self.driver.error is not None:
            raise self.driver.error

    # -- signals ---------------------------------------------------------------------------------

    def _install_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in _SIGNALS:
            self._replaced[signum] = signal.signal(signum, self._on_signal)

    def _restore_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # left for __exit__ (or a later stop) in the main thread
        replaced, self._replaced = self._replaced, {}
        for signum, handler in replaced.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def _on_signal(self, signum: int, frame: types.FrameType | None) -> None:
        previous = self._replaced.get(signum, signal.SIG_DFL)
        log.info("signal %d: stopping the framework", signum)
        # Stop in the background: a signal handler must not block on the network.
        threading.Thread(target=self._stop_quietly, name="satyr-signal-stop", daemon=True).start()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)

    def _stop_quietly(self) -> None:
        try:
            self.driver.stop(self.failover)
        except SatyrError as e:
            log.warning("stopping the driver on a signal: %s", e)


# (QueueScheduler and other ready-made schedulers follow below this line.)
