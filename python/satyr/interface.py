"""The callback interfaces a framework implements: :class:`Scheduler` (this part) and the
executor's interface (another part of this module).

Subclass and override the callbacks you need; the driver calls them on one dispatcher thread, in
the order the events arrived. An exception raised by a callback is logged with its traceback and
the framework keeps running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satyr import SatyrError
    from satyr.driver import SchedulerDriver
    from satyr.executor import ExecutorDriver
    from satyr.proxies.messages import (
        AgentID,
        AgentInfo,
        ExecutorID,
        ExecutorInfo,
        FrameworkID,
        FrameworkInfo,
        InverseOffer,
        MasterInfo,
        Offer,
        OfferID,
        OperationStatus,
        TaskID,
        TaskInfo,
        TaskStatus,
    )

__all__ = ["Executor", "Scheduler"]


# ================================================================================================
# Scheduler
# ================================================================================================


class Scheduler:
    """What a framework's scheduler does when Mesos tells it something.

    Every callback receives the :class:`~satyr.driver.SchedulerDriver` first, so it can answer
    (``driver.launch(offer, [task])``, ``driver.decline(offer.id)``, ``driver.kill(task_id)``,
    ...). Messages are proxies of :mod:`satyr.proxies.messages` (decoded into your registered
    subclasses where their templates match). Defaults do nothing, except :meth:`on_offers`, which
    declines the offers it is given, and :meth:`on_agent_lost`, which calls
    :meth:`on_slave_lost`.
    """

    def on_registered(
        self, driver: SchedulerDriver, framework_id: FrameworkID, master: MasterInfo
    ) -> None:
        """The framework subscribed for the first time through this driver; ``framework_id`` is
        its id (new, or the one given in ``FrameworkInfo.id``)."""

    def on_reregistered(
        self, driver: SchedulerDriver, framework_id: FrameworkID, master: MasterInfo
    ) -> None:
        """The driver subscribed again after a disconnection (a master failover, a lost
        connection); offers held before are gone."""

    def on_disconnected(self, driver: SchedulerDriver) -> None:
        """The subscription was lost; the driver keeps resubscribing, and calls raise
        :class:`~satyr.NotConnectedError` meanwhile."""

    def on_offers(self, driver: SchedulerDriver, offers: list[Offer]) -> None:
        """Resources offered: launch tasks on them (``driver.launch(offer, tasks)``) or decline
        them. The default declines every offer it is given that is still held, so a subclass may
        launch on some offers and then call ``super().on_offers(driver, offers)``."""
        if offers:
            driver.decline([offer.id for offer in offers])

    def on_rescinded(self, driver: SchedulerDriver, offer_id: OfferID) -> None:
        """An offer was withdrawn; accepting it now would fail."""

    def on_update(self, driver: SchedulerDriver, status: TaskStatus) -> None:
        """A task status update. With implicit acknowledgements (the default) it was
        acknowledged already; otherwise call ``driver.acknowledge(status)`` once it is handled
        (until then the agent holds back the task's later updates)."""

    def on_message(
        self, driver: SchedulerDriver, executor_id: ExecutorID, agent_id: AgentID, message: bytes
    ) -> None:
        """An executor sent the framework a message (unreliable delivery)."""

    def on_agent_lost(self, driver: SchedulerDriver, agent_id: AgentID) -> None:
        """An agent was lost (removed or unreachable). The default calls :meth:`on_slave_lost`,
        so overriding either one works."""
        self.on_slave_lost(driver, agent_id)

    def on_slave_lost(self, driver: SchedulerDriver, slave_id: AgentID) -> None:
        """satyr's name for :meth:`on_agent_lost`."""

    def on_executor_lost(
        self,
        driver: SchedulerDriver,
        executor_id: ExecutorID,
        agent_id: AgentID,
        status: int | None,
    ) -> None:
        """An executor ended; ``status`` is its wait status (exit code) when known."""

    def on_error(self, driver: SchedulerDriver, message: str) -> None:
        """The master sent an ERROR event (``Framework has been removed``, ``Framework failed
        over``, an invalid FrameworkInfo, ...). The driver stops after it (see
        :meth:`on_failure`) and does not resubscribe."""

    def on_heartbeat(self, driver: SchedulerDriver) -> None:
        """A HEARTBEAT from the master (called only when the driver was started with
        ``heartbeats=True``; the driver's watchdog works either way)."""

    def on_inverse_offers(
        self, driver: SchedulerDriver, inverse_offers: list[InverseOffer]
    ) -> None:
        """Maintenance: the operator asks for resources back (answer with
        ``driver.accept_inverse_offers`` / ``driver.decline_inverse_offers``, or ignore)."""

    def on_rescinded_inverse_offer(
        self, driver: SchedulerDriver, inverse_offer_id: OfferID
    ) -> None:
        """An inverse offer was withdrawn."""

    def on_operation_update(self, driver: SchedulerDriver, status: OperationStatus) -> None:
        """The status of an offer operation that was given an ``id`` (acknowledge it with
        ``driver.acknowledge_operation(status)`` when it has a uuid)."""

    def on_failure(self, driver: SchedulerDriver, error: SatyrError) -> None:
        """The driver stopped with an error: the master's ERROR (:class:`~satyr.MesosError`,
        :class:`~satyr.FrameworkRemovedError`), refused credentials
        (:class:`~satyr.AuthenticationError`) or a refused SUBSCRIBE. The last callback."""


# (The executor's interface follows below this line.)


# ================================================================================================
# Executor
# ================================================================================================


class Executor:
    """A Mesos executor written in Python, run by ``satyr-executor --executor module:Class``.

    The driver calls these methods one at a time, in event order, on the runner's main thread;
    none of them should block for long: start a thread for the work of a task (see
    :class:`satyr.executor.OneOffExecutor`) and report its progress with
    ``driver.update(task.status('TASK_RUNNING'))`` and a terminal status. Every method does
    nothing by default.
    """

    def on_registered(
        self,
        driver: ExecutorDriver,
        executor_info: ExecutorInfo,
        framework_info: FrameworkInfo,
        agent_info: AgentInfo,
    ) -> None:
        """Subscribed to the agent for the first time."""

    def on_reregistered(self, driver: ExecutorDriver, agent_info: AgentInfo) -> None:
        """Subscribed again after a disconnection (the agent restarted or the link broke)."""

    def on_disconnected(self, driver: ExecutorDriver) -> None:
        """The connection to the agent was lost; with checkpointing the driver reconnects."""

    def on_launch(self, driver: ExecutorDriver, task: TaskInfo) -> None:
        """A task to run (a :class:`~satyr.messages.PythonTask` if it carries the ``python``
        label). Send TASK_RUNNING, then a terminal status, through ``driver.update``."""

    def on_launch_group(self, driver: ExecutorDriver, tasks: list[TaskInfo]) -> None:
        """A task group (LAUNCH_GROUP); calls :meth:`on_launch` for each task by default."""
        for task in tasks:
            self.on_launch(driver, task)

    def on_kill(self, driver: ExecutorDriver, task_id: TaskID) -> None:
        """The scheduler killed a task: stop it and send TASK_KILLED."""

    def on_acknowledged(self, driver: ExecutorDriver, task_id: TaskID, uuid: bytes) -> None:
        """The agent accepted the status update ``uuid`` of a task (it now owns its delivery)."""

    def on_message(self, driver: ExecutorDriver, message: bytes) -> None:
        """A framework message from the scheduler."""

    def on_shutdown(self, driver: ExecutorDriver) -> None:
        """Kill every task and send their terminal updates before returning: the driver stops
        right after, and the process is killed when the shutdown grace period ends."""

    def on_error(self, driver: ExecutorDriver, message: str) -> None:
        """The agent sent an ERROR event, or refused an update or message."""
