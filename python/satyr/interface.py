"""Callback interfaces: subclass them and override what you need."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from satyr.executor import ExecutorDriver
    from satyr.proxies.messages import (
        AgentInfo,
        ExecutorInfo,
        FrameworkInfo,
        TaskID,
        TaskInfo,
    )


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
